// Small helpers for tests: build models and actions by name, and run traces that must replay.
//
// A hand-written trace is a claim about the model: "after these steps, this holds". If one of its steps is
// not enabled where it stands, the claim is about nothing (runActions stops there and reports no violation),
// so every helper here that runs a trace first asserts that each step of it was enabled.
import { expect, vi } from 'vitest';
import { enabled, formatAction, init, makeModel, sameAction, stepInPlace, type Model } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import type { Property } from '../properties/types.ts';
import { runActions, type RunResult } from '../src/run.ts';
import { main } from '../src/cli/main.ts';

export function model(strategy: string, config = 'kernel-queue', mutant: string | null = null): Model {
  const s = strategyByName(strategy);
  const c = configByName(config);
  if (!s || !c) throw new Error(`no ${strategy} / ${config}`);
  return makeModel(s, c, mutant);
}

/** act('migrate', 0, 1) */
export const act = (k: string, a = -1, b = -1): Action => ({ k, a, b });

/**
 * fork's per-page steps after `fork(p)` (model/fork.ts), one letter per virtual page: '1' a page copied
 * in one step (fork_copy_pte); 's' a private page shared copy-on-write in two (fork_copy_pte duplicates
 * the rmap, fork_wrprotect write-protects: only where gup_fast ignores write_protect_seq, the
 * gup-fast-no-seq-check variant); '-' an unmapped page (no step).
 */
export function forkCopy(p: number, pages: string): Action[] {
  const out: Action[] = [];
  [...pages].forEach((c, v) => {
    if (c === '-') return;
    out.push(act('fork_copy_pte', p, v));
    if (c === 's') out.push(act('fork_wrprotect', p, v));
  });
  return out;
}

/** `register(p0); migrate(p0, v0)`: a trace as a reader of a counterexample sees it. */
export const traceText = (m: Model, actions: readonly Action[]): string => actions.map((a) => formatAction(m, a)).join('; ');

/** What stopped a run before its end, for an assertion message. */
function stopped(m: Model, r: RunResult): string {
  return r.notEnabled ? `action ${r.notEnabled.index + 1}, ${formatAction(m, r.notEnabled.action)}, is not enabled where it stands` : '';
}

/** Assert that every action of the trace ran (each enabled where it stood). */
export function expectReplayed(m: Model, r: RunResult, actions: readonly Action[]): void {
  expect(r.notEnabled, stopped(m, r)).toBeNull();
  expect(r.ran, 'actions replayed').toBe(r.violation ? r.step + 1 : actions.length);
}

/** Run a trace that must replay to its end without breaking any of `props`. */
export function holdsOver(m: Model, actions: readonly Action[], props: readonly Property<any>[], record = false): RunResult {
  const r = runActions(m, actions, props, record);
  expectReplayed(m, r, actions);
  expect(r.violation, r.violation ? `${r.violation.property} broke at action ${r.step + 1}: ${r.violation.message}` : '').toBeNull();
  expect(r.ran).toBe(actions.length);
  return r;
}

/** Run a trace that must replay up to the action where one of `props` breaks, which must be its last. */
export function failsAtEnd(m: Model, actions: readonly Action[], props: readonly Property<any>[]): RunResult {
  const r = runActions(m, actions, props);
  expectReplayed(m, r, actions);
  expect(r.violation, `no violation over ${actions.length} actions`).not.toBeNull();
  expect(r.step, 'the action after which it broke').toBe(actions.length - 1);
  return r;
}

/** Take one step, asserting first that it is enabled. */
export function advance(m: Model, s: State, a: Action): ModelEvent[] {
  expect(enabled(m, s).some((e) => sameAction(e, a)), `${formatAction(m, a)} enabled`).toBe(true);
  return stepInPlace(m, s, a);
}

/** Run `actions` from the initial state, each asserted enabled where it stands: the state and every event. */
export function play(m: Model, actions: readonly Action[]): { s: State; events: ModelEvent[] } {
  const s = init(m);
  const events: ModelEvent[] = [];
  actions.forEach((a, i) => {
    expect(enabled(m, s).some((e) => sameAction(e, a)), `step ${i + 1}, ${formatAction(m, a)}, enabled`).toBe(true);
    events.push(...stepInPlace(m, s, a));
  });
  return { s, events };
}

/** Run the command line in-process: its exit code, what it printed on stdout and on stderr, and both in order. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; all: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const all: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void (out.push(a.join(' ')), all.push(a.join(' '))));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void (err.push(a.join(' ')), all.push(a.join(' '))));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n'), all: all.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
