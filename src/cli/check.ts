import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { manifestPath as defaultManifestPath } from '../registry.ts';
import type { Strategy } from '../../model/strategy.ts';
import type { Config } from '../../model/types.ts';
import { makeModel } from '../../model/model.ts';
import { propertyById, verdictProperties, witnesses } from '../../properties/index.ts';
import type { Property } from '../../properties/types.ts';
import { defaultBudget, type Budget } from '../check.ts';
import { toCounterexample, saveCounterexample } from '../counterexample/save.ts';
import { configsOf, designMismatches, expectedWitnesses, heldProperties, loadManifest, MANIFEST_PATH, premisesOf, verdictOf, writeManifest, type Manifest } from '../verdicts.ts';
import { computeMatrix, differences, matrixCells, matrixWitnesses, mismatches, renderTable, type Matrix } from '../matrix.ts';
import type { Model } from '../../model/model.ts';
import type { Failure } from '../check.ts';
import { printExplained } from './print.ts';
import { configArg, intArg, mutantArg, scopeArg, scopedConfig, strategyArg, UsageError } from './usage.ts';
import { configByName, sameScope, scopeText } from '../../model/configs.ts';
import { defaultExplorer, explorerNames, runExplorer, type ExplorerName } from '../explorers.ts';

const DEFAULT_OUT = 'out';

function printFailure(m: Model, f: Failure, path: string): void {
  printExplained(m, f, `${f.property} FAILS in ${f.actions.length} steps: ${path}`);
}

export async function checkCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      strategy: { type: 'string' },
      mutant: { type: 'string' },
      config: { type: 'string' },
      property: { type: 'string', multiple: true },
      runs: { type: 'string' },
      seed: { type: 'string' },
      'max-commands': { type: 'string' },
      out: { type: 'string' },
      'update-manifest': { type: 'boolean' },
      manifest: { type: 'string' },
      explorer: { type: 'string' },
      scope: { type: 'string' },
    },
    strict: true,
  });
  const scope = scopeArg(values.scope);
  const explorer = (values.explorer ?? defaultExplorer) as ExplorerName;
  if (!explorerNames.includes(explorer)) throw new UsageError(`--explorer: expected one of ${explorerNames.join(', ')}, got '${values.explorer}'`);
  const budget: Budget = {
    runs: intArg('--runs', values.runs, defaultBudget.runs),
    // Walks take any seed string (e.g. nightly-2026-12-01#17); fast-check a number.
    seed: explorer === 'walk' ? defaultBudget.seed : intArg('--seed', values.seed, defaultBudget.seed, -(2 ** 31)),
    maxCommands: intArg('--max-commands', values['max-commands'], defaultBudget.maxCommands),
  };
  const out = values.out ?? DEFAULT_OUT;
  const manifestPath = values.manifest ?? defaultManifestPath();
  const man = manifestArg(values.manifest, values['update-manifest'] ?? false);
  const props = values.property?.map((id) => {
    const p = propertyById(id);
    if (!p) throw new UsageError(`--property: unknown property '${id}' (one of: ${verdictProperties.map((x) => x.id).join(', ')})`);
    return p;
  });
  if (values.strategy === undefined) {
    if (values.mutant || values.config) throw new UsageError('--mutant and --config need --strategy');
    if (values.explorer) throw new UsageError('--explorer needs --strategy (the manifest was computed with fast-check)');
    if (scope) throw new UsageError('--scope needs --strategy (the manifest was computed at each config\'s own scope)');
    return checkAll(budget, out, values['update-manifest'] ?? false, man, manifestPath);
  }
  const s = strategyArg(values.strategy);
  const mutant = mutantArg(s, values.mutant);
  const only = configArg(s, values.config);
  const cfgs = (only ? [only] : configsOf(s)).map((c) => scopedConfig(c, scope));
  return checkOne(s, mutant, cfgs, props, budget, out, explorer, values.seed, man);
}

async function checkOne(
  s: Strategy,
  mutant: string | null,
  cfgs: Config[],
  props: Property<any>[] | undefined,
  budget: Budget,
  out: string,
  explorer: ExplorerName,
  seed: string | undefined,
  man: Manifest | null,
): Promise<number> {
  let failed = false;
  for (const cfg of cfgs) {
    // A mutant is checked against what the correct design does not fail in that config, holds or n/a
    // (unless --property); at another scope than the config's own, against the config's verdicts.
    const own = configByName(cfg.name);
    const checked = props ?? (mutant ? heldProperties(s, own ?? cfg, budget, man) : [...verdictProperties]);
    const m = makeModel(s, cfg, mutant);
    // A mutant (unless --property) is checked as `dmacheck mutants` does: the first property that fails
    // kills it, and the search stops there (the rest of the budget would only judge what a kill settles).
    const killOnly = mutant !== null && !props && explorer === 'fast-check';
    // A mutant's verdicts need only the premises of what it is held to (as runMutant watches them).
    const watched = mutant !== null && !props ? premisesOf(checked) : witnesses;
    const { result: r, budgetLine } = runExplorer(explorer, m, [...checked, ...watched], budget, seed, killOnly);
    const killed = killOnly && r.failures.length > 0;
    const scoped = !own || !sameScope(own.scope, cfg.scope);
    console.log(`${s.name}${mutant ? ` (mutant ${mutant})` : ''} in ${cfg.name}${scoped ? `, scope ${scopeText(cfg.scope)}` : ''} (${explorer}): ${budgetLine}`);
    const held = killed ? [] : checked.filter((p) => r.holds.includes(p.id));
    const unjudged = killed ? checked.filter((p) => r.holds.includes(p.id)) : [];
    const holds = held.filter((p) => verdictOf(p, false, r.reached) === 'holds');
    const na = held.filter((p) => verdictOf(p, false, r.reached) === 'n/a');
    if (holds.length) console.log(`  holds: ${holds.map((p) => p.id).join(', ')}`);
    if (na.length) console.log(`  n/a (premise never reached): ${na.map((p) => `${p.id} (${p.premise})`).join(', ')}`);
    // The correct design is held to the witnesses and premises the manifest records for it (at its own scope).
    // (Only a run like the manifest's: the whole set of properties, the default budget, fast-check.)
    const asManifest = !props && explorer === 'fast-check' && budget.runs === defaultBudget.runs && budget.seed === defaultBudget.seed && budget.maxCommands === defaultBudget.maxCommands;
    if (!mutant && !scoped && asManifest && !witnessesKept(s.name, cfg.name, held, r.reached, man)) failed = true;
    for (const f of r.failures) {
      // A capability a design gives up (migratable, transparent, oom-reclaimable) is a trade-off, not a
      // bug: it fails the command only when asked for with --property.
      if (props || !propertyById(f.property)?.capability) failed = true;
      const path = saveCounterexample(out, toCounterexample(m, f, explorer));
      printFailure(m, f, path);
    }
    if (killed) {
      if (unjudged.length) console.log(`  not judged (the search stops at a mutant's first kill; name them with --property): ${unjudged.map((p) => p.id).join(', ')}`);
      break; // killed: the configs after this one are not searched
    }
  }
  return failed ? 1 : 0;
}

/** The manifest to compare with: --manifest FILE (which must exist and parse, unless it is to be written), or manifest.json. */
function manifestArg(path: string | undefined, update: boolean): Manifest | null {
  if (path === undefined) return loadManifest();
  if (!existsSync(path)) {
    if (update) return null;
    throw new UsageError(`--manifest: no file '${path}'`);
  }
  try {
    return loadManifest(path);
  } catch (e) {
    throw new UsageError(`--manifest: ${(e as Error).message} (expected the shape of manifest.json: verdicts of holds, fails or n/a, and witnesses per strategy and config)`);
  }
}

/**
 * A correct design's run against the manifest's expectations: every witness it lists for the design is
 * reached, and every property it says holds (of those not violated) had its premise reached. Prints each
 * miss, naming the witness.
 */
function witnessesKept(strategy: string, config: string, held: readonly Property<any>[], reached: ReadonlySet<string>, man: Manifest | null): boolean {
  const cells = held.map((p) => ({ strategy, config, property: p.id, verdict: verdictOf(p, false, reached) }));
  // Only a premise the manifest needs (it says holds) or a listed witness counts here: a verdict that
  // differs otherwise is the full check's business.
  const misses = designMismatches(strategy, config, cells, reached, man).filter(
    (x) => x.witness !== undefined && (x.property === undefined || (x.verdict === 'n/a' && x.expected === 'holds')),
  );
  if (expectedWitnesses(man, strategy, config) === undefined) console.log(`  (the manifest lists no witnesses for ${strategy} in ${config})`);
  for (const x of misses) console.log(`  NOT REACHED: ${x.message}`);
  return misses.length === 0;
}

/** Every strategy in every config; a table; exit 0 only when every verdict and witness equals the manifest's. */
async function checkAll(budget: Budget, out: string, update: boolean, man: Manifest | null, manifestPath: string): Promise<number> {
  const m = computeMatrix(budget, man, out);
  console.log(renderTable(m));
  if (update) {
    writeManifest(matrixCells(m), matrixWitnesses(m), manifestPath);
    console.log(`\n${manifestPath} written (${matrixCells(m).length} verdicts)`);
    return 0;
  }
  return reportDifferences(m, out);
}

export function reportDifferences(m: Matrix, out: string): number {
  const diffs = differences(m);
  const misses = mismatches(m).filter((x) => x.property === undefined);
  if (diffs.length === 0 && misses.length === 0) {
    console.log(`\nall ${matrixCells(m).length} verdicts equal the manifest, and every design reached its witnesses; counterexamples of failing cells in ${out}/`);
    return 0;
  }
  if (diffs.length > 0) {
    console.log(`\n${diffs.length} verdict(s) differ from ${basename(defaultManifestPath())}:`);
    for (const x of mismatches(m)) if (x.property !== undefined) console.log(`  ${x.message}`);
  }
  if (misses.length > 0) {
    console.log(`\n${misses.length} witness(es) of ${basename(defaultManifestPath())} not reached:`);
    for (const x of misses) console.log(`  ${x.message}`);
  }
  return 1;
}
