// Interval notifiers with lifetimes (model/mm.ts subscribe / removeNotifier / freeSubscription /
// mmInvEnd), driven directly, as mm/mmu_notifier.c orders them: an insert during an invalidation goes on
// the deferred list, a remove during one waits for mn_itree_inv_end, and the property
// no-kernel-use-after-free judges the driver's free against both.
import { describe, expect, it } from 'vitest';
import { enabled, init, sameAction, stepInPlace } from '../model/model.ts';
import type { DriverContext } from '../model/strategy.ts';
import type { ModelEvent } from '../model/events.ts';
import type { State } from '../model/types.ts';
import { CB_RETURNED } from '../model/types.ts';
import { freeSubscription, mmInvEnd, readBegin, removeNotifier, startInvalidation, subscribe } from '../model/mm.ts';
import { noKernelUseAfterFree } from '../properties/no-kernel-use-after-free.ts';
import { viewOf } from '../src/system.ts';
import { act, failsAtEnd, holdsOver, model, play, forkCopy } from './helpers.ts';

const m = model('odp-mirror', 'kernel-queue');

function setup(): { s: State; ctx: DriverContext; events: ModelEvent[] } {
  const events: ModelEvent[] = [];
  return { s: init(m), ctx: { cfg: m.cfg, mutant: null, emit: (e) => events.push(e) }, events };
}

/** The property's verdict on the state as it stands. */
function uaf(s: State): string | null {
  const v = noKernelUseAfterFree.check(null, { view: viewOf(m, s), events: [], oracle: { reach: () => true } });
  return v ? v.clause : null;
}

/** Begin an invalidation of p0's first page, returning its slot. */
const begin = (s: State, ctx: DriverContext) => startInvalidation(s, 0, 1, 'migrate', ctx, () => {});

/** The end of invalidation `i` as the world does it (callbacks returned, then invalidate_range_end). */
function end(s: State, i: number): void {
  s.invs[i]!.live = false;
  mmInvEnd(s, s.invs[i]!.proc);
}

describe('interval notifiers with lifetimes (mm/mmu_notifier.c)', () => {
  it('a second notifier inserted during an invalidation goes on the deferred list: no callback until mn_itree_inv_end, and read_begin sleeps until then', () => {
    const { s, ctx } = setup();
    subscribe(s, 0);
    const i0 = begin(s, ctx);
    expect(s.invs[i0]!.cb[0]).toBe(0);
    subscribe(s, 0, 1); // a second driver's notifier on p0, in slot 1
    expect(s.subs[1]).toMatchObject({ live: true, proc: 0, deferred: true });
    expect(readBegin(s, 1)).toBeNull();
    const i1 = begin(s, ctx); // starts before the first ends: the deferred notifier is not in the tree
    expect(s.invs[i1]!.cb[1]).toBe(CB_RETURNED);
    expect(s.invs[i1]!.cb[0]).toBe(0);
    end(s, i0);
    expect(s.subs[1]!.deferred).toBe(true); // one invalidation still active
    end(s, i1);
    expect(s.subs[1]!.deferred).toBe(false);
    expect(readBegin(s, 1)).not.toBeNull();
    const i2 = begin(s, ctx);
    expect(s.invs[i2]!.cb[1]).toBe(0);
  });

  it('an insert during an invalidation that met no notifier goes into the tree (the seq made odd): a later start calls it', () => {
    const { s, ctx } = setup();
    const i0 = begin(s, ctx);
    subscribe(s, 0);
    expect(s.subs[0]!.deferred).toBe(false);
    expect(readBegin(s, 0)).toBeNull();
    const i1 = begin(s, ctx);
    expect(s.invs[i1]!.cb[0]).toBe(0);
    expect(s.invs[i0]!.cb[0]).toBe(CB_RETURNED); // that walk was over before the insert
  });

  it('a remove during an invalidation waits for mn_itree_inv_end: the notifier stays in the tree, and freeing it before the end is a use after free', () => {
    const { s, ctx, events } = setup();
    subscribe(s, 0);
    const i0 = begin(s, ctx);
    expect(removeNotifier(s, 0, ctx)).toBe(false);
    expect(events.at(-1)).toMatchObject({ t: 'notifier_remove', sub: 0, waits: true });
    expect(s.subs[0]).toMatchObject({ live: true, removing: true });
    const i1 = begin(s, ctx); // still in the tree: a start before the end still calls it
    expect(s.invs[i1]!.cb[0]).toBe(0);
    expect(uaf(s)).toBeNull();
    freeSubscription(s, 0, ctx);
    expect(uaf(s)).toBe('callback-of-freed-notifier');
    s.invs[i0]!.cb[0] = CB_RETURNED;
    s.invs[i1]!.cb[0] = CB_RETURNED;
    expect(uaf(s)).toBe('freed-notifier-linked'); // still on the deferred list
    end(s, i0);
    end(s, i1);
    expect(s.subs[0]).toMatchObject({ live: false, removing: false });
    expect(uaf(s)).toBeNull();
  });

  it('a remove with no invalidation active returns at once, and the free after it is safe', () => {
    const { s, ctx, events } = setup();
    subscribe(s, 0);
    expect(removeNotifier(s, 0, ctx)).toBe(true);
    expect(events.at(-1)).toMatchObject({ t: 'notifier_remove', waits: false });
    freeSubscription(s, 0, ctx);
    expect(uaf(s)).toBeNull();
    const i = begin(s, ctx);
    expect(s.invs[i]!.cb[0]).toBe(CB_RETURNED);
  });

  it('a remove of a notifier still on the deferred list of its insert takes it off at once (hlist_del), no wait', () => {
    const { s, ctx } = setup();
    subscribe(s, 0);
    begin(s, ctx);
    subscribe(s, 0, 1);
    expect(removeNotifier(s, 1, ctx)).toBe(true);
    freeSubscription(s, 1, ctx);
    expect(s.subs[1]!.live).toBe(false);
    expect(uaf(s)).toBeNull();
  });

  it('odp-mirror deregisters only after the invalidation in progress ends; its mutant free-before-remove-returns frees the notifier under it', () => {
    const props = [noKernelUseAfterFree];
    const scenario = [act('register', 0), act('reclaim', 0, 0), act('deregister', 0), act('dereg_finish', 0)];
    const r = failsAtEnd(model('odp-mirror', 'kernel-queue', 'free-before-remove-returns'), scenario, props);
    expect(r.violation?.clause).toBe('callback-of-freed-notifier');
    holdsOver(m, [...scenario.slice(0, 3), act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('invalidate_end', 0), act('dereg_finish', 0)], props);
  });
});

describe('umem_mutex is per MR (odp-mirror)', () => {
  it("p0's invalidate callback holding its MR's umem_mutex does not block p1's fault (ib_umem_odp's per-umem mutex); p0's own fault waits", () => {
    const om = model('odp-mirror', 'kernel-queue');
    // The second process is p0's fork child (the scope's second process slot).
    const two = [act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('register', 0), act('register', 1)];
    const locked = [...two, act('munmap', 0, 1), act('inv_lock', 0)];
    const p1 = play(om, [...locked, act('submit', 1, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0)]);
    expect(enabled(om, p1.s).some((a) => sameAction(a, act('fault_commit', 0)))).toBe(true);
    const p0 = play(om, [...two, act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('munmap', 0, 0), act('inv_lock', 0)]);
    expect(enabled(om, p0.s).some((a) => sameAction(a, act('fault_commit', 0)))).toBe(false);
  });
});

describe('a second interval notifier per process (model/subscriptions.ts, config two-notifiers)', () => {
  const two = model('odp-mirror', 'two-notifiers');

  it('an invalidation owes both callbacks, which return in either order; invalidate_end waits for both', () => {
    const base = [act('mm_user_open', 0, 1), act('register', 0), act('reclaim', 0, 0)];
    const { s, events } = play(two, base);
    expect(events.find((e) => e.t === 'invalidate_start')).toMatchObject({ callbacks: 2 });
    expect(enabled(two, s).some((a) => a.k === 'invalidate_end')).toBe(false);
    for (const order of [
      [act('mm_user_invalidate', 0, 1), act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0)],
      [act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('mm_user_invalidate', 0, 1)],
    ]) {
      const r = play(two, [...base, ...order]);
      expect(enabled(two, r.s).some((a) => sameAction(a, act('invalidate_end', 0)))).toBe(true);
    }
  });

  it("the driver's notifier inserted while the other's is in the tree and an invalidation is active is deferred: that invalidation and the next owe it nothing", () => {
    const { s } = play(two, [act('mm_user_open', 0, 1), act('reclaim', 0, 0), act('register', 0), act('reclaim', 0, 1)]);
    expect(s.subs[0]).toMatchObject({ live: true, deferred: true });
    expect(s.invs.map((inv) => inv.cb[0])).toEqual([CB_RETURNED, CB_RETURNED]);
  });

  it("a refused non-blockable start abandons the other driver's callback too (mn_itree_invalidate stops at the first refusal)", () => {
    // Memory runs low once the fork child's copy-on-write break took a frame (the scope's frames).
    const low = [act('mm_user_open', 0, 1), act('fork', 0), act('mm_user_invalidate', 0, 1), ...forkCopy(0, '11'), act('invalidate_end', 0), act('register', 0), act('cpu_write', 1, 1), act('invalidate_end', 0)];
    const { s, events } = play(two, [...low, act('oom_kill', 0), act('oom_reap', 0)]);
    expect(events.at(-1)).toMatchObject({ t: 'invalidate_start', callbacks: 2 });
    events.push(...stepInPlace(two, s, act('inv_lock', 0)));
    expect(events.map((e) => e.t)).toContain('invalidate_abandon');
    expect(s.invs.every((inv) => !inv.live)).toBe(true);
    expect(s.mms[0]!.active).toBe(0);
  });

  it('the second driver closes only with no invalidation of the mm in progress (remove would sleep), and frees its notifier', () => {
    const r = play(two, [act('mm_user_open', 0, 1), act('reclaim', 0, 0)]);
    expect(enabled(two, r.s).some((a) => a.k === 'mm_user_close')).toBe(false);
    const done = play(two, [act('mm_user_open', 0, 1), act('reclaim', 0, 0), act('mm_user_invalidate', 0, 1), act('invalidate_end', 0), act('mm_user_close', 0, 1)]);
    // p0's second notifier is slot p + k * procs = 2 (model/subscriptions.ts subSlot).
    expect(done.events.at(-1)).toMatchObject({ t: 'notifier_free', sub: 2 });
    expect(done.s.subs[2]!.live).toBe(false);
  });
});
