// The coordinator of a campaign on worker threads: it hands the shard's unit ranges (src/campaign/spec.ts)
// out in order, one at a time to each idle worker, folds the tallies per config, stops handing out at the
// deadline of a time-bounded campaign (the ranges already out finish, so a prefix of the list is done),
// then has the workers shrink the first hit of each broken property. Workers load the compiled
// dist/src/campaign/worker.js.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { packageFile } from '../paths.ts';
import { unitRanges, type CampaignId, type Shard, type UnitRange } from './spec.ts';
import { emptyTally, mergeTally, type Tally } from './units.ts';
import type { ShrunkFile } from './counterexample.ts';
import type { Reply, Request, WorkerInit } from './protocol.ts';

export interface Progress {
  units: number;
  /** Units planned for this shard, or null (time-bounded). */
  planned: number | null;
  walks: number;
  actions: number;
  /** Units that broke some property. */
  violations: number;
  elapsedMs: number;
  /** Estimated, or null when nothing is known yet. */
  leftMs: number | null;
  phase: 'search' | 'shrink';
}

export interface PoolOptions {
  id: CampaignId;
  shard: Shard;
  workers: number;
  modules: readonly string[];
  onProgress?: (p: Progress) => void;
  /** Have the workers collect fully and report their live heap this often (ms): `liveHeap`. */
  liveHeapEveryMs?: number;
}

export interface PoolResult {
  tallies: Record<string, Tally>;
  files: ShrunkFile[];
  wallMs: number;
  /** CPU milliseconds of the whole process (every thread). */
  cpuMs: number;
  /** Workers' V8 heap in use, sampled after each range (bytes): the first and the last samples, and the largest. */
  heap: { first: number; last: number; max: number; samples: number };
  /** The samples as [ms since the start, bytes], thinned to at most HEAP_SERIES (every other dropped when full). */
  heapSeries: [number, number][];
  /** Live heap after a full collection, [ms since the start, bytes], when asked for (liveHeapEveryMs). */
  liveHeap: [number, number][];
}

export const WORKER_FILE = 'dist/src/campaign/worker.js';

const HEAP_SERIES = 2048;

/** Units a shard runs with `runs` per config. */
export function plannedUnits(id: CampaignId, shard: Shard): number | null {
  if (id.runs === null) return null;
  let n = 0;
  for (const r of unitRanges(id.configs, shard, id.runs)) n += r.hi - r.lo;
  return n;
}

export async function runPool(o: PoolOptions): Promise<PoolResult> {
  const file = packageFile(WORKER_FILE);
  if (!existsSync(file)) throw new Error(`campaign: ${file} is not built; run \`npm run build\` (the workers run the compiled code)`);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const init: WorkerInit = {
    strategy: o.id.strategy,
    mutant: o.id.mutant,
    configs: o.id.configs,
    properties: o.id.properties,
    explorer: o.id.explorer,
    seed: o.id.seed,
    maxSteps: o.id.maxSteps,
    modules: [...o.modules],
    ...(o.liveHeapEveryMs !== undefined ? { liveHeapEveryMs: o.liveHeapEveryMs } : {}),
  };
  const workers = Array.from({ length: o.workers }, () => new Worker(file));
  const tallies: Record<string, Tally> = Object.fromEntries(o.id.configs.map((c) => [c, emptyTally()]));
  const heap = { first: -1, last: 0, max: 0, samples: 0 };
  let heapSeries: [number, number][] = [];
  let heapEvery = 1;
  const liveHeap: [number, number][] = [];
  const planned = plannedUnits(o.id, o.shard);
  const deadline = o.id.timeMs === null ? Infinity : t0 + o.id.timeMs;
  const ranges = unitRanges(o.id.configs, o.shard, o.id.runs);
  let nextId = 1;
  let phase: Progress['phase'] = 'search';
  const total = () => Object.values(tallies).reduce((a, t) => mergeTally(a, t), emptyTally());
  const report = () => {
    if (!o.onProgress) return;
    const t = total();
    const elapsedMs = performance.now() - t0;
    const leftMs = o.id.timeMs !== null ? Math.max(0, deadline - performance.now()) : planned && t.units > 0 ? (elapsedMs * (planned - t.units)) / t.units : null;
    const violations = Object.values(t.hits).reduce((a, h) => a + h.units, 0);
    o.onProgress({ units: t.units, planned, walks: t.walks, actions: t.actions, violations, elapsedMs, leftMs, phase });
  };

  // Replies come back in order, each naming its request; a worker may have two requests out (the next
  // range waits in its queue while it runs one, so it never idles for the coordinator's turn).
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  for (const w of workers) {
    w.on('message', (r: Reply) => {
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (r.type === 'error') p.reject(new Error(`campaign worker: ${r.message}`));
      else p.resolve(r);
    });
    w.on('error', failAll);
  }
  const ask = (w: Worker, req: Extract<Request, { id: number }>) =>
    new Promise<Reply>((resolve, reject) => {
      pending.set(req.id, { resolve, reject });
      w.postMessage(req);
    });

  try {
    for (const w of workers) w.postMessage({ type: 'init', init } satisfies Request);
    const searchOn = async (w: Worker) => {
      for (;;) {
        if (performance.now() > deadline) return;
        const n = ranges.next();
        if (n.done) return;
        const range: UnitRange = n.value;
        const r = await ask(w, { id: nextId++, type: 'units', range });
        if (r.type !== 'tally') throw new Error('campaign: a worker answered a range with something else');
        tallies[range.config] = mergeTally(tallies[range.config]!, r.tally);
        if (heap.first < 0) heap.first = r.heapUsed;
        heap.last = r.heapUsed;
        heap.max = Math.max(heap.max, r.heapUsed);
        if (r.liveHeap !== undefined) liveHeap.push([performance.now() - t0, r.liveHeap]);
        if (heap.samples++ % heapEvery === 0) {
          heapSeries.push([performance.now() - t0, r.heapUsed]);
          if (heapSeries.length >= HEAP_SERIES) {
            heapSeries = heapSeries.filter((_, i) => i % 2 === 0);
            heapEvery *= 2;
          }
        }
        report();
      }
    };
    await Promise.all(workers.flatMap((w) => [searchOn(w), searchOn(w)]));

    // Shrink each broken property's first hit, the jobs spread over the workers.
    phase = 'shrink';
    report();
    const jobs = o.id.configs.flatMap((config) => Object.entries(tallies[config]!.hits).map(([property, h]) => ({ config, property, hit: h.first })));
    const files: ShrunkFile[] = [];
    const shrinkOn = async (w: Worker) => {
      for (let j = jobs.shift(); j; j = jobs.shift()) {
        const r = await ask(w, { id: nextId++, type: 'shrink', ...j });
        if (r.type !== 'shrunk') throw new Error('campaign: a worker answered a shrink with something else');
        files.push(r.file);
      }
    };
    await Promise.all(workers.map(shrinkOn));
    files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    const cpu = process.cpuUsage(c0);
    return { tallies, files, wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, heap: { ...heap, first: Math.max(0, heap.first) }, heapSeries, liveHeap };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
