import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { init } from '../model/model.ts';
import { strategies } from '../model/strategies/index.ts';
import { allProperties, propertyById } from '../properties/index.ts';
import { runActions } from '../src/run.ts';
import { viewOf } from '../src/system.ts';
import { act, advance, failsAtEnd, forkCopy, holdsOver, model } from './helpers.ts';

const neverReach = { reach: () => false };
const alwaysReach = { reach: () => true };

describe('properties', () => {
  it('have unique ids, a kind and a one-sentence meaning', () => {
    const ids = allProperties.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of allProperties) {
      expect(['always', 'sometimes', 'eventually']).toContain(p.kind);
      expect(p.meaning.length).toBeGreaterThan(10);
    }
  });

  it('never name a strategy or a mutant (a property must not know which design runs)', () => {
    const dir = new URL('../properties/', import.meta.url).pathname;
    const names = strategies.flatMap((s) => [s.name, ...s.mutants.map((m) => m.name)]);
    for (const f of readdirSync(dir)) {
      const text = readFileSync(dir + f, 'utf8');
      for (const n of names) expect(text.includes(`'${n}'`), `${f} names ${n}`).toBe(false);
      expect(text).not.toMatch(/\.drv\b|\.mutant\b|\.strategy\b/);
    }
  });

  it('no-dma-after-free flags a DMA landing in a frame whose generation moved on', () => {
    const m = model('odp-mirror');
    const s = init(m);
    const p = propertyById('no-dma-after-free')!;
    const ev = { t: 'dma_land' as const, job: 0, proc: 0, vpage: 0, frame: 0, gen: 0, epoch: 0, write: true, value: 3 };
    expect(p.check(null, { view: viewOf(m, s), events: [ev], oracle: alwaysReach })).toBeNull();
    s.frames[0]!.gen = 1;
    const v = p.check(null, { view: viewOf(m, s), events: [ev], oracle: alwaysReach });
    expect(v).toMatchObject({ property: 'no-dma-after-free', clause: 'lifetime', values: { frame: 0, translatedGen: 0, currentGen: 1 } });
  });

  it('coherent-dma allows the old frame only until the invalidate callbacks return', () => {
    const m = model('odp-mirror');
    const prop = [propertyById('coherent-dma')!];
    // The DMA lands in the old frame while the migration's callback still waits for it: allowed.
    const inWindow = holdsOver(m, [
      act('register', 0), act('submit_write', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0),
      act('dma_start', 0), act('migrate', 0, 0), act('inv_lock', 0), act('inv_zap', 0), act('dma_land', 0),
    ], prop, true);
    // The DMA did land, in the frame the migration is moving away from, while the callback had not returned.
    const land = inWindow.trace.at(-1)!.events.find((e) => e.t === 'dma_land');
    expect(land).toMatchObject({ t: 'dma_land', proc: 0, vpage: 0, frame: 0 });
    expect(inWindow.trace.flatMap((t) => t.events).some((e) => e.t === 'invalidate_end')).toBe(false);
    // With the zap not waiting, the callback returns first and the DMA lands in a frame the page no longer maps.
    const late = failsAtEnd(model('odp-mirror', 'kernel-queue', 'zap-without-wait'), [
      act('register', 0), act('submit_write', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0),
      act('dma_start', 0), act('migrate', 0, 0), act('inv_lock', 0), act('inv_zap', 0), act('invalidate_end', 0), act('dma_land', 0),
    ], prop);
    expect(late.violation).toMatchObject({ property: 'coherent-dma', clause: 'dma-target' });
  });

  it('coherent-dma flags a device translation that outlives munmap (a pin does not follow the VMA)', () => {
    const r = failsAtEnd(model('pin-longterm'), [act('register', 0), act('gup_fast_recheck', 0), act('munmap', 0, 1)], [propertyById('coherent-dma')!]);
    expect(r.violation).toMatchObject({ clause: 'mirror-after-callbacks', values: { proc: 0, vpage: 1, frame: 1 } });
  });

  it('no-lost-write carries the reference memory across swap, and ignores writes through a translation older than munmap', () => {
    const p = [propertyById('no-lost-write')!];
    const m = model('odp-mirror');
    const events = (r: ReturnType<typeof runActions>) => r.trace.flatMap((t) => t.events);
    const swapped = holdsOver(m, [act('cpu_write', 0, 0), act('reclaim', 0, 0), act('invalidate_end', 0), act('cpu_read', 0, 0)], p, true);
    // Reclaim did swap the page out (its invalidation changed the PTE), and the read after swap-in sees the
    // write before swap-out: the property was asked, and agreed.
    expect(events(swapped)).toContainEqual(expect.objectContaining({ t: 'invalidate_end', cause: 'reclaim', changed: true }));
    const wrote = events(swapped).find((e) => e.t === 'cpu_write');
    const read = events(swapped).find((e) => e.t === 'cpu_read');
    expect(wrote?.t === 'cpu_write' && read?.t === 'cpu_read' && read.value === wrote.value).toBe(true);
    const pinned = holdsOver(model('pin-longterm'), [
      act('register', 0), act('gup_fast_recheck', 0), act('submit_write', 0, 0), act('dma_start', 0), act('munmap', 0, 0), act('invalidate_end', 0),
      act('mmap', 0, 0), act('dma_land', 0), act('cpu_read', 0, 0),
    ], p, true);
    // The device's write landed in the old (pinned) frame; the new mapping's read does not see it, and
    // no-lost-write does not call that a lost write.
    const land = events(pinned).find((e) => e.t === 'dma_land');
    const after = events(pinned).find((e) => e.t === 'cpu_read');
    expect(land?.t === 'dma_land' && land.write && after?.t === 'cpu_read' && after.frame !== land.frame && after.value !== land.value).toBe(true);
  });

  it('isolation flags a DMA for one process into a frame only another process maps', () => {
    const r = failsAtEnd(model('pin-longterm', 'kernel-queue-fork-2021'), [
      act('register', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('cpu_write', 0, 1), act('invalidate_end', 0),
      act('submit', 0, 1), act('dma_start', 0), act('dma_land', 0),
    ], [propertyById('isolation')!]);
    expect(r.violation).toMatchObject({ property: 'isolation', values: { proc: 0, frame: 1, owner: 1 } });
  });

  it('pins-balanced flags a pin left behind once every registration is gone', () => {
    const r = failsAtEnd(model('pin-longterm', 'kernel-queue', 'put-page-not-unpin'), [act('register', 0), act('deregister', 0), act('dereg_finish', 0)], [propertyById('pins-balanced')!]);
    expect(r.violation).toMatchObject({ clause: 'pin-leak', values: { pincount: 1 } });
  });

  it('bounded-notifier asks the progress oracle only while a callback is pending', () => {
    const m = model('odp-mirror');
    const s = init(m);
    const p = propertyById('bounded-notifier')!;
    expect(p.check(null, { view: viewOf(m, s), events: [], oracle: neverReach })).toBeNull();
    advance(m, s, act('register', 0));
    advance(m, s, act('migrate', 0, 0));
    expect(p.check(null, { view: viewOf(m, s), events: [], oracle: alwaysReach })).toBeNull();
    expect(p.check(null, { view: viewOf(m, s), events: [], oracle: neverReach })).toMatchObject({ clause: 'callback-blocked', values: { inv: 0, cause: 'migrate' } });
  });

  it('the progress oracle finds that a fence only user space signals blocks the callback, and a kernel queue does not', () => {
    const steps = [
      act('register', 0), act('read_begin', 2), act('range_fault', 2), act('fault_commit', 2), act('read_begin', 3), act('range_fault', 3), act('fault_commit', 3),
      act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0), act('migrate', 0, 0),
    ];
    const user = failsAtEnd(model('mirror-blocking-notifier', 'user-queue'), steps, [propertyById('bounded-notifier')!]);
    expect(user.violation).toMatchObject({ property: 'bounded-notifier', clause: 'callback-blocked' });
    // The same wait with a kernel queue: the callback is pending (cb_begin waits on the job's fence) and
    // the oracle finds the hardware completing the job.
    const kernelSteps = [
      act('register', 0), act('submit', 0, 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0),
      act('dma_start', 0), act('dma_land', 0), act('migrate', 0, 0), act('cb_begin', 0),
    ];
    const kernelModel = model('mirror-blocking-notifier', 'kernel-queue');
    holdsOver(kernelModel, kernelSteps, [propertyById('bounded-notifier')!]);
    const s = init(kernelModel);
    for (const a of kernelSteps) advance(kernelModel, s, a);
    expect(s.invs[0]!.live && s.invs[0]!.cb.some((c) => c !== 255), 'a callback is still pending at the end').toBe(true);
  });
});
