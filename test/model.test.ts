import { describe, it, expect } from 'vitest';
import { enabled, init, isEnabled, step } from '../model/model.ts';
import { clonePlain } from '../model/clone.ts';
import { NONE } from '../model/types.ts';
import { act, advance, forkCopy, model, play } from './helpers.ts';

const run = play;

describe('the model', () => {
  it('starts with process 0 mapping every page to its own frame', () => {
    const s = init(model('odp-mirror'));
    expect(s.mms[0]!.alive).toBe(true);
    expect(s.mms[0]!.ptes.map((p) => p.frame)).toEqual([0, 1]);
    expect(s.frames.filter((f) => !f.free).length).toBe(2);
    expect(s.mms[0]!.seq).toBe(2);
  });

  it('step is pure: it returns a new state and leaves its input unchanged', () => {
    const m = model('odp-mirror');
    const s = init(m);
    const before = JSON.stringify(s);
    const { state } = step(m, s, act('migrate', 0, 0));
    expect(JSON.stringify(s)).toBe(before);
    expect(state.invs[0]!.live).toBe(true);
  });

  it('is deterministic: the same actions give the same state', () => {
    const m = model('mirror-blocking-notifier');
    const acts = [act('register', 0), act('submit_write', 0, 1), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dma_start', 0), act('dma_land', 0)];
    expect(JSON.stringify(run(m, acts).s)).toBe(JSON.stringify(run(m, acts).s));
  });

  it('makes the mm seq odd while an invalidation runs and even after (mn_itree_inv_start_range / end)', () => {
    const m = model('odp-mirror');
    const { s } = run(m, [act('migrate', 0, 0)]);
    expect(s.mms[0]!.seq % 2).toBe(1);
    advance(m, s, act('invalidate_end', 0));
    expect(s.mms[0]!.seq % 2).toBe(0);
  });

  it('runs no PTE change before every invalidate callback returned', () => {
    const m = model('odp-mirror');
    const { s } = run(m, [act('register', 0), act('migrate', 0, 0)]);
    expect(enabled(m, s).some((a) => a.k === 'invalidate_end')).toBe(false);
    for (const k of ['inv_lock', 'inv_zap', 'inv_sync']) advance(m, s, act(k, 0));
    expect(isEnabled(m, s, act('invalidate_end', 0))).toBe(true);
  });

  it('sleeps in read_begin while an invalidation that set the seq runs, and read_retry sees the seq move', () => {
    const m = model('odp-mirror');
    const { s, events } = run(m, [
      act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0),
      act('migrate', 0, 0), act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('fault_commit', 0),
    ]);
    expect(events).toContainEqual({ t: 'read_retry', proc: 0, vpage: 0, retry: true });
    expect(isEnabled(m, s, act('read_begin', 0))).toBe(false); // the invalidation has set the seq and not ended
    advance(m, s, act('invalidate_end', 0));
    expect(isEnabled(m, s, act('read_begin', 0))).toBe(true);
  });

  it('keeps a pinned frame alive after munmap, and frees it at unpin', () => {
    const m = model('pin-longterm');
    const { s } = run(m, [act('register', 0), act('gup_fast_recheck', 0), act('munmap', 0, 0), act('invalidate_end', 0)]);
    expect(s.mms[0]!.ptes[0]!.mapped).toBe(false);
    expect(s.frames[0]!.free).toBe(false);
    expect(s.frames[0]!.pincount).toBe(1);
    expect(s.dev.mirror[0]![0]!.frame).toBe(0); // the device still points at it
    advance(m, s, act('deregister', 0));
    advance(m, s, act('dereg_finish', 0));
    expect(s.frames[0]!.free).toBe(true);
    expect(s.frames[0]!.gen).toBe(1);
  });

  it('refuses to migrate a pinned page (folio_migrate_mapping sees the extra reference)', () => {
    const m = model('pin-longterm');
    const { s, events } = run(m, [act('register', 0), act('migrate', 0, 1)]);
    expect(events).toContainEqual({ t: 'migrate_refused', proc: 0, vpage: 1, frame: 1 });
    expect(s.invs.every((i) => !i.live)).toBe(true);
  });

  it('copies a pinned page for the child at fork today (70e806e4e645)', () => {
    const m = model('pin-longterm', 'kernel-queue');
    const { s } = run(m, [act('register', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0)]);
    expect(s.mms[1]!.alive).toBe(true);
    expect(s.mms[1]!.ptes[0]!.frame).not.toBe(s.mms[0]!.ptes[0]!.frame);
    expect(s.mms[0]!.ptes[0]!.writable).toBe(true);
  });

  it('shares a pinned page copy-on-write at fork in the 2020-21 kernels, and the parent copies on write', () => {
    const m = model('pin-longterm', 'kernel-queue-fork-2021');
    const { s } = run(m, [act('register', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0)]);
    expect(s.mms[1]!.ptes[0]!.frame).toBe(s.mms[0]!.ptes[0]!.frame);
    expect(s.mms[0]!.ptes[0]!.writable).toBe(false);
    advance(m, s, act('cpu_write', 0, 0)); // the write fault starts the COW break
    advance(m, s, act('invalidate_end', 0));
    expect(s.mms[0]!.ptes[0]!.frame).not.toBe(0);
    expect(s.mms[1]!.ptes[0]!.frame).toBe(0); // the pinned frame stays with the child
    expect(s.dev.mirror[0]![0]!.frame).toBe(0); // and the device with it
  });

  it('swaps a dirty page out to its slot and back in on a CPU access', () => {
    const m = model('odp-mirror');
    const { s, events } = run(m, [act('cpu_write', 0, 1), act('reclaim', 0, 1), act('invalidate_end', 0), act('cpu_read', 0, 1)]);
    expect(events.filter((e) => e.t === 'cpu_read')).toEqual([{ t: 'cpu_read', proc: 0, vpage: 1, frame: 1, value: 1 }]);
    expect(s.mms[0]!.ptes[1]!.swapped).toBe(false);
  });

  it('lets a recoverable device stall on a missing translation and a non-recoverable one fault fatally', () => {
    const odp = run(model('odp-mirror'), [act('register', 0), act('submit', 0, 0), act('dma_start', 0)]);
    expect(odp.s.jobs[0]!.state).toBe('faulting');
    // With user queues the registration faults the range in (fault slots 2 and 3) before any doorbell;
    // a migration then unmaps v0 from the GPU, and user space rings the doorbell before the restore.
    const gpu = run(model('mirror-blocking-notifier', 'user-queue'), [
      act('register', 0), act('read_begin', 2), act('range_fault', 2), act('fault_commit', 2), act('read_begin', 3), act('range_fault', 3), act('fault_commit', 3),
      act('migrate', 0, 0), act('cb_begin', 0), act('cb_unmap', 0), act('submit', 0, 0), act('dma_start', 0),
    ]);
    expect(gpu.events).toContainEqual({ t: 'device_fault', job: 0, proc: 0, vpage: 0, fatal: true });
  });

  it('copies plain data deeply', () => {
    const s = init(model('odp-mirror'));
    const c = clonePlain(s);
    c.frames[0]!.value = 99;
    c.mms[0]!.ptes[0]!.frame = NONE;
    expect(s.frames[0]!.value).toBe(0);
    expect(s.mms[0]!.ptes[0]!.frame).toBe(0);
  });
});

describe('a DAX file mapping (dax-file config)', () => {
  it('lets the filesystem move an idle block under the mapping, contents kept, after the notifier', () => {
    const m = model('odp-mirror', 'dax-file');
    const { s, events } = run(m, [act('cpu_write', 0, 0), act('register', 0), act('dax_move', 0, 0), act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('invalidate_end', 0), act('cpu_read', 0, 0)]);
    expect(s.mms[0]!.ptes[0]!.frame).not.toBe(0);
    expect(events.filter((e) => e.t === 'cpu_read')).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it('shares the block with the child at fork, writable on both sides (MAP_SHARED)', () => {
    const { s } = run(model('odp-mirror', 'dax-file'), [act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0)]);
    expect(s.mms[1]!.ptes[0]!.frame).toBe(s.mms[0]!.ptes[0]!.frame);
    expect(s.mms[0]!.ptes[0]!.writable && s.mms[1]!.ptes[0]!.writable).toBe(true);
  });

  it('refuses a long-term pin of a DAX mapping', () => {
    const m = model('pin-longterm', 'dax-file');
    expect(isEnabled(m, init(m), act('register', 0))).toBe(false);
  });
});
