// `dmacheck prove`: exhaust the reachable state space of a strategy (or mutant) at a scope, and answer
// per property "proved: P holds in all N states of scope X" or print the shortest counterexample (and write
// its file). Exit 0: every property proved, or failing where the manifest says the design fails (a known
// weakness at the default scope); 1: a counterexample to a property the design is expected to hold (for a
// mutant: to one its correct design holds; with --property: to any asked); 2: bad usage; 3: a search
// stopped before the space (or the depth asked) was exhausted, and nothing failed unexpectedly.
import { searchProgress } from './progress.ts';
import { parseArgs } from 'node:util';
import { makeModel, type Model } from '../../model/model.ts';
import { proofConfig, scopeText } from '../../model/configs.ts';
import type { Config } from '../../model/types.ts';
import { propertyById, verdictProperties } from '../../properties/index.ts';
import type { Strategy } from '../../model/strategy.ts';
import type { Property } from '../../properties/types.ts';
import { defaultBudget, type Failure } from '../check.ts';
import { configsOf, expectedVerdict, heldProperties, loadManifest, type Manifest } from '../verdicts.ts';
import { defaultProofBudget, proveModel, type ProofBudget } from '../prove.ts';
import { saveCounterexample, toCounterexample } from '../counterexample/save.ts';
import { loadProofs, proofOf, PROOFS_PATH, writeProofs, type ProofRecord } from '../proofs.ts';
import { tableStrategies } from '../registry.ts';
import { printExplained } from './print.ts';
import { configArg, intArg, mutantArg, scopeArg, scopedConfig, strategyArg, UsageError } from './usage.ts';

export const PROVE_USAGE = `dmacheck prove --strategy S [--mutant M] [--config C] [--property P]... [--scope K=V,...]
               [--states N] [--depth D] [--time SECONDS] [--dfs] [--no-symmetry] [--out DIR]
dmacheck prove [--update]     every strategy in every config at its proof scope, compared with proofs.json

  Exhausts the reachable state space at a scope (default: each config's proof scope, see dmacheck list)
  and proves each property in all its states, or prints a shortest counterexample and writes its file.
  --scope K=V,...  procs, vpages, frames, jobs, invalidations, vram (P2P configs)
  --states N       stop after N distinct states per search (default ${defaultProofBudget.maxStates}): exit 3
  --depth D        only traces of at most D actions: a bounded check, exit 3 if nothing fails
  --dfs            depth-first: the same proofs in less memory (a path's siblings, not a layer, are kept),
                   but a counterexample is a path of the search, not a shortest one; no --depth
  --no-symmetry    keep states that differ only by which job slot holds which job apart (by default a
                   strategy that says where it stores job slots is searched one state per relabelling)
  exit: 0 proved (or failing as the manifest expects), 1 an unexpected counterexample, 2 usage, 3 stopped`;

export const EXIT_STOPPED = 3;

function printFailure(m: Model, f: Failure, path: string, budget: ProofBudget): void {
  const which = budget.order === 'depth' ? 'a counterexample (depth-first: not a shortest one)' : 'shortest counterexample';
  printExplained(m, f, `${f.property} FAILS: ${which}, ${f.actions.length} action(s), written to ${path}`);
}

export async function proveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      strategy: { type: 'string' },
      mutant: { type: 'string' },
      config: { type: 'string' },
      property: { type: 'string', multiple: true },
      scope: { type: 'string' },
      states: { type: 'string' },
      depth: { type: 'string' },
      time: { type: 'string' },
      dfs: { type: 'boolean' },
      'no-symmetry': { type: 'boolean' },
      out: { type: 'string' },
      update: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(PROVE_USAGE);
    return 0;
  }
  const budget: ProofBudget = {
    maxStates: intArg('--states', values.states, defaultProofBudget.maxStates),
    maxDepth: values.depth === undefined ? undefined : intArg('--depth', values.depth, 0),
    timeMs: values.time === undefined ? undefined : intArg('--time', values.time, 1) * 1000,
    order: values.dfs ? 'depth' : 'breadth',
    symmetry: !values['no-symmetry'],
  };
  if (values.dfs && values.depth !== undefined) throw new UsageError('--dfs takes no --depth: a depth-first search with a depth bound would leave out states first met deep');
  if (values.strategy === undefined) {
    if (values.mutant || values.config || values.scope || values.property) throw new UsageError('--mutant, --config, --scope and --property need --strategy');
    if (values.dfs) throw new UsageError('--dfs needs --strategy: proofs.json records shortest counterexamples, which only the breadth-first search gives');
    return proveAll(budget, values.out ?? 'out', values.update ?? false);
  }
  if (values.update) throw new UsageError('--update rewrites proofs.json from a run over every strategy: give no --strategy');
  const s = strategyArg(values.strategy);
  const mutant = mutantArg(s, values.mutant);
  const only = configArg(s, values.config);
  const scope = scopeArg(values.scope);
  const asked = values.property?.map((id) => {
    const p = propertyById(id);
    if (!p || p.kind === 'sometimes') throw new UsageError(`--property: unknown property '${id}' (one of: ${verdictProperties.map((x) => x.id).join(', ')})`);
    return p;
  });
  const out = values.out ?? 'out';
  const man = loadManifest();
  let code = 0;
  for (const base of only ? [only] : configsOf(s)) {
    const cfg = scope ? scopedConfig(base, scope) : proofConfig(base);
    const { code: c } = proveOne(s, mutant, cfg, base, asked, budget, man, out);
    if (c === 1 || (c === EXIT_STOPPED && code === 0)) code = c;
  }
  return code;
}

export function proveOne(
  s: Strategy,
  mutant: string | null,
  cfg: Config,
  base: Config,
  asked: Property<any>[] | undefined,
  budget: ProofBudget,
  man: Manifest | null,
  out: string,
): { code: number; records: ProofRecord[] } {
  const strategy = s.name;
  const scope = scopeText(cfg.scope);
  const records: ProofRecord[] = [];
  // A mutant is held to what its correct design does not fail in this config (holds or n/a), as with check.
  const props = asked ?? (mutant ? heldProperties(s, base, defaultBudget, man) : [...verdictProperties]);
  const m = makeModel(s, cfg, mutant);
  const who = `${strategy}${mutant ? ` (mutant ${mutant})` : ''}`;
  const t0 = performance.now();
  const bar = searchProgress(`prove ${who} in ${cfg.name}`, budget.maxStates);
  const r = proveModel(m, props, { ...budget, onProgress: (p) => bar.update(p) });
  bar.done();
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`prove ${who} in ${cfg.name}, scope ${scope} (${secs} s):`);
  for (const p of r.proved) {
    records.push({ strategy, config: base.name, scope, property: p.property, verdict: p.premiseReached ? 'proved' : 'n/a', states: p.states });
    const deepest = budget.order === 'depth' ? `deepest path of the depth-first search ${p.depth} actions` : `deepest trace ${p.depth} actions`;
    const orbits = p.symmetric ? ', one per relabelling of job slots' : '';
    if (p.premiseReached) console.log(`  proved: ${p.property} holds in all ${p.states} states (${deepest}${orbits})`);
    else console.log(`  n/a: ${p.property}: its premise (${propertyById(p.property)?.premise}) arises in none of the ${p.states} states, so holding proves nothing`);
  }
  let code = 0;
  for (const u of r.unfinished) {
    const why = u.stoppedBy === 'depth' ? `every trace of at most ${budget.maxDepth} actions was explored, not the whole space` : u.stoppedBy === 'states' ? `the budget of ${budget.maxStates} states ran out` : 'the time ran out';
    console.log(`  NOT PROVED: ${u.property}: no violation in ${u.states} states, but ${why}`);
    records.push({ strategy, config: base.name, scope, property: u.property, verdict: 'unfinished', states: u.states });
    code = EXIT_STOPPED;
  }
  for (const f of r.failures) {
    const path = saveCounterexample(out, toCounterexample(m, f, 'prove'));
    records.push({ strategy, config: base.name, scope, property: f.property, verdict: 'fails', states: f.actions.length });
    printFailure(m, f, path, budget);
    const known = !asked && !mutant && expectedVerdict(man, strategy, base.name, f.property) === 'fails';
    // A capability the design gives up is a trade-off, not a bug: as with check, it makes the exit code 1
    // only when asked for (--property) or for a mutant.
    const givenUp = !asked && !mutant && propertyById(f.property)?.capability === true;
    if (known) console.log(`    (a known weakness: the manifest records ${f.property} as failing for ${strategy} in ${base.name})`);
    else if (givenUp) console.log(`    (gives up: ${f.property} is a capability the design trades away; the manifest's budget at the config's own scope did not find it)`);
    else code = 1;
  }
  // In table order, as proofs.json keeps them.
  const order = props.map((p) => p.id);
  records.sort((a, b) => order.indexOf(a.property) - order.indexOf(b.property));
  return { code, records };
}

/** Every strategy in every config at its proof scope, compared with proofs.json (or written to it). */
function proveAll(budget: ProofBudget, out: string, update: boolean): number {
  const man = loadManifest();
  const records: ProofRecord[] = [];
  let code = 0;
  for (const s of tableStrategies()) {
    for (const base of configsOf(s)) {
      const r = proveOne(s, null, proofConfig(base), base, undefined, budget, man, out);
      records.push(...r.records);
      if (r.code === 1) code = 1;
    }
  }
  if (update) {
    writeProofs(records);
    console.log(`\n${PROOFS_PATH} written (${records.length} proofs)`);
    return code;
  }
  const was = loadProofs();
  const differ = records.filter((x) => {
    const w = proofOf(was, x.strategy, x.config, x.property);
    return !w || w.verdict !== x.verdict || w.states !== x.states || w.scope !== x.scope;
  });
  const proved = records.filter((x) => x.verdict === 'proved').length;
  console.log(`\n${proved} of ${records.length} cells proved at their proof scope; ${records.filter((x) => x.verdict === 'unfinished').length} unfinished`);
  if (differ.length === 0) {
    console.log(`every proof equals proofs.json`);
    return code;
  }
  console.log(`${differ.length} differ from proofs.json:`);
  for (const x of differ) {
    const w = proofOf(was, x.strategy, x.config, x.property);
    console.log(`  ${x.strategy} / ${x.config} / ${x.property}: ${x.verdict} (${x.states}), proofs.json says ${w ? `${w.verdict} (${w.states})` : 'nothing'}`);
  }
  return 1;
}

