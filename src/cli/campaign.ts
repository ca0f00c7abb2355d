// dmacheck campaign: seeded walks (or fast-check runs) of one strategy or mutant on worker threads, in
// shards that N machines run apart and `dmacheck merge` puts together (src/campaign/*).
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { propertyById, verdictProperties, witnesses } from '../../properties/index.ts';
import { configsOf, heldProperties, loadManifest } from '../verdicts.ts';
import { defaultBudget } from '../check.ts';
import { configArg, intArg, mutantArg, strategyArg, UsageError } from './usage.ts';
import { BLOCK, parseDuration, parseShard, type CampaignExplorer, type CampaignId } from '../campaign/spec.ts';
import { runPool, type Progress } from '../campaign/pool.ts';
import { pbfs } from '../campaign/pbfs.ts';
import { makeModel } from '../../model/model.ts';
import { configByName } from '../../model/configs.ts';
import { findStrategy, userModules } from '../registry.ts';
import { saveCounterexample, toCounterexample } from '../counterexample/save.ts';
import { CORPUS_DIR, SUMMARY_FILE, summaryOf } from '../campaign/summary.ts';

export const CAMPAIGN_USAGE = `dmacheck campaign --strategy S [--mutant M] [--config C] [--property P]... [--explorer walk|fast-check]
                  [--runs N | --time T] [--seed X] [--max-steps K] [--workers N] [--shard I/N | --shards N] [--out DIR]
dmacheck campaign --strategy S [--mutant M] [--config C] [--property P]... --explorer bfs [--depth D] [--states N] [--workers N] [--out DIR]

  --runs N       N units per config (a unit: walk <seed>#u, or one fast-check run): deterministic, shardable
  --time T       run until T (20s, 10m, 1h) has passed; which units ran depends on the machine's speed
  --workers N    worker threads (default: every core, here ${availableParallelism()})
  --shard I/N    run shard I of N (1-based): blocks of ${BLOCK} units, block b to shard (b mod N) + 1;
                 or the 0-based JOB_COMPLETION_INDEX (Kubernetes indexed Job) or DMACHECK_SHARD_INDEX,
                 with --shards N or DMACHECK_SHARDS=N
  --out DIR      writes DIR/${SUMMARY_FILE} and DIR/${CORPUS_DIR}/*.json (default: campaign)
  --explorer bfs exhaustive breadth-first search, its visited set partitioned over the workers (one
                 machine; not sharded): the shortest counterexample to DIR/${CORPUS_DIR}/; exit 3 if the
                 budget (--depth, default 12; --states, default 200000) stopped it first
Properties: those the correct design does not fail in each config (manifest.json), and the witnesses.
Exit: 0 no property broke, 1 some did (counterexamples written, shrunk), 2 bad usage, 3 (bfs) stopped by its budget.`;

function usage(msg: string): never {
  throw new UsageError(`${msg}\n\n${CAMPAIGN_USAGE}`);
}

export async function campaignCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      strategy: { type: 'string' },
      mutant: { type: 'string' },
      config: { type: 'string' },
      property: { type: 'string', multiple: true },
      explorer: { type: 'string' },
      runs: { type: 'string' },
      time: { type: 'string' },
      seed: { type: 'string' },
      'max-steps': { type: 'string' },
      workers: { type: 'string' },
      shard: { type: 'string' },
      shards: { type: 'string' },
      out: { type: 'string' },
      depth: { type: 'string' },
      states: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(CAMPAIGN_USAGE);
    return 0;
  }
  if (values.strategy === undefined) usage('--strategy is required');
  const s = strategyArg(values.strategy);
  const mutant = mutantArg(s, values.mutant);
  const only = configArg(s, values.config);
  if (values.explorer === 'bfs') {
    for (const f of ['runs', 'time', 'shard', 'shards', 'seed', 'max-steps'] as const) {
      if (values[f] !== undefined) usage(`--${f}: not with --explorer bfs (an exhaustive search has no seeds to shard; its visited set is partitioned over the workers of one machine)`);
    }
  } else if (values.depth !== undefined || values.states !== undefined) usage(`--${values.depth !== undefined ? 'depth' : 'states'}: only with --explorer bfs`);
  const explorer = (values.explorer ?? 'walk') as CampaignExplorer | 'bfs';
  if (explorer !== 'walk' && explorer !== 'fast-check' && explorer !== 'bfs') usage(`--explorer: expected walk, fast-check or bfs, got '${values.explorer}'`);
  if (values.runs !== undefined && values.time !== undefined) usage('--runs and --time: give one (--runs N is deterministic and shardable; --time T stops at a deadline)');
  let timeMs: number | null = null;
  if (values.time !== undefined) {
    try {
      timeMs = parseDuration(values.time);
    } catch (e) {
      usage((e as Error).message);
    }
  }
  const runs = timeMs === null ? intArg('--runs', values.runs, 1000) : null;
  const workers = intArg('--workers', values.workers, availableParallelism());
  const maxSteps = intArg('--max-steps', values['max-steps'], explorer === 'walk' ? 60 : defaultBudget.maxCommands);
  let shard;
  try {
    shard = parseShard(values.shard, values.shards, process.env) ?? { index: 1, count: 1 };
  } catch (e) {
    usage((e as Error).message);
  }
  const asked = values.property?.map((id) => propertyById(id) ?? usage(`--property: unknown property '${id}' (one of: ${verdictProperties.map((p) => p.id).join(', ')})`));
  const man = loadManifest();
  const cfgs = only ? [only] : configsOf(s);
  const properties: Record<string, string[]> = {};
  for (const c of cfgs) {
    const held = asked ?? heldProperties(s, c, defaultBudget, man);
    properties[c.name] = [...held.map((p) => p.id), ...witnesses.map((w) => w.id)];
  }
  const out = values.out ?? 'campaign';
  if (explorer === 'bfs') {
    return exhaustive(s.name, mutant, cfgs.map((c) => c.name), properties, {
      workers,
      maxDepth: intArg('--depth', values.depth, 12),
      maxStates: intArg('--states', values.states, 200_000),
      out,
    });
  }
  const id: CampaignId = {
    strategy: s.name,
    mutant,
    configs: cfgs.map((c) => c.name),
    explorer,
    seed: values.seed ?? 'dmacheck',
    runs,
    timeMs,
    maxSteps,
    properties,
    block: BLOCK,
  };
  const who = `${s.name}${mutant ? ` (mutant ${mutant})` : ''}`;
  console.log(`campaign ${who} in ${id.configs.join(', ')}: ${explorer}, seed ${id.seed}, ${runs !== null ? `${runs} units per config` : `for ${values.time}`}, shard ${shard.index}/${shard.count}, ${workers} worker${workers > 1 ? 's' : ''}`);
  const progress = progressPrinter();
  const r = await runPool({ id, shard, workers, modules: userModules(), onProgress: progress.update });
  progress.stop();
  const t = Object.values(r.tallies);
  const actions = t.reduce((a, x) => a + x.actions, 0);
  const MiB = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  const summary = summaryOf(id, shard, r.tallies, r.files, {
    shard: shard.index,
    workers,
    wallMs: Math.round(r.wallMs),
    cpuMs: Math.round(r.cpuMs),
    actionsPerWallSecond: Math.round((actions / r.wallMs) * 1000),
    heapFirstMiB: MiB(r.heap.first),
    heapLastMiB: MiB(r.heap.last),
    heapMaxMiB: MiB(r.heap.max),
  });
  mkdirSync(join(out, CORPUS_DIR), { recursive: true });
  for (const f of r.files) writeFileSync(join(out, CORPUS_DIR, f.file), f.text);
  writeFileSync(join(out, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n');
  for (const c of id.configs) {
    const x = summary.configs[c]!;
    console.log(`  ${c}: ${x.units} units, ${x.walks} ${explorer === 'walk' ? 'walks' : 'runs'}, ${x.actions} actions; witnesses reached: ${x.reached.length ? x.reached.join(', ') : 'none'}`);
  }
  for (const v of summary.violations) {
    console.log(`  ${v.property} FAILS in ${v.config} (${v.units} unit${v.units > 1 ? 's' : ''}; first: unit ${v.unit}, seed ${v.seed}), shrunk ${v.foundLength} -> ${v.length} steps: ${join(out, CORPUS_DIR, v.file)}`);
  }
  console.log(`${summary.total.units} units, ${summary.total.actions} actions in ${(r.wallMs / 1000).toFixed(1)} s (${summary.timing[0]!.actionsPerWallSecond} actions/s, ${(r.cpuMs / 1000).toFixed(1)} CPU-s); ${join(out, SUMMARY_FILE)} written`);
  return summary.violations.length > 0 ? 1 : 0;
}

/** The exhaustive search of each config on the workers (src/campaign/pbfs.ts). */
async function exhaustive(
  strategy: string,
  mutant: string | null,
  configs: string[],
  properties: Record<string, string[]>,
  o: { workers: number; maxDepth: number; maxStates: number; out: string },
): Promise<number> {
  let failed = false;
  let stopped = false;
  for (const config of configs) {
    const r = await pbfs({ strategy, mutant, config, properties: properties[config]!, modules: userModules(), workers: o.workers, maxDepth: o.maxDepth, maxStates: o.maxStates });
    const st = r.stats;
    console.log(
      `${strategy}${mutant ? ` (mutant ${mutant})` : ''} in ${config} (bfs, ${o.workers} worker${o.workers > 1 ? 's' : ''}): ${st.states} distinct states to depth ${st.depth}` +
        `${st.closed ? ' (scope exhausted)' : st.exhausted ? ` (every state to depth ${o.maxDepth})` : failed || r.failure ? '' : ' (STOPPED at the budget)'}, ${st.transitions} transitions, ${st.sent} sent between workers, ` +
        `${(st.ms / 1000).toFixed(1)} s, ${Math.round((st.states / st.ms) * 1000)} states/s`,
    );
    if (r.failure) {
      failed = true;
      const m = makeModel(findStrategy(strategy)!, configByName(config)!, mutant);
      const f = r.failure;
      const path = saveCounterexample(join(o.out, CORPUS_DIR), toCounterexample(m, { property: f.violation.property, violation: f.violation, actions: f.actions, foundLength: f.actions.length, seed: '', path: '', ms: st.ms, searchMs: st.ms }, 'bfs'));
      console.log(`  ${f.violation.property} FAILS in ${f.actions.length} steps (a shortest trace): ${path}`);
    } else if (!st.exhausted) stopped = true;
  }
  return failed ? 1 : stopped ? 3 : 0;
}

/** A progress bar on a terminal (stderr), plain lines every 5 s otherwise. */
function progressPrinter(): { update: (p: Progress) => void; stop: () => void } {
  const fmt = (ms: number | null) => (ms === null ? '?' : ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s` : `${(ms / 1000).toFixed(0)}s`);
  const rate = (p: Progress) => Math.round((p.actions / Math.max(1, p.elapsedMs)) * 1000);
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: ' {bar} {percentage}% | {units} units | {states} states | {rate} actions/s | {violations} violations | {left} left {phase}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const total = p.planned ?? 1000;
        const value = p.planned !== null ? p.units : Math.round((1000 * p.elapsedMs) / Math.max(1, p.elapsedMs + (p.leftMs ?? 0)));
        const payload = { units: p.units, states: p.actions, rate: rate(p), violations: p.violations, left: fmt(p.leftMs), phase: p.phase === 'shrink' ? '(shrinking)' : '' };
        if (!started) {
          bar.start(total, value, payload);
          started = true;
        } else bar.update(value, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(p) {
      if (p.phase === 'search' && p.elapsedMs - last < 5000) return;
      last = p.elapsedMs;
      console.error(`  ${fmt(p.elapsedMs)}: ${p.units}${p.planned !== null ? `/${p.planned}` : ''} units, ${p.actions} states, ${rate(p)} actions/s, ${p.violations} violations, ${fmt(p.leftMs)} left${p.phase === 'shrink' ? ', shrinking' : ''}`);
    },
    stop: () => {},
  };
}
