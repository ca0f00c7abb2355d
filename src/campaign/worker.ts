// A campaign's worker thread (loaded from the compiled dist/src/campaign/worker.js: no transpiler in a
// worker): it builds the campaign's models once, then runs the unit ranges and shrinks the first hits
// the coordinator (src/campaign/pool.ts) sends it, one message at a time.
import { parentPort } from 'node:worker_threads';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Model } from '../../model/model.ts';
import type { Property } from '../../properties/types.ts';
import { makeModel } from '../../model/model.ts';
import { configByName } from '../../model/configs.ts';
import { propertyById } from '../../properties/index.ts';
import { findStrategy, resolveStrategies, useRegistry } from '../registry.ts';
import { runUnits } from './units.ts';
import { shrinkHit } from './counterexample.ts';
import type { Request, Reply, WorkerInit } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/campaign/worker.ts runs in a worker thread');

/** A full collection, for a live-heap sample (V8's gc, exposed to this worker only when asked for). */
let gc: (() => void) | null = null;
let lastGc = 0;

let ready: Promise<{ init: WorkerInit; models: Map<string, { m: Model; props: Property<any>[] }> }> | null = null;

async function setUp(init: WorkerInit) {
  if (init.liveHeapEveryMs !== undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    lastGc = performance.now();
  }
  if (init.modules.length > 0) useRegistry(await resolveStrategies(init.modules));
  const s = findStrategy(init.strategy);
  if (!s) throw new Error(`worker: unknown strategy '${init.strategy}'`);
  const models = new Map<string, { m: Model; props: Property<any>[] }>();
  for (const c of init.configs) {
    const cfg = configByName(c);
    if (!cfg) throw new Error(`worker: unknown config '${c}'`);
    const props = (init.properties[c] ?? []).map((id) => {
      const p = propertyById(id);
      if (!p) throw new Error(`worker: unknown property '${id}'`);
      return p;
    });
    models.set(c, { m: makeModel(s, cfg, init.mutant), props });
  }
  return { init, models };
}

port.on('message', async (msg: Request) => {
  if (msg.type === 'init') {
    ready = setUp(msg.init);
    return;
  }
  let reply: Reply;
  try {
    const { init, models } = await ready!;
    if (msg.type === 'units') {
      const x = models.get(msg.range.config)!;
      const tally = runUnits(x.m, x.props, msg.range, init);
      reply = { id: msg.id, type: 'tally', range: msg.range, tally, heapUsed: getHeapStatistics().used_heap_size };
      if (gc && performance.now() - lastGc >= init.liveHeapEveryMs!) {
        gc();
        lastGc = performance.now();
        reply.liveHeap = getHeapStatistics().used_heap_size;
      }
    } else {
      const x = models.get(msg.config)!;
      const prop = x.props.find((p) => p.id === msg.property)!;
      reply = { id: msg.id, type: 'shrunk', file: shrinkHit(x.m, prop, msg.hit, init.explorer) };
    }
  } catch (e) {
    reply = { id: msg.id, type: 'error', message: (e as Error).stack ?? String(e) };
  }
  port.postMessage(reply);
});
