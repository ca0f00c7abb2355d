// `dmacheck explore`: bounded exhaustive search (or seeded random walks) over one strategy or mutant in
// one config. Exit 0 when no property is violated within the budget, 1 on a violation (the shortest
// trace is printed, one action per line), 2 on bad usage.
import { searchProgress } from './progress.ts';
import { parseArgs } from 'node:util';
import { makeModel, type Model } from '../../model/model.ts';
import { explainedText } from './print.ts';
import { configByName } from '../../model/configs.ts';
import { allProperties, propertyById, verdictProperties, witnesses } from '../../properties/index.ts';
import { heldProperties, loadManifest } from '../verdicts.ts';
import { defaultBudget } from '../check.ts';
import type { Property } from '../../properties/types.ts';
import { configArg, intArg, mutantArg, scopeArg, scopedConfig, strategyArg, UsageError } from './usage.ts';
import { scopeText } from '../../model/configs.ts';
import { EXIT_STOPPED } from './prove.ts';
import { bfsCheck, defaultBfsBudget, defaultWalkBudget, walkCheck, type ExplorerFailure } from '../explore-model.ts';

export { walkCheck, bfsCheck };

const USAGE = `dmacheck explore --strategy S [--mutant M] [--config C] [--property P] [--scope K=V,...]
                 [--explorer bfs|walk] [--depth D] [--states N] [--time SECONDS]
                 [--seed STRING] [--walks N] [--steps N]

  exit: 0 bfs exhausted the whole reachable space with no violation, 1 a violation, 2 usage,
        3 no violation found but the search did not exhaust the space (a walk never does)

  --explorer bfs   breadth-first over distinct states (default): a violation found is a shortest trace
             walk  seeded random walks (--seed nightly-2026-12-01#17 --walks 1 replays one walk)
  --depth D        bfs: traces of at most D actions (default ${defaultBfsBudget.maxDepth})
  --states N       bfs: stop after N distinct states (default ${defaultBfsBudget.maxStates})`;

function printFailure(m: Model, f: ExplorerFailure, how: string): void {
  console.log(`\nVIOLATED ${f.property} (${f.violation.clause}): ${f.violation.message}`);
  console.log(explainedText(m, f, `${how}, ${f.actions.length} action(s):`));
}

export async function exploreCommand(argv: string[]): Promise<number> {
  try {
    return run(argv);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`dmacheck explore: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

function run(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      strategy: { type: 'string' },
      mutant: { type: 'string' },
      config: { type: 'string' },
      property: { type: 'string', multiple: true },
      explorer: { type: 'string' },
      depth: { type: 'string' },
      states: { type: 'string' },
      time: { type: 'string' },
      seed: { type: 'string' },
      walks: { type: 'string' },
      steps: { type: 'string' },
      scope: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const strategy = strategyArg(values.strategy);
  const mutant = mutantArg(strategy, values.mutant);
  const named = configArg(strategy, values.config) ?? configByName(strategy.configs[0]!);
  if (!named) throw new UsageError(`strategy ${strategy.name} names no known config`);
  const cfg = scopedConfig(named, scopeArg(values.scope));
  const explorer = values.explorer ?? 'bfs';
  if (explorer !== 'bfs' && explorer !== 'walk') throw new UsageError(`--explorer: expected bfs or walk, got '${explorer}'`);
  // As with check: a mutant is held to what its correct design holds in this config (the manifest).
  let props: Property<any>[] = mutant
    ? [...heldProperties(strategy, cfg, defaultBudget, loadManifest()), ...witnesses]
    : [...verdictProperties, ...witnesses];
  if (values.property) {
    props = values.property.map((id) => {
      const p = propertyById(id);
      if (!p) throw new UsageError(`--property: unknown property '${id}' (one of: ${allProperties.map((x) => x.id).join(', ')})`);
      return p;
    });
  }
  const timeMs = values.time === undefined ? undefined : intArg('--time', values.time, 0) * 1000;
  const m = makeModel(strategy, cfg, mutant);
  const name = `${strategy.name}${mutant ? ` (mutant ${mutant})` : ''} in ${cfg.name} (scope ${scopeText(cfg.scope)})`;

  if (explorer === 'walk') {
    const seed = values.seed ?? defaultWalkBudget.seed;
    const budget = {
      seed,
      walks: intArg('--walks', values.walks, defaultWalkBudget.walks),
      maxSteps: intArg('--steps', values.steps, defaultWalkBudget.maxSteps),
      timeMs,
    };
    const r = walkCheck(m, props, budget);
    const st = r.stats;
    console.log(`explore ${name}: ${st.walks} walk(s) from seed '${seed}', ${st.actions} actions in ${(st.ms / 1000).toFixed(2)} s (${Math.round(st.actions / Math.max(st.ms, 1) * 1000)} actions/s)`);
    for (const f of r.failures) printFailure(m, f, `walk ${f.seed}, found in ${f.foundLength} steps, shrunk (1-minimal)`);
    if (r.holds.length) console.log(`\nnot violated in the walks (not a proof: walks never exhaust the space): ${r.holds.join(', ')}`);
    return r.failures.length > 0 ? 1 : r.holds.length > 0 ? EXIT_STOPPED : 0;
  }

  const maxStates = intArg('--states', values.states, defaultBfsBudget.maxStates);
  const bar = searchProgress(`explore ${name}`, maxStates);
  const budget = {
    maxDepth: intArg('--depth', values.depth, defaultBfsBudget.maxDepth),
    maxStates,
    timeMs,
    onProgress: (p: { states: number; depth: number }) => bar.update(p),
  };
  const r = bfsCheck(m, props, budget);
  bar.done();
  const st = r.stats;
  // The stats are the last search's: with every property broken, the one stopped by its violation.
  const scope =
    r.holds.length === 0 && r.failures.length > 0
      ? 'stopped at the violation'
      : st.closed
        ? 'the whole reachable space was explored'
        : st.exhausted
          ? `every trace of at most ${budget.maxDepth} actions was explored`
          : `the budget ran out (${st.states >= budget.maxStates ? `${budget.maxStates} states` : 'time'}) before depth ${budget.maxDepth} was exhausted`;
  console.log(
    `explore ${name}: ${st.states} distinct states, depth ${st.depth}, ${st.transitions} transitions in ${(st.ms / 1000).toFixed(2)} s ` +
      `(${Math.round(st.states / Math.max(st.ms, 1) * 1000)} states/s); ${scope}`,
  );
  if (st.collisionOdds > 1e-6) console.log(`  (odds that two states shared a 64-bit fingerprint: ${st.collisionOdds.toExponential(1)})`);
  for (const f of r.failures) printFailure(m, f, 'shortest trace');
  if (r.holds.length) {
    const what = st.closed ? 'proved in every reachable state' : st.exhausted ? `no violation in any trace of at most ${budget.maxDepth} actions (not a proof: the space goes deeper)` : 'no violation in the states visited (not a proof: the search stopped)';
    console.log(`\n${what}: ${r.holds.join(', ')}`);
  }
  return r.failures.length > 0 ? 1 : r.holds.length > 0 && !st.closed ? EXIT_STOPPED : 0;
}
