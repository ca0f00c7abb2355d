// Exhaustive breadth-first search on worker threads with a partitioned visited set: a node (state and
// monitors' memory, in canonical form) belongs to the worker its hash (hash.ts) names; each level, every
// worker expands its own frontier and the successors it does not own travel, through this coordinator,
// to their owners, which keep the new ones for the next level. A violation is reported from the level
// it is found at, so the trace is a shortest one, as in src/explore/bfs.ts; it is rebuilt by following
// the parent links from worker to worker. Workers load the compiled dist/src/campaign/bfs-worker.js.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { packageFile } from '../paths.ts';
import { makeModel } from '../../model/model.ts';
import type { Action } from '../../model/types.ts';
import type { Violation } from '../../properties/types.ts';
import { configByName } from '../../model/configs.ts';
import { findStrategy } from '../registry.ts';
import { systemOf } from '../system.ts';
import type { BfsReply, BfsRequest } from './bfs-protocol.ts';

export interface PbfsOptions {
  strategy: string;
  mutant: string | null;
  config: string;
  /** Property ids (witnesses included). */
  properties: string[];
  modules: readonly string[];
  workers: number;
  maxDepth: number;
  maxStates: number;
  timeMs?: number;
}

export interface PbfsStats {
  states: number;
  transitions: number;
  depth: number;
  /** Every level up to maxDepth was explored, or the space closed. */
  exhausted: boolean;
  closed: boolean;
  /** Successors sent to another worker than the one that found them. */
  sent: number;
  /** Bytes of the workers' visited sets, parent links and frontiers at the end. */
  bytes: number;
  ms: number;
  cpuMs: number;
}

export const BFS_WORKER_FILE = 'dist/src/campaign/bfs-worker.js';

export async function pbfs(o: PbfsOptions): Promise<{ failure: { actions: Action[]; violation: Violation } | null; stats: PbfsStats; reached: string[] }> {
  const file = packageFile(BFS_WORKER_FILE);
  if (!existsSync(file)) throw new Error(`explore: ${file} is not built; run \`npm run build\` (the workers run the compiled code)`);
  const s = findStrategy(o.strategy);
  const cfg = configByName(o.config);
  if (!s || !cfg) throw new Error(`pbfs: unknown strategy '${o.strategy}' or config '${o.config}'`);
  const sys = systemOf(makeModel(s, cfg, o.mutant));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const deadline = o.timeMs === undefined ? Infinity : t0 + o.timeMs;
  const W = o.workers;
  const ws = Array.from({ length: W }, () => new Worker(file));
  // Each worker answers one message at a time, in order: chain the requests to each.
  const queue: Promise<unknown>[] = ws.map(() => Promise.resolve());
  const ask = (w: number, req: BfsRequest): Promise<BfsReply> => {
    const p = queue[w]!.then(
      () =>
        new Promise<BfsReply>((resolve, reject) => {
          const worker = ws[w]!;
          const onErr = (e: Error) => reject(e);
          worker.once('message', (r: BfsReply) => {
            worker.off('error', onErr);
            if (r.type === 'error') reject(new Error(`bfs worker ${w}: ${r.message}`));
            else resolve(r);
          });
          worker.once('error', onErr);
          worker.postMessage(req);
        }),
    );
    queue[w] = p.catch(() => {});
    return p;
  };
  const stats: PbfsStats = { states: 0, transitions: 0, depth: 0, exhausted: false, closed: false, sent: 0, bytes: 0, ms: 0, cpuMs: 0 };
  const reached = new Set<string>();
  let failure: { actions: Action[]; violation: Violation } | null = null;
  try {
    const ready = await Promise.all(ws.map((_, w) => ask(w, { type: 'init', worker: w, workers: W, strategy: o.strategy, mutant: o.mutant, config: o.config, properties: o.properties, modules: [...o.modules] })));
    stats.states = ready.reduce((a, r) => a + (r.type === 'ready' ? r.states : 0), 0);
    let frontier = 1;
    let stopped = false;
    for (let depth = 0; depth < o.maxDepth && frontier > 0; depth++) {
      if (performance.now() > deadline || stats.states >= o.maxStates) {
        stopped = true;
        break;
      }
      const last = depth + 1 === o.maxDepth;
      const ex = (await Promise.all(ws.map((_, w) => ask(w, { type: 'expand', last })))) as Extract<BfsReply, { type: 'expanded' }>[];
      for (const e of ex) {
        stats.transitions += e.transitions;
        e.reached.forEach((x) => reached.add(x));
      }
      const hit = ex.findIndex((e) => e.violation !== null);
      if (hit >= 0) {
        const v = ex[hit]!.violation!;
        failure = { actions: await traceOf(hit, v.parent, v.k), violation: v.violation };
        break;
      }
      // Every worker hears from every other (an empty list too: its answer carries its counts).
      const got = await Promise.all(
        ws.map(async (_, r) => {
          let last_: Extract<BfsReply, { type: 'received' }> | null = null;
          for (let v = 0; v < W; v++) {
            if (v === r && W > 1) continue;
            const items = v === r ? [] : ex[v]!.out[r]!;
            stats.sent += items.length;
            last_ = (await ask(r, { type: 'receive', from: v, items, last })) as Extract<BfsReply, { type: 'received' }>;
          }
          return last_!;
        }),
      );
      const before = stats.states;
      stats.states = got.reduce((a, g) => a + g.states, 0);
      stats.bytes = got.reduce((a, g) => a + g.bytes, 0);
      frontier = got.reduce((a, g) => a + g.frontier, 0);
      if (stats.states > before) stats.depth = depth + 1;
      if (stats.states === before) frontier = 0;
    }
    stats.closed = !failure && !stopped && frontier === 0 && stats.depth < o.maxDepth;
    stats.exhausted = !failure && !stopped;
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
  stats.ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  stats.cpuMs = (c.user + c.system) / 1000;
  return { failure, stats, reached: [...reached].sort() };

  /** The actions to worker w's node i, then its action k: parent links followed, indices replayed. */
  async function traceOf(w: number, i: number, k: number): Promise<Action[]> {
    const idx = [k];
    for (let cw = w, ci = i; ; ) {
      const p = (await ask(cw, { type: 'parent', index: ci })) as Extract<BfsReply, { type: 'parent' }>;
      if (p.index < 0) break;
      idx.push(p.k);
      cw = p.worker;
      ci = p.index;
    }
    idx.reverse();
    const st = sys.init();
    return idx.map((x) => {
      const a = sys.enabled(st)[x]!;
      sys.step(st, a);
      return a;
    });
  }
}
