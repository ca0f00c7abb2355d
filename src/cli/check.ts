import { parseArgs } from 'node:util';
import { existsSync, writeFileSync } from 'node:fs';
import type { Counterexample } from '../counterexample/format.ts';
import { explainTrace } from '../explain/explanation.ts';
import { renderHtml } from '../explain/render-html.ts';
import { renderMarkdown } from '../explain/render-markdown.ts';
import { progress } from './progress.ts';
import { tableStrategies } from '../registry.ts';
import { basename } from 'node:path';
import { manifestPath as defaultManifestPath } from '../registry.ts';
import type { Strategy } from '../../model/strategy.ts';
import type { Config } from '../../model/types.ts';
import { makeModel } from '../../model/model.ts';
import { optInProperties, propertyById, verdictProperties, witnesses } from '../../properties/index.ts';
import type { Property } from '../../properties/types.ts';
import { defaultBudget, type Budget } from '../check.ts';
import { toCounterexample, saveCounterexample } from '../counterexample/save.ts';
import { configsOf, designMismatches, expectedWitnesses, heldProperties, loadManifest, MANIFEST_PATH, premisesOf, verdictOf, writeManifest, type Manifest } from '../verdicts.ts';
import { computeMatrix, differences, matrixCells, matrixWitnesses, mismatches, renderTable, type Matrix } from '../matrix.ts';
import type { Model } from '../../model/model.ts';
import type { Failure } from '../check.ts';
import { explainedText } from './print.ts';
import { Coverage, renderCoverage, type CoverageReport } from '../coverage.ts';
import { configArg, intArg, mutantArg, scopeArg, scopedConfig, strategyArg, UsageError } from './usage.ts';
import { configByName, sameScope, scopeText } from '../../model/configs.ts';
import { defaultExplorer, explorerNames, runExplorer, type ExplorerName } from '../explorers.ts';

const DEFAULT_OUT = 'out';

export const CHECK_USAGE = `dmacheck check [--strategy S [--mutant M] [--config C] [--property P]... [--explorer E] [--scope K=V,...]]
               [--runs N] [--seed X] [--max-commands N] [--out DIR] [--html] [--markdown] [--coverage] [--json]
               [--manifest FILE] [--update-manifest]

  With --strategy: run the properties on one design (or mutant) in its configs (or --config), print what
  holds, what is n/a, what fails and what the design gives up, and write each counterexample to --out.
  With no strategy: every strategy in every config, a table, compared with the manifest.

  --explorer E     ${explorerNames.join(', ')} (default ${defaultExplorer})
  --runs N         fast-check runs per config (default ${defaultBudget.runs}); --seed X, --max-commands N
  --out DIR        where counterexamples are written (default ${DEFAULT_OUT}/)
  --html           also write each counterexample's HTML report beside it (NAME.html)
  --markdown       also write each counterexample's Markdown (with a Mermaid diagram) beside it (NAME.md)
  --coverage       print how often each action kind ran, in how many visited states it was enabled, which
                   kinds were never enabled, and which witnesses were reached at what depth (fast-check or walks)
  --json           print one JSON document { checks: [...] } (with the coverage) instead of the text
  --update-manifest  with no strategy: write the verdicts to the manifest instead of comparing

  A capability (migratable, transparent, oom-reclaimable) a design gives up is printed as "gives up" and
  does not fail the command unless asked for with --property.

  exit: 0 all as expected, 1 a property failed or a verdict differs from the manifest, 2 bad usage`;

function failureText(m: Model, f: Failure, path: string, givesUp: boolean): string {
  return explainedText(m, f, givesUp ? `gives up ${f.property} (a capability, not a bug), shown in ${f.actions.length} steps: ${path}` : `${f.property} FAILS in ${f.actions.length} steps: ${path}`);
}

/** The renderings asked for, written beside the counterexample file. */
function writeRenderings(m: Model, f: Failure, path: string, cx: Counterexample, html: boolean, markdown: boolean): void {
  if (!html && !markdown) return;
  const p = propertyById(f.property)!;
  const x = explainTrace(m, f.actions, [p], { verdict: cx.verdict, question: cx.question, property: p });
  if (html) writeFileSync(path.replace(/\.json$/, '.html'), renderHtml(x));
  if (markdown) writeFileSync(path.replace(/\.json$/, '.md'), renderMarkdown(x));
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
      html: { type: 'boolean' },
      markdown: { type: 'boolean' },
      coverage: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(CHECK_USAGE);
    return 0;
  }
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
    if (!p) throw new UsageError(`--property: unknown property '${id}' (one of: ${[...verdictProperties, ...optInProperties].map((x) => x.id).join(', ')})`);
    return p;
  });
  if (values.strategy === undefined) {
    if (values.mutant || values.config) throw new UsageError('--mutant and --config need --strategy');
    if (values.explorer) throw new UsageError('--explorer needs --strategy (the manifest was computed with fast-check)');
    if (scope) throw new UsageError('--scope needs --strategy (the manifest was computed at each config\'s own scope)');
    if (values.coverage || values.json) throw new UsageError('--coverage and --json need --strategy (with no strategy, dmacheck matrix --json gives the table as JSON)');
    if (values.html || values.markdown) throw new UsageError('--html and --markdown need --strategy (with no strategy, render the files written with dmacheck replay FILE --html OUT)');
    return checkAll(budget, out, values['update-manifest'] ?? false, man, manifestPath);
  }
  const s = strategyArg(values.strategy);
  const mutant = mutantArg(s, values.mutant);
  const only = configArg(s, values.config);
  const cfgs = (only ? [only] : configsOf(s)).map((c) => scopedConfig(c, scope));
  if (values.coverage && explorer === 'bfs') throw new UsageError('--coverage counts the runs of fast-check or of walks; an exhaustive search has no runs (dmacheck prove says what it reached)');
  return checkOne(s, mutant, cfgs, props, budget, out, explorer, values.seed, man, {
    html: values.html ?? false, markdown: values.markdown ?? false, coverage: values.coverage ?? false, json: values.json ?? false,
  });
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
  opts: { html: boolean; markdown: boolean; coverage: boolean; json: boolean },
): Promise<number> {
  let failed = false;
  // With --json, stdout is one JSON document: the lines for people are not printed.
  const say = opts.json ? () => {} : (t: string) => console.log(t);
  const report: CheckReport[] = [];
  for (const cfg of cfgs) {
    // A mutant is checked against what the correct design does not fail in that config, holds or n/a
    // (unless --property); at another scope than the config's own, against the config's verdicts.
    const own = configByName(cfg.name);
    // A kernel variant, like a mutant, is held to what the correct design does not fail in its base config.
    const base = cfg.variant ? configByName(cfg.variant.base) : undefined;
    const checked = props ?? (mutant || base ? heldProperties(s, base ?? own ?? cfg, budget, man) : [...verdictProperties]);
    const m = makeModel(s, cfg, mutant);
    // A mutant or a kernel variant (unless --property) is checked as `dmacheck mutants` does: the first
    // property that fails kills it, and the search stops there (the rest of the budget would only judge
    // what a kill settles); its verdicts need only the premises of what it is held to.
    const heldTo = (mutant !== null || base !== undefined) && !props;
    const killOnly = heldTo && explorer === 'fast-check';
    const watched = heldTo ? premisesOf(checked) : witnesses;
    const cov = opts.coverage || opts.json ? new Coverage() : undefined;
    const { result: r, budgetLine } = runExplorer(explorer, m, [...checked, ...watched], budget, seed, killOnly, cov);
    const killed = killOnly && r.failures.length > 0;
    const scoped = !own || !sameScope(own.scope, cfg.scope);
    const where = base ? `kernel variant ${cfg.name} (${base.name} with: ${cfg.variant!.stands})` : cfg.name;
    say(`${s.name}${mutant ? ` (mutant ${mutant})` : ''} in ${where}${scoped && !base ? `, scope ${scopeText(cfg.scope)}` : ''} (${explorer}): ${budgetLine}`);
    const held = killed ? [] : checked.filter((p) => r.holds.includes(p.id));
    const unjudged = killed ? checked.filter((p) => r.holds.includes(p.id)) : [];
    const holds = held.filter((p) => verdictOf(p, false, r.reached) === 'holds');
    const na = held.filter((p) => verdictOf(p, false, r.reached) === 'n/a');
    if (holds.length) say(`  holds: ${holds.map((p) => p.id).join(', ')}`);
    if (na.length) say(`  n/a (premise never reached): ${na.map((p) => `${p.id} (${p.premise})`).join(', ')}`);
    // The correct design is held to the witnesses and premises the manifest records for it (at its own scope).
    // (Only a run like the manifest's: the whole set of properties, the default budget, fast-check.)
    const asManifest = !props && explorer === 'fast-check' && budget.runs === defaultBudget.runs && budget.seed === defaultBudget.seed && budget.maxCommands === defaultBudget.maxCommands;
    if (!mutant && !base && !scoped && asManifest && !witnessesKept(s.name, cfg.name, held, r.reached, man, say)) failed = true;
    const coverage = cov?.report([...m.kinds.values()], witnesses.map((w) => w.id));
    if (coverage && opts.coverage) say(renderCoverage(coverage));
    const entry: CheckReport = {
      strategy: s.name, mutant, config: cfg.name, scope: cfg.scope, explorer, budget: budgetLine,
      holds: holds.map((p) => p.id), na: na.map((p) => p.id), failures: [], reached: [...r.reached].sort(), ...(coverage ? { coverage } : {}),
    };
    report.push(entry);
    for (const f of r.failures) {
      // A capability a design gives up (migratable, transparent, oom-reclaimable) is a trade-off, not a
      // bug: it fails the command only when asked for with --property.
      const givesUp = !props && propertyById(f.property)?.capability === true;
      if (!givesUp) failed = true;
      const cx = toCounterexample(m, f, explorer);
      const path = saveCounterexample(out, cx);
      writeRenderings(m, f, path, cx, opts.html, opts.markdown);
      entry.failures.push({ property: f.property, clause: f.violation.clause, givesUp, steps: f.actions.length, file: path, message: f.violation.message });
      say(failureText(m, f, path, givesUp));
    }
    if (killed) {
      if (unjudged.length) say(`  not judged (the search stops at the first kill; name them with --property): ${unjudged.map((p) => p.id).join(', ')}`);
      break; // killed: the configs after this one are not searched
    }
  }
  if (opts.json) console.log(JSON.stringify({ checks: report, exit: failed ? 1 : 0 }, null, 2));
  return failed ? 1 : 0;
}

/** One config's check, as `check --json` prints it. */
interface CheckReport {
  strategy: string;
  mutant: string | null;
  config: string;
  scope: Config['scope'];
  explorer: string;
  budget: string;
  holds: string[];
  na: string[];
  failures: { property: string; clause: string; givesUp: boolean; steps: number; file: string; message: string }[];
  reached: string[];
  coverage?: CoverageReport;
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
function witnessesKept(strategy: string, config: string, held: readonly Property<any>[], reached: ReadonlySet<string>, man: Manifest | null, say: (t: string) => void): boolean {
  const cells = held.map((p) => ({ strategy, config, property: p.id, verdict: verdictOf(p, false, reached) }));
  // Only a premise the manifest needs (it says holds) or a listed witness counts here: a verdict that
  // differs otherwise is the full check's business.
  const misses = designMismatches(strategy, config, cells, reached, man).filter(
    (x) => x.witness !== undefined && (x.property === undefined || (x.verdict === 'n/a' && x.expected === 'holds')),
  );
  if (expectedWitnesses(man, strategy, config) === undefined) say(`  (the manifest lists no witnesses for ${strategy} in ${config})`);
  for (const x of misses) say(`  NOT REACHED: ${x.message}`);
  return misses.length === 0;
}

/** Every strategy in every config; a table; exit 0 only when every verdict and witness equals the manifest's. */
async function checkAll(budget: Budget, out: string, update: boolean, man: Manifest | null, manifestPath: string): Promise<number> {
  const total = tableStrategies().reduce((n, s) => n + configsOf(s).length, 0);
  const bar = progress('check', total);
  const m = computeMatrix(budget, man, out, (r) => bar.tick(`${r.strategy} in ${r.config}`));
  bar.done();
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
