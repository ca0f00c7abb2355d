// odp-mirror: RDMA On-Demand Paging and HMM mirroring (seeds 000, 002; KERNEL.md §1-2).
// The NIC faults on a missing translation and stalls; the driver runs the interval notifier's fault side
// (read_begin, hmm_range_fault, lock + read_retry + program + unlock) and resumes it. The invalidate
// callback is mlx5's: take umem_mutex, mmu_interval_set_seq, zap the HCA's entries with a fenced UMR,
// wait until the HCA no longer uses the pages, mark written pages dirty, unlock, return. No pins.
import { NONE } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { DEREGISTERED, failJob, recordFailure } from '../job-error.ts';
import { callbackRefuse, callbackReturn, dirtyWritten, dmaInFlight, procInvalidating, setSeq, subscribe, unsubscribe, zapMirror } from '../mm.ts';
import {
  mirrorTeardown,
  emptyFaults,
  faultActionKinds,
  faultApply,
  faultEnabled,
  startFault,
  type FaultMutations,
  mirrorCounters,
  mirrorJobSymmetry,
  type MirrorDriver,
} from './mirror-fault.ts';
import { callbackWaitId, waitsOn } from '../waits.ts';
import { hasMkey, mkeyDrained, mkeyErase, mkeyGet, mkeyInit, mkeyClearDead, mkeyPut, mkeyStore, mkeyWaits, mrFree } from '../mkey.ts';
import type { State } from '../types.ts';

/** Callback steps, stored in inv.cb[sub]. */
const CB_LOCKED = 1;
const CB_ZAPPED = 2;
const LOCK_BY_INV = 1000;

/** odp-mirror's state: the fault path's, with umem_mutex per process's MR. */
interface OdpDriver extends MirrorDriver {
  locks: number[];
}

type OdpMutant = 'no-read-retry' | 'retry-outside-lock' | 'zap-without-wait' | 'refuse-with-lock-held' | 'free-before-remove-returns' | 'skip-protection-change' | 'ignore-release' | 'dereg-without-deref-wait';

function mutations(ctx: DriverContext<OdpMutant>): FaultMutations {
  return { noReadRetry: ctx.mutant === 'no-read-retry', retryOutsideLock: ctx.mutant === 'retry-outside-lock' };
}

export const odpMirror = defineStrategy({
  counters: (d: OdpDriver, c) => mirrorCounters.counters(d, c),
  clearDead: (d: OdpDriver, s) => {
    mirrorCounters.clearDead(d);
    mkeyClearDead(s);
  },
  jobSymmetry: mirrorJobSymmetry,
  // A callback holds umem_mutex as LOCK_BY_INV + its invalidation slot.
  invSymmetry: { invRefs: [{ field: 'locks', offset: LOCK_BY_INV }] },
  name: 'odp-mirror',
  summary: 'device faults through hmm_range_fault with the interval notifier seq retry; invalidate = fence and block DMA, zap the mirror, unblock',
  from: 'seeds 000/002; drivers/infiniband/core/umem_odp.c, drivers/infiniband/hw/mlx5/odp.c',
  device: { kind: 'rdma', recoverable: true },
  configs: ['kernel-queue', 'user-queue', 'dax-file', 'mprotect', 'process-exit', 'two-notifiers', 'zero-page'],
  mutants: [
    { name: 'no-read-retry', pattern: 'device PTE programmed without mmu_interval_read_retry: a page being freed is mapped (the hand-rolled collision-retry bugs fixed by 99cb252f5e68)' },
    { name: 'retry-outside-lock', pattern: 'read_retry checked before taking the driver lock: an invalidation starting right after the check is missed (i915 userptr before ed29c2691188)' },
    { name: 'zap-without-wait', pattern: 'the callback zaps and returns without waiting for in-flight DMA (no fenced UMR / no wait for the device TLB flush)' },
    { name: 'skip-protection-change', pattern: 'the invalidate callback filters on the event (range->event, mmu_notifier_range_update_to_read_only) and returns at once for MMU_NOTIFY_PROTECTION_VMA, as if a range whose pages do not move needed no zap: the HCA keeps a writable translation after mprotect(PROT_READ) and writes memory user space made read-only', configs: ['mprotect'] },
    { name: 'ignore-release', pattern: 'the invalidate callback returns at once on MMU_NOTIFY_RELEASE (mn_itree_release at exit_mmap), as if a dying process needed nothing done: the HCA keeps its translations and its DMA in flight while exit_mmap unmaps and frees every page (a release that does not stop the device)' },
    { name: 'refuse-with-lock-held', pattern: 'a non-blockable invalidation refused after taking umem_mutex, and the mutex left held: every later fault and invalidation of the MR waits forever (7608bf40cf24)' },
    { name: 'dereg-without-deref-wait', pattern: 'the MR\'s deregistration erases its mkey from odp_mkeys and frees the MR without waiting for the page-fault handlers that already hold the key (no mlx5r_deref_wait_odp_mkey, as before db72438c9319 a dereg without the synchronize_srcu it replaced): a handler in hmm_range_fault or waiting for umem_mutex then programs the translation of a freed MR' },
    { name: 'free-before-remove-returns', pattern: 'the MR\'s teardown frees the umem_odp (and the interval notifier in it) while an invalidation of the mm is in progress, without mmu_interval_notifier_remove\'s wait for it: the invalidation calls the freed notifier (the implicit-ODP teardown races, de5ed007a03d; mmu_interval_notifier_remove\'s contract: free only after it returns)' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...faultActionKinds,
    { kind: 'inv_lock', actor: 'kernel', args: ['inv'], models: 'invalidate callback: if !mmu_notifier_range_blockable return false (mlx5); mutex_lock(umem_mutex); mmu_interval_set_seq' },
    { kind: 'inv_zap', actor: 'kernel', args: ['inv'], models: 'invalidate callback: fenced UMR zapping the HCA translations; set_page_dirty on written pages' },
    { kind: 'inv_sync', actor: 'kernel', args: ['inv'], models: 'invalidate callback: wait for the UMR (in-flight DMA drained); unlock; return' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: '__mlx5_ib_dereg_mr after mlx5r_deref_wait_odp_mkey: destroy_mkey; ib_umem_odp_release: mmu_interval_notifier_remove, zap, unmap; kfree of the MR', guard: 'the registration is closing, no page-fault handler holds its mkey (usecount 0), umem_mutex is free, no invalidation of the process is in progress and no DMA is in flight' },
  ],

  // umem_mutex is per umem (struct ib_umem_odp): each process's MR has its own, and `lock` stays NONE.
  // Each MR has its mkey (model/mkey.ts): a world-visible kernel object with a lifetime.
  init: (s): OdpDriver => {
    mkeyInit(s);
    return odpDriverState(s);
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    faultEnabled(s, mutations(ctx), out);
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const c = inv.cb[inv.proc]!;
      // A non-blockable invalidation is refused before the lock is taken (mlx5_ib_invalidate_range).
      const refuseFirst = !inv.blockable && ctx.mutant !== 'refuse-with-lock-held';
      if (c === 0 && (d.locks[inv.proc] === NONE || refuseFirst)) out.push({ k: 'inv_lock', a: i, b: NONE });
      else if (c === CB_LOCKED) out.push({ k: 'inv_zap', a: i, b: NONE });
      else if (c === CB_ZAPPED && !dmaInFlight(s, inv.proc, inv.pages)) out.push({ k: 'inv_sync', a: i, b: NONE });
    });
    s.regs.forEach((r, p) => {
      // mmu_interval_notifier_remove waits for an invalidation in progress to end (the mutant frees at once).
      const removeReturns = !procInvalidating(s, p) || ctx.mutant === 'free-before-remove-returns';
      // mlx5r_deref_wait_odp_mkey: no page-fault handler holds the key any more (the mutant does not wait).
      const keyDrained = mkeyDrained(s, p) || ctx.mutant === 'dereg-without-deref-wait';
      if (r.live && r.closing && keyDrained && d.locks[p] === NONE && removeReturns && !dmaInFlight(s, p, (1 << s.mms[p]!.ptes.length) - 1)) {
        out.push({ k: 'dereg_finish', a: p, b: NONE });
      }
    });
  },

  apply(s, a, ctx) {
    const d = s.drv;
    const f = d.faults[a.a];
    const handling = f !== undefined && f.live;
    if (faultApply(s, a, mutations(ctx), odpMirror, ctx, (f) => {
      if (f.job !== NONE) s.jobs[f.job]!.state = 'ready'; // resume the stalled queue pair
    })) {
      // The handler ended (the translation programmed, or hmm_range_fault failed): it drops the key.
      if (handling && !f.live) mkeyPut(s, f.proc, f.job, ctx);
      return;
    }
    const inv = s.invs[a.a]!;
    switch (a.k) {
      case 'inv_lock':
        if (ctx.mutant === 'ignore-release' && inv.cause === 'exit') {
          callbackReturn(s, a.a, inv.proc, ctx); // mutant: "the mm is going away anyway"
          return;
        }
        if (!inv.blockable) {
          if (ctx.mutant === 'refuse-with-lock-held') d.locks[inv.proc] = LOCK_BY_INV + a.a; // trylock taken, never released
          callbackRefuse(s, a.a, inv.proc, ctx);
          return;
        }
        d.locks[inv.proc] = LOCK_BY_INV + a.a;
        setSeq(s, a.a, inv.proc);
        inv.cb[inv.proc] = CB_LOCKED;
        return;
      case 'inv_zap':
        dirtyWritten(s, inv.proc, inv.pages);
        zapMirror(s, inv.proc, inv.pages);
        if (ctx.mutant === 'zap-without-wait') {
          d.locks[inv.proc] = NONE;
          callbackReturn(s, a.a, inv.proc, ctx);
        } else {
          inv.cb[inv.proc] = CB_ZAPPED;
        }
        return;
      case 'inv_sync':
        d.locks[inv.proc] = NONE;
        callbackReturn(s, a.a, inv.proc, ctx);
        return;
      case 'dereg_finish':
        deregFinish(s, a.a, ctx);
        return;
    }
  },

  onRegister(s, proc) {
    subscribe(s, proc);
    mkeyStore(s, proc);
  },

  // mlx5_ib_dereg_mr: xa_erase of the mkey from odp_mkeys (later faults find nothing), then the wait for
  // its usecount (dereg_finish's guard).
  onDeregister(s, proc, ctx) {
    mkeyErase(s, proc, ctx);
  },

  // A fresh MR in the slot only once no handler of the last one runs: the model reuses the slot's mkey
  // (the kernel allocates a new one), so a handler still running on a freed MR (the mutant only) must not
  // count against the new key.
  canRegister(s, proc) {
    return !hasMkey(s, proc) || !s.drv.faults.some((f) => f.live && f.proc === proc);
  },

  onInvalidateStart(s, inv, ctx) {
    const iv = s.invs[inv]!;
    // The mutant: an event filter that takes mprotect's invalidation for one with nothing to do.
    if (ctx.mutant === 'skip-protection-change' && iv.cause === 'mprotect' && iv.cb[iv.proc] === 0) callbackReturn(s, inv, iv.proc, ctx);
  },

  // A callback waits on umem_mutex (held by another callback, or by nobody once leaked), then on the
  // fenced UMR: the DMA in flight draining.
  waits(s, ctx, out) {
    const d = s.drv;
    if (ctx.mutant !== 'dereg-without-deref-wait') mkeyWaits(s, out);
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const id = callbackWaitId(i, inv.proc);
      const c = inv.cb[inv.proc]!;
      if (c === 0 && d.locks[inv.proc] !== NONE) {
        // The holder is the callback of that slot only while it is past inv_lock (a refused one that
        // left the mutex held is gone, and its slot may be reused).
        const k = d.locks[inv.proc]! - LOCK_BY_INV;
        const iv = s.invs[k];
        const cbk = iv?.cb[iv.proc];
        const holder = iv && iv.live && (cbk === CB_LOCKED || cbk === CB_ZAPPED) ? [callbackWaitId(k, iv.proc)] : [];
        waitsOn(out, id, { target: { k: 'driver-lock', name: `umem_mutex of p${inv.proc}'s MR` }, heldBy: holder, releasedBy: holder.length > 0 ? 'kernel' : 'nobody' });
      } else if (c === CB_ZAPPED) {
        s.jobs.forEach((j, k) => {
          if (j.state === 'running' && j.proc === inv.proc && (inv.pages >> j.vpage) & 1) waitsOn(out, id, { target: { k: 'dma', job: k }, heldBy: [], releasedBy: 'hardware' });
        });
      }
    });
  },

  // mlx5_ib_eqe_pf_action -> pagefault_single_data_segment: the handler looks the key up first; it holds
  // it through the whole fault (hmm_range_fault, umem_mutex, the UMR). The EQE and the lookup are one
  // step: a deregistration between them is the same as one before the fault.
  onDeviceFault(s, job, ctx) {
    const j = s.jobs[job]!;
    if (mkeyGet(s, j.proc, job, ctx)) {
      startFault(s, j.proc, j.vpage, j.write, job);
      return;
    }
    // Not in odp_mkeys ("skipping non ODP MR"): nothing is mapped, the fault is resumed with an error
    // and the HCA completes the work request in error (a local protection / remote access error).
    failJob(s, job, { errno: 'EFAULT', from: 'driver', cause: 'deregistered', detail: 'page fault: the MR\'s mkey is no longer in odp_mkeys (deregistered): resumed with an error' }, ctx);
  },
});

/**
 * The rest of __mlx5_ib_dereg_mr once the key drained: destroy_mkey, ib_umem_odp_release
 * (mmu_interval_notifier_remove, the unmap with written pages marked dirty) and the kfree of the MR. A
 * work request still queued on the destroyed key completes in error. Unlike mirrorTeardown, no fault is
 * aborted: a handler is another kernel thread, which nothing here can stop (in the correct design none
 * holds the key by now; in the mutant, one still runs on the freed MR).
 */
function deregFinish(s: State<OdpDriver>, p: number, ctx: DriverContext<OdpMutant>): void {
  if (!hasMkey(s, p)) {
    // A NIC without the key (hmm-p2p's): its teardown as before, aborting the faults in flight.
    mirrorTeardown(s, p, 'MR deregistered', ctx);
    s.jobs.forEach((j, k) => {
      if (j.proc === p && (j.state === 'ready' || j.state === 'faulting')) recordFailure(s, k, DEREGISTERED);
    });
    return;
  }
  const all = (1 << s.mms[p]!.ptes.length) - 1;
  unsubscribe(s, p, ctx);
  dirtyWritten(s, p, all);
  zapMirror(s, p, all);
  s.regs[p]!.live = false;
  s.regs[p]!.closing = false;
  mrFree(s, p, ctx);
  s.jobs.forEach((j, k) => {
    if (j.proc === p && j.state === 'ready') recordFailure(s, k, DEREGISTERED);
  });
}

/**
 * odp-mirror's driver state without the MR's key: for a strategy that reuses odp-mirror's fault path and
 * callbacks as its NIC but models no key (hmm-p2p; the README's simplifications say so).
 */
export function odpDriverState(s: State): OdpDriver {
  return { faults: emptyFaults(s), lock: NONE, locks: s.mms.map(() => NONE) };
}
