// Hand-written traces for memory pressure: the OOM reaper's non-blockable invalidation refused by a
// callback, a wait cycle through an allocation in a fence's signalling path, and capabilities a design
// gives up (and one that keeps them).
import { describe, it, expect } from 'vitest';
import { enabled, init, sameAction, stepInPlace } from '../model/model.ts';
import { Monitor } from '../src/system.ts';
import { propertyById } from '../properties/index.ts';
import { runActions } from '../src/run.ts';
import { act, forkCopy, advance, failsAtEnd, holdsOver, model, play } from './helpers.ts';

/** fork p0, then p0 writes both pages: two copy-on-write copies, memory below the watermark (1 free frame). */
const lowMemory = [
  act('fork', 0),
  ...forkCopy(0, '11'),
  act('invalidate_end', 0),
  act('cpu_write', 0, 0),
  act('invalidate_end', 0),
  act('cpu_write', 0, 1),
  act('invalidate_end', 0),
];

describe('the OOM reaper', () => {
  it('is not enabled before memory is short', () => {
    const m = model('odp-mirror');
    const s = init(m);
    expect(enabled(m, s).some((a) => a.k === 'oom_kill')).toBe(false);
  });

  it('has its non-blockable invalidation refused by ODP, and abandons it without touching a PTE', () => {
    const m = model('odp-mirror');
    const trace = [...lowMemory, act('register', 0), act('oom_kill', 0), act('oom_reap', 0)];
    const { s } = play(m, trace);
    const inv = s.invs[0]!;
    expect(inv.live && inv.cause === 'oom' && !inv.blockable).toBe(true);
    const before = JSON.stringify(s.mms[0]!.ptes);
    const seq = s.mms[0]!.seq;
    expect(seq % 2).toBe(1);
    const ev = advance(m, s, act('inv_lock', 0));
    expect(ev.map((e) => e.t)).toEqual(['callback_refuse', 'invalidate_abandon']);
    expect(s.invs[0]!.live).toBe(false);
    expect(JSON.stringify(s.mms[0]!.ptes)).toBe(before);
    expect(s.mms[0]!.seq).toBe(seq + 1); // mn_itree_inv_end: even again, no invalidate_range_end
    expect((s.drv as { lock: number }).lock).toBe(-1); // the mutex was never taken
    // The victim's user space runs no more; the reaper may try again.
    expect(enabled(m, s).some((a) => a.a === 0 && (a.k === 'cpu_write' || a.k === 'submit'))).toBe(false);
    expect(enabled(m, s).some((a) => sameAction(a, act('oom_reap', 0)))).toBe(true);
    // The callback never waited (nonblocking-invalidate holds), but the memory stays: oom-reclaimable fails.
    const full = [...trace, act('inv_lock', 0)];
    holdsOver(m, full, [propertyById('nonblocking-invalidate')!]);
    const r = failsAtEnd(m, full, [propertyById('oom-reclaimable')!]);
    expect(r.violation?.clause).toBe('reap-refused');
  });

  it('keeps the lock if the refusal leaks it (mutant refuse-with-lock-held): the next invalidation can never return', () => {
    const m = model('odp-mirror', 'kernel-queue', 'refuse-with-lock-held');
    const trace = [...lowMemory, act('register', 0), act('oom_kill', 0), act('oom_reap', 0), act('inv_lock', 0), act('migrate', 1, 0)];
    play(m, trace);
    // p1 has no registration: its migration is not blocked. A migration of p0's page is.
    const r = failsAtEnd(m, [...lowMemory, act('register', 0), act('oom_kill', 0), act('oom_reap', 0), act('inv_lock', 0), act('migrate', 0, 0)], [propertyById('no-deadlock')!]);
    expect(r.violation?.property).toBe('no-deadlock');
  });

  it('frees a victim\'s memory through short-term pins once their jobs end (pin-per-job), not through long-term ones', () => {
    const perJob = model('pin-per-job');
    const t = [...lowMemory, act('submit', 0, 0), act('gup_fast', 0), act('oom_kill', 0), act('oom_reap', 0), act('invalidate_end', 0)];
    const reaped = holdsOver(perJob, t, [propertyById('oom-reclaimable')!], true);
    expect(reaped.trace.at(-1)!.events.filter((e) => e.t === 'munmap' && e.proc === 0).length, 'the reaper unmapped both pages').toBe(2);
    const longterm = model('pin-longterm');
    const t2 = [...lowMemory, act('register', 0), act('oom_kill', 0), act('oom_reap', 0), act('invalidate_end', 0)];
    expect(failsAtEnd(longterm, t2, [propertyById('oom-reclaimable')!]).violation?.clause).toBe('frames-held');
  });
});

describe('allocation in a fence signalling path', () => {
  // p0's queues run; a migration evicts them; the eviction fence's signalling path allocates below the
  // watermark, enters direct reclaim of p0's other page, whose callback waits on that very fence.
  const cycle = [...lowMemory, act('register', 0), act('migrate', 0, 0), act('qp_evict', 0), act('queue_preempt', 0), act('evict_signal', 0)];

  it('closes a wait cycle that no schedule of any actor breaks (queue-preempt mutant alloc-in-fence-signalling)', () => {
    const m = model('queue-preempt', 'user-queue', 'alloc-in-fence-signalling');
    const { s, events } = play(m, cycle);
    expect(events.some((e) => e.t === 'direct_reclaim' && e.proc === 0 && e.vpage === 1)).toBe(true);
    expect(s.invs[1]!.live && s.invs[1]!.cause === 'reclaim').toBe(true);
    // The reclaim's callback quiesces (the queues are already preempted) and waits for the eviction fence.
    advance(m, s, act('qp_evict', 1));
    expect(enabled(m, s).some((a) => a.k === 'qp_zap' || a.k === 'evict_signal')).toBe(false);
    // The liveness properties see the doom as soon as the migration's invalidation begins (step 8): from
    // there, no schedule of the kernel, the hardware and user space's completions lets its callback return.
    const r = runActions(m, cycle, [propertyById('no-deadlock')!]);
    expect(r.violation?.property).toBe('no-deadlock');
    expect(r.step, 'the action after which it broke').toBe(cycle.findIndex((a) => a.k === 'migrate'));
  });

  it('is reported as a deadlock with its cycle: the reclaim\'s callback, the eviction fence, the signalling path in reclaim', () => {
    const m = model('queue-preempt', 'user-queue', 'alloc-in-fence-signalling');
    for (const id of ['no-deadlock', 'bounded-notifier']) {
      // Judged where the cycle closes: the signalling path has just entered direct reclaim.
      const { s } = play(m, cycle.slice(0, -1));
      const mon = new Monitor(m, [propertyById(id)!], s);
      const v = mon.check(s, stepInPlace(m, s, cycle[cycle.length - 1]!));
      const r = { violation: v };
      expect(r.violation?.clause, id).toBe('wait-cycle');
      expect(r.violation?.values.cycle, id).toBe('signal:0 -> callback:1:0 -> signal:0');
      expect(r.violation?.message, id).toMatch(/^deadlock: /);
      expect(r.violation?.message, id).toContain("p0's eviction fence signalling path (evict_signal), which allocated and waits in direct reclaim waits on the end of invalidation 1");
      expect(r.violation?.message, id).toContain("the reclaim invalidation 1 of p0 waits on p0's eviction fence");
    }
  });

  it('does not arise when the signalling path does not allocate (the correct design)', () => {
    const m = model('queue-preempt', 'user-queue');
    const more = [...cycle, act('qp_zap', 0), act('invalidate_end', 0), act('restore_begin', 0)];
    holdsOver(m, more, [propertyById('no-deadlock')!, propertyById('bounded-notifier')!]);
  });
});

describe('capabilities a design gives up', () => {
  it('a long-term pin makes a page unmigratable (pin-longterm), a per-job pin only delays the migration (pin-per-job)', () => {
    const lt = failsAtEnd(model('pin-longterm'), [act('register', 0), act('migrate', 0, 0)], [propertyById('migratable')!]);
    expect(lt.violation?.clause).toBe('migration-refused');
    // The job's pin refuses the migration now (folio_migrate_mapping sees the extra reference); migratable
    // holds because the pin goes when the job's fence signals.
    const pj = holdsOver(model('pin-per-job'), [act('submit', 0, 0), act('gup_fast', 0), act('pin_job', 0), act('migrate', 0, 0)], [propertyById('migratable')!], true);
    expect(pj.trace.at(-1)!.events).toContainEqual(expect.objectContaining({ t: 'migrate_refused', proc: 0, vpage: 0 }));
  });

  it('a notifier waiting on a user-space fence makes migration depend on user space (mirror-blocking-notifier, user queues)', () => {
    const m = model('mirror-blocking-notifier', 'user-queue');
    const faultIn = (slot: number) => [act('read_begin', slot), act('range_fault', slot), act('fault_commit', slot)];
    const t = [act('register', 0), ...faultIn(2), ...faultIn(3), act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0), act('migrate', 0, 0)];
    const r = failsAtEnd(m, t, [propertyById('migratable')!]);
    expect(r.violation?.clause).toBe('migration-stuck');
  });

  it('capabilities are marked, and are columns of the table', () => {
    for (const id of ['migratable', 'transparent', 'oom-reclaimable']) expect(propertyById(id)!.capability).toBe(true);
    for (const id of ['no-deadlock', 'nonblocking-invalidate', 'bounded-notifier']) expect(propertyById(id)!.capability ?? false).toBe(false);
  });
});
