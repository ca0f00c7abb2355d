// The engine's benchmark (issues 4 and 8), from compiled code (dist/bench/run.js), in one run: raw speed
// on the correct odp-mirror on one core (exhaustive distinct states/s and walk actions/s, each with no
// property, the safety properties and every held property; bytes per stored state), every mutant's whole
// `dmacheck check --mutant` (bench/mutant-times.ts: spawned, CPU seconds), the speed-up of a campaign on
// 2 workers over 1, and the workers' heap over a campaign; then each figure against the issue's target.
// The full mode adds issue 4's table: each explorer's time to the first violation per mutant.
//
//   npm run bench                      full run (about 20 minutes on 2 cores; a 10-minute soak with --soak)
//   npm run bench -- --quick           short budgets, no per-explorer table (a few minutes); or BENCH_QUICK=1
//   npm run bench -- --seeds 5 --strategy odp-mirror --no-write
import os from 'node:os';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { makeModel, type Model } from '../model/model.ts';
import { strategies } from '../model/strategies/index.ts';
import { killMutant, loadManifest } from '../src/verdicts.ts';
import { configByName } from '../model/configs.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import { propertyById, verdictProperties } from '../properties/index.ts';
import type { Property, Violation } from '../properties/types.ts';
import { Monitor, systemOf } from '../src/system.ts';
import { checkModel } from '../src/check.ts';
import { minimize } from '../src/shrink.ts';
import { fcExplore } from '../src/explore/fastcheck.ts';
import { walkExplore } from '../src/explore/walk.ts';
import { bfsExplore, type BfsStats } from '../src/explore/bfs.ts';
import type { Checker } from '../src/explore/system.ts';
import { packageRoot } from '../src/paths.ts';
import { mutantLine, mutantTimes, median as medianOf, type MutantTime } from './mutant-times.ts';
import { runPool } from '../src/campaign/pool.ts';
import { pbfs } from '../src/campaign/pbfs.ts';
import { BLOCK, type CampaignId } from '../src/campaign/spec.ts';
import { witnesses } from '../properties/index.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    seeds: { type: 'string' },
    strategy: { type: 'string' },
    'no-write': { type: 'boolean' },
    soak: { type: 'boolean' },
  },
});
const quick = flags.quick || process.env.BENCH_QUICK === '1';
const SEEDS = Number(flags.seeds ?? (quick ? 5 : 20));
/** Per search: give up after this long (counted as not found). */
const SEARCH_MS = quick ? 3000 : 10_000;
const BFS_MS = quick ? 5000 : 30_000;
const BFS_STATES = quick ? 300_000 : 2_000_000;
const SPEED_MS = quick ? 1500 : 5000;
const WALK_STEPS = Number(process.env.BENCH_WALK_STEPS ?? 60);
// The repository root, whether this runs from bench/run.ts or compiled, from dist/bench/run.js.
const root = packageRoot;

// ---- which properties to check: those the correct design holds in the config --------------------
type Manifest = { verdicts: { strategy: string; config: string; property: string; verdict: string }[] };
const manifestPath = `${root}/manifest.json`;
const manifest: Manifest | null = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : null;

function heldBy(strategy: string, config: string): Property<any>[] {
  const rows = manifest?.verdicts.filter((v) => v.strategy === strategy && v.config === config) ?? [];
  if (rows.length > 0) return rows.filter((v) => v.verdict !== 'fails').map((v) => propertyById(v.property)!).filter(Boolean);
  const m = makeModel(strategies.find((s) => s.name === strategy)!, configByName(config)!);
  return checkModel(m, verdictProperties, { runs: 300, maxCommands: 40, seed: 1 }).holds.map((id) => propertyById(id)!);
}

// ---- measuring ------------------------------------------------------------------------------------
/** A Monitor that notes when it first reports a violation: time to the first violation, whatever the explorer does after. */
function timed(m: Model, props: Property<any>[], t0: { at: number; first: number }) {
  return (s: State): Checker<State, ModelEvent, Violation> & { memory(r?: unknown[]): unknown[] } => {
    const mon = new Monitor(m, props, s);
    return {
      check(st, ev) {
        const v = mon.check(st, ev);
        if (v && t0.first < 0) t0.first = performance.now() - t0.at;
        return v;
      },
      get reached() {
        return mon.reached;
      },
      memory: (r?: unknown[]) => mon.memory(r),
    };
  };
}

interface Sample {
  ms: number | null; // null: not found within the budget
  found: number; // length as found
  shrunk: number;
}

function walkSample(m: Model, props: Property<any>[], seed: string): Sample {
  const clock = { at: performance.now(), first: -1 };
  const { failure } = walkExplore(systemOf(m), timed(m, props, clock), { seed, walks: 1e9, maxSteps: WALK_STEPS, timeMs: SEARCH_MS });
  if (!failure) return { ms: null, found: 0, shrunk: 0 };
  const id = (failure.violation as Violation).property;
  const shrunk = minimize(m, failure.actions, props.filter((p) => p.id === id), id);
  return { ms: clock.first, found: failure.actions.length, shrunk: shrunk.length };
}

const fcTotals = { executed: 0, skipped: 0, ms: 0 };
function fcSample(m: Model, props: Property<any>[], seed: number): Sample {
  const clock = { at: performance.now(), first: -1 };
  const { failure, stats } = fcExplore(systemOf(m), timed(m, props, clock), { runs: quick ? 300 : 1000, seed, maxCommands: 40 });
  fcTotals.executed += stats.executed;
  fcTotals.skipped += stats.skipped;
  fcTotals.ms += stats.ms;
  if (!failure) return { ms: null, found: 0, shrunk: 0 };
  const id = (failure.violation as Violation).property;
  const shrunk = minimize(m, failure.actions, props.filter((p) => p.id === id), id);
  return { ms: clock.first, found: failure.actions.length, shrunk: shrunk.length };
}

function bfsSample(m: Model, props: Property<any>[]): Sample & { stats: BfsStats } {
  const clock = { at: performance.now(), first: -1 };
  const { failure, stats } = bfsExplore(systemOf(m), timed(m, props, clock), { maxDepth: 40, maxStates: BFS_STATES, timeMs: BFS_MS });
  return { ms: failure ? clock.first : null, found: failure?.actions.length ?? 0, shrunk: failure?.actions.length ?? 0, stats };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmtMs = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(1) : Math.round(x).toString()) : '—');
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');

function summarize(samples: Sample[]) {
  const hit = samples.filter((s) => s.ms !== null);
  // Seeds that found nothing count as the budget (an upper bound) in the median.
  const times = samples.map((s) => s.ms ?? Infinity);
  return {
    found: `${hit.length}/${samples.length}`,
    median: median(times.map((t) => (Number.isFinite(t) ? t : SEARCH_MS))),
    max: hit.length === samples.length ? Math.max(...times) : Infinity,
    shrunk: hit.length ? median(hit.map((s) => s.shrunk)) : NaN,
    foundLen: hit.length ? median(hit.map((s) => s.found)) : NaN,
  };
}

/** CPU seconds of this process since `c0` (one thread runs the search; V8's helper threads count too). */
const cpuSeconds = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

// ---- the run ----------------------------------------------------------------------------------------
const lines: string[] = [];
const out = (s = '') => {
  console.log(s);
  lines.push(s);
};
const started = new Date();
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
/** Figures against the issue's targets, gathered as the sections run, printed last. */
const targets: { what: string; figure: string; target: string; met: boolean | null }[] = [];
const target = (what: string, figure: string, targetText: string, met: boolean | null) => targets.push({ what, figure, target: targetText, met });
out(`# dmacheck engine benchmark`);
out();
out(`Run ${started.toISOString()} on ${cpu} (${os.cpus().length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB), ${os.type()} ${os.release()}, Node ${process.version}; one core (single-threaded) except the campaign sections.`);
out(`Load average at the start: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} (the machine may be shared: read ratios, and CPU seconds, rather than absolutes).`);
out(`Mode: ${quick ? 'quick' : 'full'}${flags.soak ? ' with the 10-minute soak' : ''}. One-core rates are per CPU second of this process (the issue's unit), with the wall-clock rate beside.`);
out();

// ---- raw speed on the correct odp-mirror ---------------------------------------------------------
out(`## Speed on the correct odp-mirror in kernel-queue (default scope)`);
out();
const odp = makeModel(strategies.find((s) => s.name === 'odp-mirror')!, configByName('kernel-queue')!);
const odpProps = heldBy('odp-mirror', 'kernel-queue');
const noOracle = odpProps.filter((p) => p.kind === 'always');
out(`| measure | figure |`);
out(`| --- | --- |`);
for (const [label, props] of [
  [`walk, all ${odpProps.length} held properties`, odpProps],
  [`walk, safety only (no bounded-notifier: no oracle)`, noOracle],
  ['walk, no property (model and explorer only)', []],
] as const) {
  const c0 = process.cpuUsage();
  const { stats } = walkExplore(systemOf(odp), (s) => new Monitor(odp, [...props], s), { seed: 'speed', walks: 1e9, maxSteps: 200, timeMs: SPEED_MS });
  const rate = stats.actions / cpuSeconds(c0);
  out(`| ${label} | ${fmtInt(rate)} actions per CPU-s (${fmtInt((stats.actions / stats.ms) * 1000)} per wall s) |`);
  if (props === noOracle) target('walk actions/s, safety properties', fmtInt(rate), '>= 1,000,000', rate >= 1e6);
  if (props === odpProps) target('walk actions/s, every held property', fmtInt(rate), '>= 300,000', rate >= 3e5);
  if (props.length === 0) target('walk actions/s, no property', fmtInt(rate), '(none)', null);
}
fcTotals.executed = fcTotals.skipped = fcTotals.ms = 0;
const fcStart = performance.now();
for (let seed = 1; performance.now() - fcStart < SPEED_MS; seed++) fcSample(odp, odpProps, seed);
out(`| fast-check, all held properties | ${fmtInt((fcTotals.executed / fcTotals.ms) * 1000)} executed commands/s, ${((100 * fcTotals.skipped) / Math.max(1, fcTotals.executed + fcTotals.skipped)).toFixed(1)}% of generated commands skipped |`);
for (const [label, props] of [
  [`exhaustive, all ${odpProps.length} held properties`, odpProps],
  ['exhaustive, safety only (no oracle)', noOracle],
  ['exhaustive, no property', []],
] as const) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  const c0 = process.cpuUsage();
  const { stats } = bfsExplore(systemOf(odp), (s) => new Monitor(odp, [...props], s), { maxDepth: 40, maxStates: BFS_STATES, timeMs: SPEED_MS * 2 });
  const rate = stats.states / cpuSeconds(c0);
  const grown = process.memoryUsage().rss - before;
  if (props.length === 0) {
    target('exhaustive distinct states/s, no property', fmtInt(rate), '>= 500,000', rate >= 5e5);
    target('bytes per stored state (visited set)', (stats.visitedBytes / stats.states).toFixed(1), '< 100', stats.visitedBytes / stats.states < 100);
    target('bytes per state (frontier at its largest)', (stats.frontierBytes / stats.states).toFixed(1), '< 100', stats.frontierBytes / stats.states < 100);
  }
  if (props === noOracle) target('exhaustive distinct states/s, safety properties', fmtInt(rate), '>= 200,000', rate >= 2e5);
  if (props === odpProps) target('exhaustive distinct states/s, every held property', fmtInt(rate), '(none)', null);
  out(
    `| ${label} | ${fmtInt(rate)} distinct states per CPU-s (${fmtInt((stats.states / stats.ms) * 1000)} per wall s) (${fmtInt(stats.states)} states, depth ${stats.depth}, ${fmtInt(stats.transitions)} transitions); ` +
      `visited set ${(stats.visitedBytes / stats.states).toFixed(1)} B/state, frontier at its largest ${(stats.frontierBytes / stats.states).toFixed(0)} B/state, RSS growth ${(grown / stats.states).toFixed(0)} B/state |`,
  );
}

out();

// ---- every mutant's whole check command --------------------------------------------------------------
out(`## Every mutant's whole \`dmacheck check --strategy S --mutant M\` (spawned from the bin: search, shrink, start-up)`);
out();
out('```');
// The same command measured before issue 8 item 5 (bench/mutant-times-baseline.json), for the comparison.
const baselineFile = `${root}/bench/mutant-times-baseline.json`;
const baseline: { measured: string; rows: { strategy: string; mutant: string; cpu: number }[] } | null = fs.existsSync(baselineFile) ? JSON.parse(fs.readFileSync(baselineFile, 'utf8')) : null;
const before = (t: MutantTime) => baseline?.rows.find((r) => r.strategy === t.strategy && r.mutant === t.mutant)?.cpu;
const mts: MutantTime[] = mutantTimes({
  strategy: flags.strategy,
  onEach: (t) => out(`${mutantLine(t)}${before(t) !== undefined ? `  (before: ${before(t)!.toFixed(2)} CPU-s)` : ''}`),
});
out('```');
if (baseline) {
  const b = mts.map(before).filter((x): x is number => x !== undefined);
  out(`Before (${baseline.measured}): median ${medianOf(b).toFixed(2)} CPU-s, worst ${Math.max(...b).toFixed(2)} CPU-s, total ${b.reduce((x, y) => x + y, 0).toFixed(1)} CPU-s; now: median ${medianOf(mts.map((t) => t.cpu)).toFixed(2)}, total ${mts.reduce((x, t) => x + t.cpu, 0).toFixed(1)} CPU-s.`);
}
const mcpu = mts.map((t) => t.cpu);
const worstMt = mts.reduce((a, b) => (b.cpu > a.cpu ? b : a), mts[0]!);
target('check --mutant, median over mutants (CPU-s)', medianOf(mcpu).toFixed(2), '< 1', medianOf(mcpu) < 1);
target('check --mutant, worst (CPU-s)', `${worstMt.cpu.toFixed(2)} (${worstMt.strategy} / ${worstMt.mutant})`, '< 5', worstMt.cpu < 5);
const survivors = mts.filter((t) => t.code !== 1);
out(survivors.length ? `NOT killed (exit != 1): ${survivors.map((t) => `${t.strategy}/${t.mutant}`).join(', ')}` : `Every mutant killed (exit 1).`);
out();

// ---- campaigns on worker threads ------------------------------------------------------------------------
const campaignId = (runs: number | null, timeMs: number | null): CampaignId => ({
  strategy: 'odp-mirror',
  mutant: null,
  configs: ['kernel-queue'],
  explorer: 'walk',
  seed: 'bench',
  runs,
  timeMs,
  maxSteps: 60,
  properties: { 'kernel-queue': [...odpProps.map((p) => p.id), ...witnesses.map((w) => w.id)] },
  block: BLOCK,
});
out(`## Campaign on worker threads: odp-mirror in kernel-queue, walks, every held property`);
out();
// Enough units that the workers' start (each loads the modules and builds its models) is a small part.
const UNITS = quick ? 4 * BLOCK * 32 : 4 * BLOCK * 128;
const pool1 = await runPool({ id: campaignId(UNITS, null), shard: { index: 1, count: 1 }, workers: 1, modules: [] });
const pool2 = await runPool({ id: campaignId(UNITS, null), shard: { index: 1, count: 1 }, workers: 2, modules: [] });
const actionsOf = (r: typeof pool1) => Object.values(r.tallies).reduce((a, t) => a + t.actions, 0);
const speedup = pool1.wallMs / pool2.wallMs;
out(`| workers | units | actions | wall s | CPU s | actions/s (wall) |`);
out(`| --- | --- | --- | --- | --- | --- |`);
for (const [w, r] of [[1, pool1], [2, pool2]] as const) {
  out(`| ${w} | ${UNITS} | ${fmtInt(actionsOf(r))} | ${(r.wallMs / 1000).toFixed(1)} | ${(r.cpuMs / 1000).toFixed(1)} | ${fmtInt((actionsOf(r) / r.wallMs) * 1000)} |`);
}
out();
out(
  `Speed-up of 2 workers over 1: ${speedup.toFixed(2)}x wall (the same ${UNITS} units, the same tallies: ${JSON.stringify(pool1.tallies) === JSON.stringify(pool2.tallies) ? 'equal' : 'DIFFERENT'}); ` +
    `CPU for the same work, 1 worker over 2: ${(pool1.cpuMs / pool2.cpuMs).toFixed(2)} (1.0 = no cost of a second worker); load average now ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs ` +
    `(a wall speed-up needs two idle cores).`,
);
target('campaign speed-up, 2 workers over 1 (wall)', `${speedup.toFixed(2)}x (load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs)`, '>= 1.8x', speedup >= 1.8);
out();
// The exhaustive search on the workers (src/campaign/pbfs.ts) against the one-thread search, same depth.
{
  const DEPTH = quick ? 6 : 7;
  const c0 = process.cpuUsage();
  const one = bfsExplore(systemOf(odp), (s) => new Monitor(odp, [], s), { maxDepth: DEPTH, maxStates: 1e7 });
  const oneCpu = cpuSeconds(c0);
  out(`Exhaustive search to depth ${DEPTH}, no property (${fmtInt(one.stats.states)} distinct states): one thread ${(one.stats.ms / 1000).toFixed(1)} s wall, ${oneCpu.toFixed(1)} CPU-s.`);
  const walls: number[] = [];
  for (const workers of [1, 2]) {
    const r = await pbfs({ strategy: 'odp-mirror', mutant: null, config: 'kernel-queue', properties: [], modules: [], workers, maxDepth: DEPTH, maxStates: 1e7 });
    walls.push(r.stats.ms);
    out(
      `Partitioned over ${workers} worker${workers > 1 ? 's' : ''}: ${fmtInt(r.stats.states)} states (${r.stats.states === one.stats.states ? 'the same' : 'DIFFERENT'}), ${(r.stats.ms / 1000).toFixed(1)} s wall, ` +
        `${(r.stats.cpuMs / 1000).toFixed(1)} CPU-s, ${fmtInt(r.stats.sent)} nodes sent between workers, ${(r.stats.bytes / r.stats.states).toFixed(0)} B/state.`,
    );
  }
  target('exhaustive on 2 workers over 1 (partitioned, wall)', `${(walls[0]! / walls[1]!).toFixed(2)}x; against one thread ${((one.stats.ms / walls[1]!)).toFixed(2)}x`, '(measured: does it pay?)', null);
}
out();
const SOAK_MS = flags.soak ? 600_000 : quick ? 30_000 : 120_000;
const soak = await runPool({ id: campaignId(null, SOAK_MS), shard: { index: 1, count: 1 }, workers: 2, modules: [], liveHeapEveryMs: 2000 });
const MiB = (b: number) => (b / 2 ** 20).toFixed(1);
out(
  `Heap over a ${SOAK_MS / 1000}-s campaign on 2 workers (${fmtInt(actionsOf(soak))} actions, ${soak.heap.samples} samples, V8 heap in use of the worker that answered): ` +
    `first ${MiB(soak.heap.first)} MiB, last ${MiB(soak.heap.last)} MiB, largest ${MiB(soak.heap.max)} MiB.`,
);
// The live heap: each worker collects fully every 2 s and reports what survives. Flat if the last
// quarter's samples stay within 20% (+2 MiB) of the first quarter's.
const live = soak.liveHeap;
const quarter = (from: number, to: number) => live.filter(([t]) => t >= from * SOAK_MS && t <= to * SOAK_MS).map(([, b]) => b);
const q1 = quarter(0, 0.25);
const q4 = quarter(0.75, 1.01);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
out(`Live heap (after a full collection, every 2 s, ${live.length} samples): first quarter ${MiB(mean(q1))} MiB on average, last quarter ${MiB(mean(q4))} MiB, largest ${MiB(Math.max(...live.map(([, b]) => b)))} MiB.`);
const flat = q1.length > 0 && q4.length > 0 && mean(q4) <= 1.2 * mean(q1) + 2 * 2 ** 20;
target(
  `worker live heap over a ${SOAK_MS / 1000}-s campaign (MiB: first quarter, last quarter)`,
  `${MiB(mean(q1))}, ${MiB(mean(q4))}`,
  flags.soak ? 'flat over 10 minutes' : 'flat (over 10 minutes: --soak)',
  flat,
);
out();

// ---- issue 4's table: each explorer's time to the first violation ------------------------------------
if (!quick) {
  out(`## Time to the first violation, per mutant (ms; median and max over seeds, — = some seed found none)`);
  out();
  out(`${SEEDS} seeds per explorer; walks and fast-check give up after ${SEARCH_MS / 1000} s per seed; exhaustive search after ${BFS_MS / 1000} s or ${fmtInt(BFS_STATES)} states. Properties per mutant: those the correct design holds in that config (${manifest ? 'from manifest.json' : 'computed by checking the design first'}).`);
  out();
  out(`| strategy / mutant (config) | walk found | walk median | walk max | fast-check found | fc median | fc max | bfs ms | shortest | walk shrunk | fc shrunk | killed < 1 s by |`);
  out(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  const verdictRows: { name: string; killed: boolean }[] = [];
  for (const strat of strategies) {
    if (flags.strategy && strat.name !== flags.strategy) continue;
    for (const mut of strat.mutants) {
      // The config the mutant is measured in: the first of its strategy's configs where a short fast-check
      // run kills it (a missing topology check shows only where the topology forbids P2P).
      const kill = killMutant(strat, mut.name, { runs: 300, maxCommands: 100, seed: 1 }, loadManifest());
      const cfg = kill?.model.cfg ?? configByName(strat.configs[0]!)!;
      const config = cfg.name;
      const props = heldBy(strat.name, config);
      const m = makeModel(strat, cfg, mut.name);
      const walks: Sample[] = [];
      const fcs: Sample[] = [];
      for (let i = 0; i < SEEDS; i++) {
        walks.push(walkSample(m, props, `bench-${i}`));
        fcs.push(fcSample(m, props, i + 1));
      }
      const bfs = bfsSample(m, props);
      const w = summarize(walks);
      const f = summarize(fcs);
      const killers = [
        w.median < 1000 && w.found !== `0/${SEEDS}` ? 'walk' : '',
        f.median < 1000 && f.found !== `0/${SEEDS}` ? 'fast-check' : '',
        bfs.ms !== null && bfs.ms < 1000 ? 'bfs' : '',
      ].filter(Boolean);
      verdictRows.push({ name: `${strat.name}/${mut.name}`, killed: killers.length > 0 });
      const bfsCell = bfs.ms === null ? `— (depth ${bfs.stats.depth}, ${fmtInt(bfs.stats.states)} st)` : fmtMs(bfs.ms);
      out(
        `| ${strat.name} / ${mut.name} (${config}) | ${w.found} | ${fmtMs(w.median)} | ${fmtMs(w.max)} | ${f.found} | ${fmtMs(f.median)} | ${fmtMs(f.max)} | ${bfsCell} | ` +
          `${bfs.ms === null ? `> ${bfs.stats.depth}` : bfs.found} | ${fmtMs(w.shrunk)} (of ${fmtMs(w.foundLen)}) | ${fmtMs(f.shrunk)} (of ${fmtMs(f.foundLen)}) | ${killers.join(', ') || 'NONE'} |`,
      );
    }
  }
  out();
  const notKilled = verdictRows.filter((r) => !r.killed).map((r) => r.name);
  out(notKilled.length === 0 ? `Every mutant is killed by at least one explorer with a median under 1 s.` : `Not killed under 1 s (median) by any explorer: ${notKilled.join(', ')}.`);
  out();
}

const ru = process.resourceUsage();
out(`Peak memory (whole run): ${(ru.maxRSS / 1024).toFixed(0)} MiB max RSS; heap now ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB.`);
out();
out(`## Against the issue's targets`);
out();
out(`| measure | figure | target | met |`);
out(`| --- | --- | --- | --- |`);
for (const t of targets) out(`| ${t.what} | ${t.figure} | ${t.target} | ${t.met === null ? '—' : t.met ? 'yes' : 'NO'} |`);
out();
out(`Total bench time: ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s.`);

if (!flags['no-write']) {
  fs.writeFileSync(`${root}/bench/RESULTS.md`, lines.join('\n') + '\n');
  console.log(`\nwrote bench/RESULTS.md`);
}
