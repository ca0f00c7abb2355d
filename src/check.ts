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

export interface Budget {
  runs: number;
  maxCommands: number;
  seed: number;
}

export const defaultBudget: Budget = { runs: 1000, maxCommands: 100, seed: 1 };

export interface Failure {
  property: string;
  violation: Violation;
  /** 1-minimal, replayed. */
  actions: Action[];
  /** Length fast-check's own shrinker reached, before ours. */
  fcLength: number;
  /** fast-check's numeric seed, or a walk's seed string. */
  seed: number | string;
  path: string;
  /** Milliseconds to the first failure (search and shrink). */
  ms: number;
}

export interface CheckResult {
  failures: Failure[];
  /** Properties that survived the budget. */
  holds: string[];
  reached: Set<string>;
  stats: FcStats;
}

export function checkModel(m: Model, props: readonly Property<any>[], budget: Budget, firstOnly = false): CheckResult {
  const sys = systemOf(m);
  const witnesses = props.filter((p) => p.kind === 'sometimes');
  let remaining = props.filter((p) => p.kind !== 'sometimes');
  const failures: Failure[] = [];
  const reached = new Set<string>();
  const stats: FcStats = { runs: 0, executed: 0, skipped: 0, ms: 0 };
  while (remaining.length > 0) {
    const active = [...remaining, ...witnesses];
    const t0 = performance.now();
    const { failure, stats: st } = fcExplore<State, Action, ModelEvent, Violation>(
      sys,
      (s) => new Monitor(m, active, s),
      { runs: budget.runs, seed: budget.seed, maxCommands: budget.maxCommands },
      (r) => r.forEach((x) => reached.add(x)),
    );
    stats.runs += st.runs;
    stats.executed += st.executed;
    stats.skipped += st.skipped;
    stats.ms += st.ms;
    if (!failure) break;
    const id = failure.violation.property;
    const prop = remaining.filter((p) => p.id === id);
    const actions = minimize(m, failure.actions, prop, id);
    const replay = runActions(m, actions, prop);
    failures.push({
      property: id,
      violation: replay.violation ?? failure.violation,
      actions,
      fcLength: failure.actions.length,
      seed: failure.seed,
      path: failure.path,
      ms: performance.now() - t0,
    });
    remaining = remaining.filter((p) => p.id !== id);
    if (firstOnly) break;
  }
  return { failures, holds: remaining.map((p) => p.id), reached, stats };
}
