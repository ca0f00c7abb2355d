import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { manifestPath } from '../registry.ts';
import type { Strategy } from '../../model/strategy.ts';
import type { Config } from '../../model/types.ts';
import { makeModel } from '../../model/model.ts';
import { propertyById, verdictProperties, witnesses } from '../../properties/index.ts';
import type { Property } from '../../properties/types.ts';
import { defaultBudget, type Budget } from '../check.ts';
import { toCounterexample, saveCounterexample } from '../counterexample/save.ts';
import { configsOf, heldProperties, loadManifest, writeManifest } from '../verdicts.ts';
import { computeMatrix, differences, matrixCells, renderTable, type Matrix } from '../matrix.ts';
import { runActions } from '../run.ts';
import { explain, renderText } from '../counterexample/explain.ts';
import type { Model } from '../../model/model.ts';
import type { Failure } from '../check.ts';
import { configArg, intArg, mutantArg, strategyArg, UsageError } from './usage.ts';
import { defaultExplorer, explorerNames, runExplorer, type ExplorerName } from '../explorers.ts';

const DEFAULT_OUT = 'out';

function printFailure(m: Model, f: Failure, path: string): void {
  const r = runActions(m, f.actions, [propertyById(f.property)!], true);
  console.log(`  ${f.property} FAILS in ${f.actions.length} steps: ${path}`);
  console.log(renderText(explain(r.trace, r.violation, r.step)).replace(/^/gm, '    '));
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
      explorer: { type: 'string' },
    },
    strict: true,
  });
  const explorer = (values.explorer ?? defaultExplorer) as ExplorerName;
  if (!explorerNames.includes(explorer)) throw new UsageError(`--explorer: expected one of ${explorerNames.join(', ')}, got '${values.explorer}'`);
  const budget: Budget = {
    runs: intArg('--runs', values.runs, defaultBudget.runs),
    // Walks take any seed string (e.g. nightly-2026-12-01#17); fast-check a number.
    seed: explorer === 'walk' ? defaultBudget.seed : intArg('--seed', values.seed, defaultBudget.seed, -(2 ** 31)),
    maxCommands: intArg('--max-commands', values['max-commands'], defaultBudget.maxCommands),
  };
  const out = values.out ?? DEFAULT_OUT;
  const props = values.property?.map((id) => {
    const p = propertyById(id);
    if (!p) throw new UsageError(`--property: unknown property '${id}' (one of: ${verdictProperties.map((x) => x.id).join(', ')})`);
    return p;
  });
  if (values.strategy === undefined) {
    if (values.mutant || values.config) throw new UsageError('--mutant and --config need --strategy');
    if (values.explorer) throw new UsageError('--explorer needs --strategy (the manifest was computed with fast-check)');
    return checkAll(budget, out, values['update-manifest'] ?? false);
  }
  const s = strategyArg(values.strategy);
  const mutant = mutantArg(s, values.mutant);
  const only = configArg(s, values.config);
  return checkOne(s, mutant, only ? [only] : configsOf(s), props, budget, out, explorer, values.seed);
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
): Promise<number> {
  const man = loadManifest();
  let failed = false;
  for (const cfg of cfgs) {
    // A mutant is checked against what the correct design holds in that config (unless --property).
    const checked = props ?? (mutant ? heldProperties(s, cfg, budget, man) : [...verdictProperties]);
    const m = makeModel(s, cfg, mutant);
    const { result: r, budgetLine } = runExplorer(explorer, m, [...checked, ...witnesses], budget, seed);
    console.log(`${s.name}${mutant ? ` (mutant ${mutant})` : ''} in ${cfg.name} (${explorer}): ${budgetLine}`);
    if (r.holds.length) console.log(`  holds: ${r.holds.join(', ')}`);
    for (const f of r.failures) {
      // A capability a design gives up (migratable, transparent, oom-reclaimable) is a trade-off, not a
      // bug: it fails the command only when asked for with --property.
      if (props || !propertyById(f.property)?.capability) failed = true;
      const path = saveCounterexample(out, toCounterexample(m, f, explorer));
      printFailure(m, f, path);
    }
  }
  return failed ? 1 : 0;
}

/** Every strategy in every config; a table; exit 0 only when every verdict equals the manifest's. */
async function checkAll(budget: Budget, out: string, update: boolean): Promise<number> {
  const m = computeMatrix(budget, loadManifest(), out);
  console.log(renderTable(m));
  if (update) {
    writeManifest(matrixCells(m));
    console.log(`\n${manifestPath()} written (${matrixCells(m).length} verdicts)`);
    return 0;
  }
  return reportDifferences(m, out);
}

export function reportDifferences(m: Matrix, out: string): number {
  const diffs = differences(m);
  if (diffs.length === 0) {
    console.log(`\nall ${matrixCells(m).length} verdicts equal the manifest; counterexamples of failing cells in ${out}/`);
    return 0;
  }
  console.log(`\n${diffs.length} verdict(s) differ from ${basename(manifestPath())}:`);
  for (const d of diffs) console.log(`  ${d.strategy} / ${d.config} / ${d.property}: ${d.verdict}, manifest says ${d.expected ?? 'nothing'}`);
  return 1;
}
