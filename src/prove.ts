// Proofs at a scope: exhaust the reachable state space of one model (finite: model/canonical.ts) and say,
// per property, "holds in all N states" or give a shortest counterexample, or say the search stopped
// before the space was exhausted. The properties that compare written values (no-lost-write) are proved
// in a search of their own, since keeping values apart multiplies the states; the others see every value
// as one.
import type { Model } from '../model/model.ts';
import type { Scope } from '../model/types.ts';
import type { Property } from '../properties/types.ts';
import { witnesses } from '../properties/index.ts';
import { bfsCheck, type BfsBudget } from './explore-model.ts';
import type { Failure } from './check.ts';
import type { BfsStats, SearchProgress } from './explore/bfs.ts';

export interface ProofBudget {
  /** Stop (and say so) once a search has stored this many distinct states. */
  maxStates: number;
  /** Only traces of at most this many actions (a bounded check, never a proof). */
  maxDepth?: number;
  timeMs?: number;
  /** Depth-first: the same proofs in less memory, but a counterexample is not a shortest one. */
  order?: 'breadth' | 'depth';
  /** Told how far each search got (a command's progress bar). */
  onProgress?: (p: SearchProgress) => void;
  /** Relabel interchangeable job slots (model/symmetry.ts); default on. */
  symmetry?: boolean;
}

export const defaultProofBudget: ProofBudget = { maxStates: 4_000_000 };

export interface Proved {
  property: string;
  /** Distinct states (with the checkers' memory) of the exhausted space. */
  states: number;
  depth: number;
  /**
   * The property's premise witness was reached somewhere in the space: false means it held in every state
   * because nothing it judges ever happened at this scope (n/a, never "proved").
   */
  premiseReached: boolean;
  /** States that differ only by which job slot holds which job were one (model/symmetry.ts): `states` counts one per relabelling. */
  symmetric: boolean;
}

export interface Unfinished {
  property: string;
  states: number;
  depth: number;
  /** What stopped the search: the state budget, the time, or the depth asked for. */
  stoppedBy: 'states' | 'time' | 'depth';
}

export interface ProofResult {
  scope: Scope;
  proved: Proved[];
  /** Shortest counterexamples. */
  failures: Failure[];
  unfinished: Unfinished[];
  reached: Set<string>;
  searches: BfsStats[];
}

export function proveModel(m: Model, props: readonly Property<any>[], budget: ProofBudget = defaultProofBudget): ProofResult {
  const judged = props.filter((p) => p.kind !== 'sometimes');
  const groups = [judged.filter((p) => p.observesValues), judged.filter((p) => !p.observesValues)].filter((g) => g.length > 0);
  const bfs: BfsBudget = { maxDepth: budget.maxDepth ?? Infinity, maxStates: budget.maxStates, timeMs: budget.timeMs, order: budget.order, onProgress: budget.onProgress, symmetry: budget.symmetry };
  const out: ProofResult = { scope: m.cfg.scope, proved: [], failures: [], unfinished: [], reached: new Set(), searches: [] };
  for (const g of groups) {
    // Each search carries the premises of its own properties only (the rest are checked by `check`, not
    // here): a witness's memory is part of a node, so one that nothing here asks about would only split
    // states.
    const premises = new Set(g.map((p) => p.premise));
    const r = bfsCheck(m, [...g, ...witnesses.filter((w) => premises.has(w.id))], bfs);
    out.failures.push(...r.failures);
    r.reached.forEach((w) => out.reached.add(w));
    out.searches.push(r.stats);
    const st = r.stats;
    for (const id of r.holds) {
      const premise = g.find((p) => p.id === id)?.premise;
      if (st.closed) out.proved.push({ property: id, states: st.states, depth: st.depth, premiseReached: premise === undefined || r.reached.has(premise), symmetric: st.symmetric && m.cfg.scope.jobs > 1 });
      else {
        const stoppedBy = st.exhausted ? 'depth' : st.states >= budget.maxStates ? 'states' : 'time';
        out.unfinished.push({ property: id, states: st.states, depth: st.depth, stoppedBy });
      }
    }
  }
  return out;
}
