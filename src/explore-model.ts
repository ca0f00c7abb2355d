// The walk and exhaustive explorers applied to one model (a strategy or mutant in a config), in the shape
// src/check.ts gives the fast-check explorer: each failing property gets a counterexample (walks: shrunk
// to 1-minimal by src/shrink.ts; exhaustive search: a shortest one), and the search goes on for the
// others, so one run gives a verdict for every property. This is the glue between the model and the
// generic explorers in src/explore/, which know nothing of the kernel.
import type { Model } from '../model/model.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import type { Property, Violation } from '../properties/types.ts';
import { Monitor, systemOf } from './system.ts';
import type { Coverage } from './coverage.ts';
import { perProperty, type Failure } from './check.ts';
import { walkExplore, type PickPolicy, type WalkStats } from './explore/walk.ts';
import { bfsExplore, type BfsStats, type SearchProgress } from './explore/bfs.ts';

/** A failure found by a walk or by exhaustive search: the same record as fast-check's. */
export type ExplorerFailure = Failure;

export interface ExplorerResult<St> {
  failures: ExplorerFailure[];
  /** Properties that survived the budget. */
  holds: string[];
  reached: Set<string>;
  stats: St;
}

export interface WalkBudget {
  /** Campaign seed string, e.g. `nightly-2026-12-01` (or `...#17` to start at walk 17). */
  seed: string;
  walks: number;
  maxSteps: number;
  swarm?: boolean;
  pick?: PickPolicy;
  /** Stop each search after this many milliseconds. */
  timeMs?: number;
}

export const defaultWalkBudget: WalkBudget = { seed: 'dmacheck', walks: 5000, maxSteps: 60 };

export interface BfsBudget {
  maxDepth: number;
  maxStates: number;
  timeMs?: number;
  /** Breadth-first (shortest counterexamples; the default) or depth-first (less memory; unbounded depth only). */
  order?: 'breadth' | 'depth';
  onProgress?: (p: SearchProgress) => void;
  /** Relabel job slots where the strategy and the properties say how (model/symmetry.ts); default on. */
  symmetry?: boolean;
}

export const defaultBfsBudget: BfsBudget = { maxDepth: 12, maxStates: 200_000 };

/** Seeded random walks over one model; failures shrunk to 1-minimal. With `coverage`, the walks are counted (src/coverage.ts). */
export function walkCheck(m: Model, props: readonly Property<any>[], budget: WalkBudget, coverage?: Coverage): ExplorerResult<WalkStats> {
  const sys = coverage ? coverage.system(systemOf(m)) : systemOf(m);
  return perProperty<WalkStats>(
    m,
    props,
    (active, reached) => {
      if (active.length === 0) return { found: null, stats: { walks: 0, actions: 0, deadEnds: 0, ms: 0 }, ms: 0 };
      const { failure, stats } = walkExplore<State, Action, ModelEvent, Violation>(
        sys,
        (s) => (coverage ? coverage.checker(new Monitor(m, active, s)) : new Monitor(m, active, s)),
        budget,
        (r) => r.forEach((x) => reached.add(x)),
      );
      return { found: failure && { ...failure, path: '' }, stats, ms: stats.ms };
    },
    (t, st) => (t === null ? { ...st } : { walks: t.walks + st.walks, actions: t.actions + st.actions, deadEnds: t.deadEnds + st.deadEnds, ms: t.ms + st.ms }),
    { shrink: true },
  );
}

/**
 * Bounded exhaustive search over one model; failures are shortest traces. `stats` is that of the last
 * search (the one that ran with every property still holding): its `exhausted` says whether `holds` is
 * a verdict for the whole scope up to the depth, or only for the states visited.
 */
export function bfsCheck(m: Model, props: readonly Property<any>[], budget: BfsBudget): ExplorerResult<BfsStats> {
  const sys = systemOf(m);
  return perProperty<BfsStats>(
    m,
    props,
    (active, reached) => {
      const { failure, stats } = bfsExplore<State, Action, ModelEvent, Violation>(
        sys,
        (s) => (budget.symmetry === false ? new Monitor(m, active, s).deferStateOnly() : new Monitor(m, active, s).deferStateOnly().relabelSlots()),
        budget,
        (r) => r.forEach((x) => reached.add(x)),
      );
      return { found: failure && { ...failure, seed: '', path: '' }, stats, ms: stats.ms };
    },
    (_t, st) => st,
    { shrink: false },
  );
}
