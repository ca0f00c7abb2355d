// The counterexample file (DESIGN.md §5): versioned JSON, validated on load. The action list is the
// truth: replay needs neither the generator nor its seed.
import { z } from 'zod';

/** Version of the file layout. A file from a newer format is refused with a message that says so. */
export const FORMAT_VERSION = 1;
/** Version of the model's semantics; bumped when a change may alter how a saved trace replays. */
// 2: every write stores a fresh value (no cycling through 1..5); the child's mm keeps its slot's seq.
export const MODEL_VERSION = 2;

export const ActionSchema = z.object({
  k: z.string().min(1),
  a: z.number().int(),
  b: z.number().int(),
});

export const CounterexampleSchema = z.object({
  format: z.number().int().positive(),
  model: z.number().int().positive(),
  /** The verdict first, as a litmus test opens with its result. */
  verdict: z.string(),
  /** The question the file answers. */
  question: z.string(),
  strategy: z.string().min(1),
  mutant: z.string().min(1).nullable(),
  config: z.string().min(1),
  /** The scope, when it is not the config's own (a proof scope, or `--scope`): every key of it. */
  scope: z
    .object({
      procs: z.number().int().positive(),
      vpages: z.number().int().positive(),
      frames: z.number().int().positive(),
      jobs: z.number().int().positive(),
      invalidations: z.number().int().positive(),
      vram: z.number().int().nonnegative().optional(),
    })
    .strict()
    .optional(),
  property: z.object({
    id: z.string().min(1),
    clause: z.string(),
    /** Index (0-based) of the action after which the property broke. */
    step: z.number().int().nonnegative(),
    message: z.string(),
  }),
  /** fail: still expected to break the property (a known weakness, a mutant); pass: a fixed bug kept as a regression. */
  expect: z.enum(['fail', 'pass']),
  found: z.object({
    explorer: z.string(),
    seed: z.union([z.number(), z.string()]),
    path: z.string(),
  }),
  actions: z.array(ActionSchema).min(1),
  /** The actions printed as calls (for people; replay reads `actions`). */
  trace: z.array(z.string()),
});

export type Counterexample = z.infer<typeof CounterexampleSchema>;

/** A file's name derives from its content: strategy, mutant, config, property. */
export function fileNameOf(c: Pick<Counterexample, 'strategy' | 'mutant' | 'config' | 'property' | 'scope'>): string {
  const scope = c.scope ? `@${Object.entries(c.scope).map(([k, v]) => `${k}${v}`).join('-')}` : '';
  return `${c.strategy}${c.mutant ? `--${c.mutant}` : ''}--${c.config}${scope}--${c.property.id}.json`;
}

/** Serialise with a stable key order (the schema's), so the same finding gives the same bytes. */
export function serialise(c: Counterexample): string {
  const ordered: Counterexample = {
    format: c.format,
    model: c.model,
    verdict: c.verdict,
    question: c.question,
    strategy: c.strategy,
    mutant: c.mutant,
    config: c.config,
    ...(c.scope ? { scope: { ...c.scope } } : {}),
    property: { id: c.property.id, clause: c.property.clause, step: c.property.step, message: c.property.message },
    expect: c.expect,
    found: { explorer: c.found.explorer, seed: c.found.seed, path: c.found.path },
    actions: c.actions.map((a) => ({ k: a.k, a: a.a, b: a.b })),
    trace: c.trace,
  };
  const json = JSON.stringify(ordered, null, 2);
  // One action per line keeps diffs of the corpus readable.
  return json.replace(/\{\n\s+"k": ("[^"]*"),\n\s+"a": (-?\d+),\n\s+"b": (-?\d+)\n\s+\}/g, '{ "k": $1, "a": $2, "b": $3 }') + '\n';
}
