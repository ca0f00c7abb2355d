// A worker of the partitioned exhaustive search (pbfs.ts): it owns the nodes whose hash falls to it,
// keeps their visited set, their parent links and their frontier (packed by its own codec), expands its
// frontier one level at a time, and sends every successor it does not own to its owner through the
// coordinator. Loaded from the compiled dist/src/campaign/bfs-worker.js.
import { parentPort } from 'node:worker_threads';
import type { Model } from '../../model/model.ts';
import type { Action, State } from '../../model/types.ts';
import type { ModelEvent } from '../../model/events.ts';
import type { TransitionSystem } from '../explore/system.ts';
import { makeModel } from '../../model/model.ts';
import { configByName } from '../../model/configs.ts';
import { propertyById } from '../../properties/index.ts';
import { findStrategy, resolveStrategies, useRegistry } from '../registry.ts';
import { Monitor, systemOf } from '../system.ts';
import { Codec, FingerprintSet, TokenArena } from '../explore/codec.ts';
import { hashPlain } from './hash.ts';
import type { BfsReply, BfsRequest, Remote } from './bfs-protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/campaign/bfs-worker.ts runs in a worker thread');

let me = 0;
let W = 1;
let m: Model;
let sys: TransitionSystem<State, Action, ModelEvent>;
let mon: Monitor;
const codec = new Codec();
const seen = new FingerprintSet(1 << 16);
const h = new Int32Array(2);
// Per owned node: where its parent lives (worker, index there) and the action's index among the parent's.
const parentW: number[] = [];
const parentI: number[] = [];
const via: number[] = [];
let frontier = new TokenArena(1 << 20);
let next = new TokenArena(1 << 20);

const ownerOf = (h0: number) => (h0 >>> 0) % W;

/** Store a node this worker owns, if new: true if stored. */
function adopt(node: [unknown, unknown], pw: number, pi: number, k: number, keep: boolean): boolean {
  hashPlain(node, h);
  if (!seen.add(h[0]!, h[1]!)) return false;
  parentW.push(pw);
  parentI.push(pi);
  via.push(k);
  if (keep) {
    codec.encode(node);
    next.push(parentW.length - 1, codec.buf, codec.len);
  }
  return true;
}

async function init(msg: Extract<BfsRequest, { type: 'init' }>): Promise<BfsReply> {
  me = msg.worker;
  W = msg.workers;
  if (msg.modules.length > 0) useRegistry(await resolveStrategies(msg.modules));
  const s = findStrategy(msg.strategy);
  const cfg = configByName(msg.config);
  if (!s || !cfg) throw new Error(`bfs worker: unknown strategy '${msg.strategy}' or config '${msg.config}'`);
  m = makeModel(s, cfg, msg.mutant);
  sys = systemOf(m);
  const props = msg.properties.map((id) => propertyById(id)!);
  const root = sys.init();
  mon = new Monitor(m, props, root);
  mon.canonicalize(root);
  const node: [unknown, unknown] = [root, mon.memory()];
  hashPlain(node, h);
  let states = 0;
  if (ownerOf(h[0]!) === me) {
    adopt(node, -1, -1, -1, true);
    states = 1;
  }
  return { type: 'ready', states };
}

/** Expand this worker's frontier: successors it owns go to `next`, the others to their owners. */
function expand(last: boolean): BfsReply {
  frontier = next;
  next = new TokenArena(1 << 20);
  const out: Remote[][] = Array.from({ length: W }, () => []);
  let transitions = 0;
  let added = 0;
  let violation: Extract<BfsReply, { type: 'expanded' }>['violation'] = null;
  frontier.forEach((i, t) => {
    if (violation) return;
    const [s0, mem0] = codec.decode(t) as [State, unknown[]];
    const acts = sys.enabled(s0);
    for (let k = 0; k < acts.length; k++) {
      const [s, mem] = k === acts.length - 1 ? [s0, mem0] : (codec.decode(t) as [State, unknown[]]);
      mon.memory(mem);
      transitions++;
      const v = mon.check(s, sys.step(s, acts[k]!));
      if (v) {
        violation = { parent: i, k, violation: v };
        return;
      }
      mon.canonicalize(s);
      const node: [unknown, unknown] = [s, mon.memory()];
      hashPlain(node, h);
      const o = ownerOf(h[0]!);
      if (o === me) {
        if (adopt(node, me, i, k, !last)) added++;
      } else out[o]!.push({ node: last ? null : node, h0: h[0]!, h1: h[1]!, parent: i, k });
    }
  });
  return { type: 'expanded', transitions, added, out, violation, reached: [...mon.reached] };
}

/** Nodes other workers found for this one. */
function receive(from: number, items: readonly Remote[], last: boolean): BfsReply {
  let added = 0;
  for (const r of items) {
    if (!seen.add(r.h0, r.h1)) continue;
    parentW.push(from);
    parentI.push(r.parent);
    via.push(r.k);
    added++;
    if (!last && r.node) {
      codec.encode(r.node);
      next.push(parentW.length - 1, codec.buf, codec.len);
    }
  }
  return { type: 'received', added, states: seen.size, frontier: next.count, bytes: seen.bytes() + next.bytes() + 12 * parentW.length };
}

port.on('message', async (msg: BfsRequest) => {
  let reply: BfsReply;
  try {
    if (msg.type === 'init') reply = await init(msg);
    else if (msg.type === 'expand') reply = expand(msg.last);
    else if (msg.type === 'receive') reply = receive(msg.from, msg.items, msg.last);
    else reply = { type: 'parent', worker: parentW[msg.index]!, index: parentI[msg.index]!, k: via[msg.index]! };
  } catch (e) {
    reply = { type: 'error', message: (e as Error).stack ?? String(e) };
  }
  port.postMessage(reply);
});
