// The three explorers behind one call, for `dmacheck check --explorer`: each returns failures in the
// shape of src/check.ts, so the same counterexample files come out whichever found them.
import type { Model } from '../model/model.ts';
import type { Property } from '../properties/types.ts';
import { checkModel, type Budget, type CheckResult } from './check.ts';
import { bfsCheck, defaultBfsBudget, defaultWalkBudget, walkCheck } from './explore-model.ts';
import type { Coverage } from './coverage.ts';

export const explorerNames = ['fast-check', 'walk', 'bfs'] as const;
export type ExplorerName = (typeof explorerNames)[number];

/**
 * The default explorer: fast-check. In bench/RESULTS.md it and the walks both kill every mutant with a
 * median under 100 ms at the default scope, and fast-check's own shrinker starts from shorter traces;
 * exhaustive search only reaches depth 8 in the time the others take to find a 12-step bug.
 */
export const defaultExplorer: ExplorerName = 'fast-check';

export interface ExplorerRun {
  result: CheckResult;
  explorer: ExplorerName;
  /** A line saying what the holding verdicts survived. */
  budgetLine: string;
}

/** With `firstOnly`, the fast-check search stops at the first failing property (a mutant's kill). With `coverage`, the runs are counted. */
export function runExplorer(name: ExplorerName, m: Model, props: readonly Property<any>[], budget: Budget, seed: string | undefined, firstOnly = false, coverage?: Coverage): ExplorerRun {
  if (name === 'fast-check') {
    const result = checkModel(m, props, budget, firstOnly, coverage);
    const st = result.stats;
    return { result, explorer: name, budgetLine: `${st.runs} runs, ${st.executed} actions, ${(st.ms / 1000).toFixed(1)} s` };
  }
  if (name === 'walk') {
    const r = walkCheck(m, props, { ...defaultWalkBudget, seed: seed ?? defaultWalkBudget.seed, walks: budget.runs * 5 }, coverage);
    return {
      result: { failures: r.failures, holds: r.holds, reached: r.reached, stats: { runs: r.stats.walks, executed: r.stats.actions, skipped: 0, ms: r.stats.ms } },
      explorer: name,
      budgetLine: `${r.stats.walks} walks, ${r.stats.actions} actions, ${(r.stats.ms / 1000).toFixed(1)} s`,
    };
  }
  const r = bfsCheck(m, props, defaultBfsBudget);
  return {
    result: { failures: r.failures, holds: r.holds, reached: r.reached, stats: { runs: 1, executed: r.stats.transitions, skipped: 0, ms: r.stats.ms } },
    explorer: name,
    budgetLine: `${r.stats.states} distinct states to depth ${r.stats.depth}${r.stats.exhausted ? ' (scope exhausted)' : ''}`,
  };
}
