// Check one strategy (or one of its mutants) in one config against a set of properties with the
// fast-check explorer: each failing property gets a shrunk counterexample, and the search goes on for
// the others, so one run gives a verdict for every property.
import type { Model } from '../model/model.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import type { Property, Violation } from '../properties/types.ts';
import { fcExplore, type FcStats } from './explore/fastcheck.ts';
import { Monitor, systemOf } from './system.ts';
import { minimize } from './shrink.ts';
import { runActions } from './run.ts';
import type { Coverage } from './coverage.ts';

export interface Budget {
  runs: number;
  maxCommands: number;
  seed: number;
}

export const defaultBudget: Budget = { runs: 1000, maxCommands: 100, seed: 1 };

export interface Failure {
  property: string;
  violation: Violation;
  /** Shrunk (1-minimal) or, from exhaustive search, shortest; replayed. */
  actions: Action[];
  /** Length of the trace as the explorer found it, before shrinking. */
  foundLength: number;
  /** fast-check's numeric seed, or a walk's seed string ('' from exhaustive search). */
  seed: number | string;
  /** fast-check's replay path ('' for the other explorers). */
  path: string;
  /** Milliseconds to the first failure (search and shrink). */
  ms: number;
  /** Milliseconds the search alone took, before shrinking. */
  searchMs: number;
}

export interface CheckResult {
  failures: Failure[];
  /** Properties that survived the budget. */
  holds: string[];
  reached: Set<string>;
  stats: FcStats;
}

/** What one search found: a failing trace, as the explorer found it. */
export interface Found {
  actions: Action[];
  violation: Violation;
  seed: number | string;
  path: string;
}

/**
 * Drive `search` once per failing property, each time without the properties already broken, so one run
 * gives a verdict for every property; each failure is shrunk (unless the explorer's traces are shortest
 * already) and replayed. The same loop serves the three explorers.
 */
export function perProperty<St>(
  m: Model,
  props: readonly Property<any>[],
  search: (active: Property<any>[], reached: Set<string>) => { found: Found | null; stats: St; ms: number },
  add: (total: St | null, st: St) => St,
  opts: { shrink: boolean; firstOnly?: boolean },
): { failures: Failure[]; holds: string[]; reached: Set<string>; stats: St } {
  const witnesses = props.filter((p) => p.kind === 'sometimes');
  let remaining = props.filter((p) => p.kind !== 'sometimes');
  const failures: Failure[] = [];
  const reached = new Set<string>();
  let stats: St | null = null;
  while (remaining.length > 0) {
    const t0 = performance.now();
    const { found, stats: st, ms } = search([...remaining, ...witnesses], reached);
    stats = add(stats, st);
    if (!found) break;
    const id = found.violation.property;
    const prop = remaining.filter((p) => p.id === id);
    const actions = opts.shrink ? minimize(m, found.actions, prop, id) : found.actions;
    const replay = runActions(m, actions, prop);
    if (replay.violation?.property !== id) {
      throw new Error(`the counterexample for ${id} (${m.strategy.name}${m.mutant ? ` mutant ${m.mutant}` : ''} in ${m.cfg.name}) does not replay: an explorer and the model disagree; found: ${JSON.stringify(found.actions)}`);
    }
    failures.push({ property: id, violation: replay.violation, actions, foundLength: found.actions.length, seed: found.seed, path: found.path, ms: performance.now() - t0, searchMs: ms });
    remaining = remaining.filter((p) => p.id !== id);
    if (opts.firstOnly) break;
  }
  if (stats === null) stats = add(null, search(witnesses, reached).stats);
  return { failures, holds: remaining.map((p) => p.id), reached, stats };
}

/** The fast-check explorer over one model (a strategy or mutant in a config). */
export function checkModel(m: Model, props: readonly Property<any>[], budget: Budget, firstOnly = false, coverage?: Coverage): CheckResult {
  const sys = coverage ? coverage.system(systemOf(m)) : systemOf(m);
  return perProperty<FcStats>(
    m,
    props,
    (active, reached) => {
      const { failure, stats } = fcExplore<State, Action, ModelEvent, Violation>(
        sys,
        (s) => (coverage ? coverage.checker(new Monitor(m, active, s)) : new Monitor(m, active, s)),
        { runs: budget.runs, seed: budget.seed, maxCommands: budget.maxCommands },
        (r) => r.forEach((x) => reached.add(x)),
        // fast-check's shrinking checks the property that failed, not the other liveness properties:
        // an `eventually` property asks the progress oracle after every step, and shrinking re-ran it on
        // every candidate (77-100% of `dmacheck mutants`, issue 8). The `always` properties (a look at
        // the step's events and view) stay, so that the shrinker may still move to a shorter
        // counterexample of another safety property, as it did (the mutants' pinned traces); the
        // witnesses stay too, so that `reached` is what it was.
        (v) => {
          const shrinkProps = active.filter((p) => p.id === v.property || p.kind !== 'eventually');
          return (s) => new Monitor(m, shrinkProps, s);
        },
      );
      return { found: failure, stats, ms: stats.ms };
    },
    (t, st) => (t === null ? { ...st } : { runs: t.runs + st.runs, executed: t.executed + st.executed, skipped: t.skipped + st.skipped, ms: t.ms + st.ms }),
    { shrink: true, firstOnly },
  );
}
