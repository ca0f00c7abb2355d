// Load and validate a counterexample file. Every problem becomes a LoadError naming the file, the field
// and what was expected; nothing is thrown past the caller, so one bad file does not stop the others.
// A file written by hand may leave out the metadata the tools write (CounterexampleInputSchema); what it
// leaves out is filled in, and `given` says which judgement it asked for.
import { readFileSync } from 'node:fs';
import type { Model } from '../../model/model.ts';
import { formatAction, init, makeModel } from '../../model/model.ts';
import { findStrategy } from '../registry.ts';
import { anyConfigByName, withScope } from '../../model/configs.ts';
import { propertyById } from '../../properties/index.ts';
import type { Property } from '../../properties/types.ts';
import type { Action } from '../../model/types.ts';
import { ActionSchema, CounterexampleInputSchema, FORMAT_VERSION, MODEL_VERSION, type Counterexample } from './format.ts';
import { parseCall, resolveCall, ScenarioError } from '../scenario/call.ts';

export class LoadError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: ${field}: ${expected}`);
  }
}

export interface Loaded {
  file: string;
  cx: Counterexample;
  model: Model;
  property: Property<any>;
  /** Whether the file named the step and the clause the property breaks at (a hand-written one may not). */
  given: { step: boolean; clause: boolean };
}

/** What changed in the model at each version, for a file recorded with an older one. */
const MODEL_CHANGES: Record<number, string> = {
  2: 'every write stores a fresh value (no cycling through 1..5), and a forked child\'s mm keeps its slot\'s seq',
  3: 'hmm_range_fault fails with -EFAULT while a munmap is in progress, a write fault that swaps a page in dirties it, fork copies device-private entries into the child, and translations record the device and kind of their DMA address',
  4: 'fork runs in steps (fork_copy_pte per page, under mm->write_protect_seq) and pin-per-job pins through gup_fast, reclaim keeps pages in a swap cache, VMAs carry permissions, interval notifiers have lifetimes, and processes may exit',
  5: 'pin-longterm and p2p-gup pin through gup_fast too (its write_protect_seq re-check a step of its own where a fork may come: gup_fast_recheck, gup_pin), a failed job keeps its errno as state, and a page two processes map may be migrated (with Config.migrateShared), a second mirroring device (two-devices), a freed page is zeroed (init_on_free: a stale DMA reads zeros), and pin-per-job, which has no registration, is offered none',
  6: 'a process a driver kills (peerdirect-kill) exits through exit_mmap, with no exit_teardown step of its own; fork copies a zero-page PTE as it is, and a long-term pin copies a mapped zero page before pinning it; pin-longterm\'s register may run its gup_fast during a fork; a DMA-BUF exporter\'s placement of a page an attachment cannot reach is exp_place, a step of the pin or map; migrate_vma_finalize unlocks the source page in hmm-p2p; dmirror refuses to migrate a range without a readable VMA (-EINVAL), and its second device takes exclusive access too',
};

/** An action that is neither a call nor a {k, a, b}: the issue of the {k, a, b} reading, at its field. */
function actionIssue(raw: unknown, issue: { path: PropertyKey[]; message: string; code?: string }): { path: PropertyKey[]; message: string } {
  const [top, i] = issue.path;
  if (issue.code !== 'invalid_union' || top !== 'actions' || typeof i !== 'number') return issue;
  const a = (raw as { actions?: unknown[] }).actions?.[i];
  if (typeof a !== 'object' || a === null) return { path: issue.path, message: 'expected an action: {"k": KIND, "a": N, "b": N} or a call such as "submit(p0, v1)"' };
  const r = ActionSchema.safeParse(a);
  return r.success ? issue : { path: [...issue.path, ...r.error.issues[0]!.path], message: r.error.issues[0]!.message };
}

export function loadCounterexample(file: string): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LoadError(file, '(file)', `cannot be read: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LoadError(file, '(file)', `is not valid JSON: ${(e as Error).message}`);
  }
  const fmt = (raw as { format?: unknown } | null)?.format;
  if (typeof fmt === 'number' && fmt > FORMAT_VERSION) {
    throw new LoadError(file, 'format', `version ${fmt} is newer than this dmacheck reads (${FORMAT_VERSION}): upgrade dmacheck`);
  }
  const parsed = CounterexampleInputSchema.safeParse(raw);
  if (!parsed.success) {
    // Every problem at once, the first one as the field: a hand-written file is fixed in one round.
    const [first, ...rest] = parsed.error.issues.map((i) => actionIssue(raw, i));
    const more = rest.length ? `; also ${rest.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` : '';
    throw new LoadError(file, first!.path.join('.') || '(root)', `${first!.message}${more} (docs/counterexample.schema.json describes the format)`);
  }
  const input = parsed.data;
  if (input.format !== FORMAT_VERSION) throw new LoadError(file, 'format', `version ${input.format} is not one this dmacheck reads (${FORMAT_VERSION}): there is no older format to migrate from`);
  const version = input.model ?? MODEL_VERSION;
  if (version > MODEL_VERSION) {
    throw new LoadError(file, 'model', `model version ${version} is newer than this dmacheck's model (version ${MODEL_VERSION}): its semantics are unknown here, so the trace cannot be judged: upgrade dmacheck`);
  }
  if (version < MODEL_VERSION) {
    const changed = Object.entries(MODEL_CHANGES).filter(([v]) => Number(v) > version).map(([v, what]) => `version ${v}: ${what}`).join('; ');
    throw new LoadError(file, 'model', `model version ${version}, but this dmacheck's model is version ${MODEL_VERSION}: its semantics changed since the file was written (${changed}), so the trace may not replay as it did and cannot be migrated: find it anew (dmacheck check), or write model: ${MODEL_VERSION} once you have checked that the trace still means what it meant`);
  }
  const strategy = findStrategy(input.strategy);
  if (!strategy) throw new LoadError(file, 'strategy', `unknown strategy '${input.strategy}' (a strategy of your own: name its module with --strategies or in dmacheck.config.js)`);
  const mutant = input.mutant ?? null;
  if (mutant !== null && !strategy.mutants.some((m) => m.name === mutant)) {
    throw new LoadError(file, 'mutant', `strategy ${input.strategy} has no mutant '${mutant}' (one of: ${strategy.mutants.map((m) => m.name).join(', ') || 'none'})`);
  }
  const named = anyConfigByName(input.config);
  if (!named) throw new LoadError(file, 'config', `unknown config '${input.config}'`);
  const cfg = input.scope ? withScope(named, input.scope) : named;
  const property = propertyById(input.property.id);
  if (!property) throw new LoadError(file, 'property.id', `unknown property '${input.property.id}'`);
  const model = makeModel(strategy, cfg, mutant);
  const s0 = init(model);
  const actions: Action[] = input.actions.map((a, i) => {
    if (typeof a !== 'string') {
      if (!model.kinds.has(a.k)) throw new LoadError(file, `actions.${i}.k`, `unknown action '${a.k}' for strategy ${input.strategy} (one of: ${[...model.kinds.keys()].join(', ')})`);
      return a;
    }
    const call = parseCall(a);
    if (!call) throw new LoadError(file, `actions.${i}`, `'${a}' is not a call such as submit(p0, v1)`);
    try {
      return resolveCall(model, s0, call, { names: new Map(), steps: new Map() }, `'${a}'`);
    } catch (e) {
      if (e instanceof ScenarioError) throw new LoadError(file, `actions.${i}`, e.message);
      throw e;
    }
  });
  const who = mutant ? `${strategy.name} with mutant ${mutant}` : strategy.name;
  const cx: Counterexample = {
    format: input.format,
    model: version,
    verdict: input.verdict ?? `(written by hand) ${input.property.id} ${input.expect === 'fail' ? 'fails' : 'holds'} for ${who} in ${input.config}`,
    question: input.question ?? `Does ${who} guarantee that ${property.meaning}?`,
    strategy: input.strategy,
    mutant,
    config: input.config,
    ...(input.scope ? { scope: input.scope } : {}),
    property: { id: input.property.id, clause: input.property.clause ?? '', step: input.property.step ?? 0, message: input.property.message ?? '' },
    expect: input.expect,
    found: input.found ?? { explorer: 'hand', seed: 0, path: '' },
    actions,
    trace: input.trace ?? actions.map((a) => formatAction(model, a)),
  };
  return { file, cx, model, property, given: { step: input.property.step !== undefined, clause: input.property.clause !== undefined } };
}
