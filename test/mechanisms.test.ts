// Every mechanism seen, properties that read structured data, and waits that name what they wait on:
// a pinned DMA-BUF attachment refuses a move the exporter really attempts; a move that waits on a fence
// only user space signals is unbounded; an exporter that leaks the reservation lock is caught; a job's
// error is read as an errno and a cause, never as text; a deregistered MR is not registered; a deadlock
// is reported with its cycle.
import { describe, it, expect } from 'vitest';
import { enabled, init, sameAction, stepInPlace } from '../model/model.ts';
import type { Model } from '../model/model.ts';
import type { Action } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import { propertyById } from '../properties/index.ts';
import { runActions } from '../src/run.ts';
import { viewOf } from '../src/system.ts';
import type { Violation } from '../properties/types.ts';
import { describeWait, nothingReleases } from '../model/waits.ts';
import { act, forkCopy, model } from './helpers.ts';

const prop = (id: string) => propertyById(id)!;

/** Step through `actions` (each must be enabled) and return the state, for looking at its waits. */
function play(m: Model, actions: readonly Action[]) {
  const s = init(m);
  for (const a of actions) {
    expect(enabled(m, s).some((e) => sameAction(e, a)), `${a.k}(${a.a}, ${a.b}) enabled`).toBe(true);
    stepInPlace(m, s, a);
  }
  return s;
}

describe('migratable sees every mechanism that moves memory', () => {
  it('dmabuf-static: the exporter attempts a move, the pinned attachment refuses it, and nothing but detach unpins', () => {
    for (const cfg of ['p2p-switch', 'p2p-none']) {
      const m = model('dmabuf-static', cfg);
      // p2p-none: the exporter first moves the buffer to system RAM, where the NIC reaches it.
      const place = cfg === 'p2p-none' ? [0, 1].flatMap((v) => [act('exp_place', 0, v), act('exp_move_copy', 0, v), act('copy_done', 0, v)]) : [];
      const trace = [act('register', 0), ...place, act('st_map', 0), act('exp_move_notify', 0, 0)];
      const r = runActions(m, trace, [prop('migratable')], true);
      expect(r.notEnabled).toBeNull();
      expect(r.trace.at(-1)!.events.map((e) => e.t)).toEqual(['move_refused']);
      expect(r.violation?.clause).toBe('move-refused');
      expect(r.violation?.values.mechanism).toBe('dmabuf-move');
      expect(r.step).toBe(trace.length - 1);
      // Before the pin the same move is not refused: it happens.
      const unpinned = runActions(m, [act('exp_move_notify', 0, 0)], [prop('migratable')], true);
      expect(unpinned.trace[0]!.events.map((e) => e.t)).toEqual(['move_notify']);
      expect(unpinned.violation).toBeNull();
    }
  });

  it('dmabuf-dynamic: a move with no DMA in flight to the buffer completes, even with user-owned queues', () => {
    const m = model('dmabuf-dynamic', 'p2p-switch-user-queue');
    const r = runActions(m, [act('register', 0), act('exp_move_notify', 0, 0)], [prop('migratable'), prop('bounded-notifier')]);
    expect(r.notEnabled).toBeNull();
    expect(r.violation).toBeNull();
  });
});

describe('a DMA-BUF move waits on the importers\' fences', () => {
  // The importer maps the buffer and its DMA is in flight when the exporter notifies a move.
  const inFlight = [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('imp_map', 0), act('dma_start', 0), act('exp_move_notify', 0, 0)];

  it('is bounded when the hardware signals them (kernel queues)', () => {
    const r = runActions(model('dmabuf-dynamic', 'p2p-switch'), inFlight, [prop('bounded-notifier'), prop('no-deadlock')]);
    expect(r.notEnabled).toBeNull();
    expect(r.violation).toBeNull();
  });

  it('is unbounded when only user space signals them (user-owned queues), and the failure names the fence', () => {
    const m = model('dmabuf-dynamic', 'p2p-switch-user-queue');
    const r = runActions(m, inFlight, [prop('bounded-notifier')]);
    expect(r.violation?.clause).toBe('move-blocked');
    expect(r.violation?.values.wait).toBe('move:0:0');
    expect(r.violation?.values.waitsOn).toBe('fence:job0 (user)');
    expect(r.violation?.values.onlyUser).toBe(true);
    expect(r.violation?.message).toContain("job 0's fence (only user space can release it)");
    // Not a deadlock: user space can still signal it.
    expect(runActions(m, inFlight, [prop('no-deadlock')]).violation).toBeNull();
  });
});

describe('an exporter that keeps the reservation lock after move_notify (dmabuf-dynamic mutant resv-held-after-move)', () => {
  const m = model('dmabuf-dynamic', 'p2p-switch', 'resv-held-after-move');
  const trace = [act('register', 0), act('exp_move_notify', 0, 0), act('exp_move_copy', 0, 0), act('copy_done', 0, 0), act('submit', 0, 0), act('dma_start', 0)];

  it('never ends its move: bounded-notifier names the lock nothing releases', () => {
    const r = runActions(m, trace.slice(0, 2), [prop('bounded-notifier')]);
    expect(r.violation?.clause).toBe('move-blocked');
    expect(r.violation?.values.waitsOn).toBe('resv-unlock:p0 (nobody)');
    expect(r.violation?.message).toContain("its own dma_resv_unlock of p0's buffer (nothing releases it)");
    expect(r.violation?.values.nothingReleases).toBe(true);
  });

  it('is a wait nothing releases (no-deadlock), and leaves the importer\'s next fault waiting on the lock held by that move', () => {
    const r = runActions(m, trace, [prop('no-deadlock')]);
    expect(r.violation?.clause).toBe('never-released');
    expect(r.step).toBe(1); // from move_notify on, no schedule of any actor drops the lock
    expect(r.violation?.message).toContain("its own dma_resv_unlock of p0's buffer (nothing releases it)");
    const s = play(m, trace);
    const ws = viewOf(m, s).waits();
    const wait = ws.find((w) => w.id === 'map:0')!;
    expect(wait.on.map((o) => [o.target, o.heldBy])).toEqual([[{ k: 'resv-lock', proc: 0 }, ['move:0:0']]]);
    expect(describeWait(ws, 'map:0')).toBe("waits on p0's dma_resv lock (held by the exporter's move of p0 v0, which returned holding p0's dma_resv lock)");
    expect(describeWait(ws, 'move:0:0')).toBe("waits on its own dma_resv_unlock of p0's buffer (nothing releases it)");
    expect(nothingReleases(ws, 'map:0')).toBe(true);
    // The correct exporter unlocks: the same trace maps and runs.
    const ok = runActions(model('dmabuf-dynamic', 'p2p-switch'), [...trace, act('imp_map', 0), act('dma_start', 0), act('dma_land', 0)], [prop('no-deadlock'), prop('bounded-notifier')]);
    expect(ok.notEnabled).toBeNull();
    expect(ok.violation).toBeNull();
  });
});

/** Replay `actions` through one property, rewriting each event on the way (what the property reads). */
function judge(m: Model, actions: readonly Action[], id: string, rewrite: (e: ModelEvent) => ModelEvent): Violation | null {
  const p = prop(id);
  const s = init(m);
  const mon = p.init(viewOf(m, s));
  for (const a of actions) {
    const events = stepInPlace(m, s, a).map(rewrite);
    const v = p.check(mon, { view: viewOf(m, s), events, oracle: { reach: () => true } });
    if (v) return v;
  }
  return null;
}

describe('transparent reads an errno and a cause, never text', () => {
  it('gives peerdirect-revoke the same verdict whatever the error\'s text says', () => {
    const m = model('peerdirect-revoke', 'p2p-switch');
    const revoke = [act('register', 0), act('submit', 0, 1), act('gpu_move', 0, 1), act('pd_revoke', 0)];
    const asIs = judge(m, revoke, 'transparent', (e) => e);
    expect(asIs?.clause).toBe('error-after-move');
    const enomem = judge(m, revoke, 'transparent', (e) => (e.t === 'job_error' ? { ...e, detail: `${e.detail} -ENOMEM` } : e));
    expect(enomem).toEqual(asIs);
    // The errno itself is what counts: a failure for want of memory is not the memory moving.
    const noMemory = judge(m, revoke, 'transparent', (e) => (e.t === 'job_error' ? { ...e, errno: 'ENOMEM' } : e));
    expect(noMemory).toBeNull();
  });
});

describe('no-fatal-device-fault: a deregistered MR is not registered', () => {
  it('does not blame the driver for a fault after user space deregistered the MR (dmabuf-static mutant unpin-before-dma-lands)', () => {
    const m = model('dmabuf-static', 'p2p-switch', 'unpin-before-dma-lands');
    const trace = [act('register', 0), act('submit', 0, 0), act('st_map', 0), act('deregister', 0), act('dma_start', 0)];
    const r = runActions(m, trace, [prop('no-fatal-device-fault')], true);
    expect(r.trace.at(-1)!.events).toContainEqual({ t: 'device_fault', job: 0, proc: 0, vpage: 0, fatal: true });
    expect(r.violation).toBeNull();
    // Nor after it registered again: the job was submitted under the MR it deregistered.
    const again = runActions(m, [...trace.slice(0, 4), act('register', 0), act('dma_start', 0)], [prop('no-fatal-device-fault')]);
    expect(again.notEnabled).toBeNull();
    expect(again.violation).toBeNull();
  });

  it('still blames it while the MR is registered (mirror-blocking-notifier mutant unmap-without-wait)', () => {
    const m = model('mirror-blocking-notifier', 'kernel-queue', 'unmap-without-wait');
    const trace = [act('register', 0), act('submit', 0, 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('migrate', 0, 0), act('cb_begin', 0), act('cb_unmap', 0), act('dma_start', 0)];
    const r = runActions(m, trace, [prop('no-fatal-device-fault')]);
    expect(r.notEnabled).toBeNull();
    expect(r.violation?.clause).toBe('fatal-fault');
    expect(r.violation?.values.registered).toBe(true);
  });
});

describe('a liveness failure names what the callback waits on', () => {
  it('mirror-blocking-notifier with user queues: the callback waits on a job fence only user space signals', () => {
    const m = model('mirror-blocking-notifier', 'user-queue');
    const faultIn = (slot: number) => [act('read_begin', slot), act('range_fault', slot), act('fault_commit', slot)];
    const t = [act('register', 0), ...faultIn(2), ...faultIn(3), act('submit', 0, 0), act('dma_start', 0), act('migrate', 0, 0), act('cb_begin', 0)];
    const r = runActions(m, t, [prop('bounded-notifier')]);
    expect(r.violation?.clause).toBe('callback-blocked');
    expect(r.violation?.values.waitsOn).toBe('fence:job0 (user)');
    expect(r.violation?.message).toContain("waits on job 0's fence (only user space can release it)");
  });

  it('odp-mirror with the mutex leaked by a refused invalidation: the next callback waits on umem_mutex, which nothing releases', () => {
    const lowMemory = [act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('cpu_write', 0, 0), act('invalidate_end', 0), act('cpu_write', 0, 1), act('invalidate_end', 0)];
    const m = model('odp-mirror', 'kernel-queue', 'refuse-with-lock-held');
    const t = [...lowMemory, act('register', 0), act('oom_kill', 0), act('oom_reap', 0), act('inv_lock', 0), act('migrate', 0, 0)];
    const r = runActions(m, t, [prop('bounded-notifier')]);
    expect(r.violation?.clause).toBe('callback-blocked');
    expect(r.violation?.message).toContain("umem_mutex of p0's MR (nothing releases it)");
  });
});
