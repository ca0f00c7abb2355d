// The counterexample file (DESIGN.md §5): versioned JSON, validated on load. The action list is the
// truth: replay needs neither the generator nor its seed.
import { z } from 'zod';

/** Version of the file layout. A file from a newer format is refused with a message that says so. */
export const FORMAT_VERSION = 1;
/** Version of the model's semantics; bumped when a change may alter how a saved trace replays. */
// 2: every write stores a fresh value (no cycling through 1..5); the child's mm keeps its slot's seq.
// 3: hmm_range_fault's -EFAULT during munmap, dirty swap-in on a write fault, device-private entries copied at fork, DMA addresses per device.
// 4: fork in steps (fork_copy_pte) and gup_fast, the swap cache, VMA permissions, notifiers with lifetimes, process exit.
export const MODEL_VERSION = 6;

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

/**
 * The file as a person may write it by hand (docs/counterexample.schema.json is generated from this):
 * what replay needs is the strategy, the config, the property, the expectation and the actions; the
 * rest is metadata the tools write (verdict, question, how it was found, the printed trace) and may be
 * left out. `model` left out means this dmacheck's; `property.step` and `property.clause` left out mean
 * any step and any clause; an action may be written as the trace prints it, "submit(p0, v1)".
 */
export const CounterexampleInputSchema = z.object({
  format: z.number().int().positive().describe('file layout version; this dmacheck reads 1'),
  model: z.number().int().positive().optional().describe('model semantics version the trace was recorded with (default: this dmacheck\'s)'),
  verdict: z.string().optional().describe('the verdict, first, as a litmus test opens with its result'),
  question: z.string().optional().describe('the question the file answers'),
  strategy: z.string().min(1).describe('a strategy name (dmacheck list)'),
  mutant: z.string().min(1).nullable().optional().describe('a mutant of the strategy, or null'),
  config: z.string().min(1).describe('a config name (dmacheck list)'),
  scope: CounterexampleSchema.shape.scope,
  property: z
    .object({
      id: z.string().min(1).describe('the property the file is about'),
      clause: z.string().optional().describe('the clause that breaks (default: any)'),
      step: z.number().int().nonnegative().optional().describe('0-based index of the action after which it breaks (default: any)'),
      message: z.string().optional(),
    })
    .describe('the property judged'),
  expect: z.enum(['fail', 'pass']).describe('fail: the property still breaks (a known weakness, a mutant); pass: it holds (a fixed bug kept as a regression)'),
  found: CounterexampleSchema.shape.found.optional().describe('how it was found: explorer, seed, path'),
  actions: z
    .array(z.union([ActionSchema, z.string().min(1).describe('an action as the trace prints it: submit(p0, v1), dma_start(job0)')]))
    .min(1)
    .describe('the actions, in order: the truth replay reads'),
  trace: z.array(z.string()).optional().describe('the actions printed as calls, for people'),
});

export type CounterexampleInput = z.infer<typeof CounterexampleInputSchema>;

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
