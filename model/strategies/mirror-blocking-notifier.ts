// mirror-blocking-notifier: seed 000, Jason Gunthorpe's proposal for GPUs that cannot fault. At submit the
// driver faults the job's pages into the mirror (the interval notifier's fault side, no pin). The
// invalidate callback sets the seq, waits until every job touching the range that the hardware holds
// has signalled its fence, then unmaps the range from the mirror and returns.
// With user-space queues the kernel never sees a submission: the registration prefaults the mirror and a
// restore step refaults a page after an invalidation, and the callback's wait is on fences user space
// controls: Christian König's objection in the same thread.
import { NONE } from '../types.ts';
import type { Action, JobState, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { callbackRefuse, invalidating, procInvalidating, setSeq, subscribe, zapAndReturn } from '../mm.ts';
import { callbackWaitId, fenceReleaser, waitsOn } from '../waits.ts';
import {
  mirrorTeardown,
  emptyFaults,
  faultActionKinds,
  faultApply,
  faultEnabled,
  faultPending,
  startFault,
  type FaultMutations,
  mirrorCounters,
  mirrorJobSymmetry,
  type MirrorDriver,
} from './mirror-fault.ts';

const CB_WAITING = 1;

function mutations(ctx: DriverContext): FaultMutations {
  return { noReadRetry: ctx.mutant === 'no-read-retry', retryOutsideLock: false };
}

/** Jobs the hardware holds: handed over and not yet signalled. */
const executing: readonly JobState[] = ['ready', 'running', 'landed', 'failed'];

/** The jobs of `proc` touching `pages` that the callback must wait for. */
function jobsToWaitFor(s: State, proc: number, pages: number, ctx: DriverContext): number[] {
  if (ctx.mutant === 'unmap-without-wait') return [];
  const states: readonly JobState[] = ctx.mutant === 'wait-only-running' ? ['running'] : executing;
  const out: number[] = [];
  s.jobs.forEach((j, i) => {
    if (j.proc === proc && (pages >> j.vpage) & 1 && states.includes(j.state)) out.push(i);
  });
  return out;
}

export const mirrorBlockingNotifier = defineStrategy({
  ...mirrorCounters,
  jobSymmetry: mirrorJobSymmetry,
  // Its callbacks' progress is in the invalidation's own record (cb); the driver names no slot.
  invSymmetry: {},
  name: 'mirror-blocking-notifier',
  summary: 'fault pages into the mirror at submit, no pin; the invalidate callback waits for the executing job\'s fence, then unmaps',
  from: 'seed 000 (Jason Gunthorpe, Christian König, 2016)',
  device: { kind: 'gpu', recoverable: false },
  configs: ['kernel-queue', 'user-queue', 'process-exit'],
  mutants: [
    { name: 'unmap-without-wait', pattern: 'the callback unmaps and returns while a job still uses the pages: DMA into a freed page (the bug the blocking wait exists to prevent)' },
    { name: 'wait-only-running', pattern: 'the callback waits for the job executing now but not for the jobs queued behind it: a GPU that cannot fault hits the unmapped page' },
    { name: 'no-read-retry', pattern: 'submit-time fault-in without mmu_interval_read_retry: a page freed during the fault-in is mapped (the pre-5.5 userptr collision bugs)' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...faultActionKinds,
    { kind: 'cb_begin', actor: 'kernel', args: ['inv'], models: 'invalidate callback: if !mmu_notifier_range_blockable return false (it would wait on a fence); notifier lock; mmu_interval_set_seq; find the jobs touching the range' },
    { kind: 'cb_unmap', actor: 'kernel', args: ['inv'], models: 'invalidate callback: dma_fence_wait on those jobs, then unmap the range from the GPU page table and return' },
    { kind: 'restore', actor: 'kernel', args: ['p', 'v'], models: 'user-queue config: a worker refaults a page of the registered range' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'closing the userptr: wait for the process\'s jobs, remove the notifier, unmap' },
  ],

  init: (s): MirrorDriver => ({ faults: emptyFaults(s), lock: NONE }),

  enabled(s, ctx, out) {
    const d = s.drv;
    faultEnabled(s, mutations(ctx), out);
    s.invs.forEach((inv, i) => {
      if (!inv.live || d.lock !== NONE) return;
      const c = inv.cb[inv.proc]!;
      if (c === 0) out.push({ k: 'cb_begin', a: i, b: NONE });
      else if (c === CB_WAITING && jobsToWaitFor(s, inv.proc, inv.pages, ctx).length === 0) out.push({ k: 'cb_unmap', a: i, b: NONE });
    });
    s.regs.forEach((r, p) => {
      if (!r.live) return;
      if (r.closing) {
        // mmu_interval_notifier_remove waits for an invalidation in progress to end.
        if (d.lock === NONE && !procInvalidating(s, p) && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) {
          out.push({ k: 'dereg_finish', a: p, b: NONE });
        }
        return;
      }
      if (ctx.cfg.queue !== 'user' || r.opening) return;
      s.mms[p]!.ptes.forEach((pte, v) => {
        if (pte.mapped && s.dev.mirror[p]![v]!.frame === NONE && !faultPending(s, p, v) && !invalidating(s, p, v)) {
          out.push({ k: 'restore', a: p, b: v });
        }
      });
    });
  },

  apply(s, a: Action, ctx) {
    applyStep(s, a, ctx);
    // The registration ioctl returns once it has faulted its range in (with user queues).
    for (const r of s.regs) if (r.opening && !s.drv.faults.some((f) => f.live && f.proc === r.proc)) r.opening = false;
  },

  onRegister(s, proc, ctx) {
    subscribe(s, proc);
    if (ctx.cfg.queue !== 'user') return;
    // With user queues no submission is seen: the registration faults every page in before it returns.
    s.regs[proc]!.opening = true;
    s.mms[proc]!.ptes.forEach((pte, v) => pte.mapped && startFault(s, proc, v, true, NONE));
    // Nothing mapped to fault in: the ioctl returns at once, rather than wait for a driver step that
    // notices no fault is live (and none comes). The kernel fails it instead: amdgpu_ttm_tt_get_user_pages
    // finds no VMA (vma_lookup) and returns -EFAULT; the model registers what is mapped (a simplification).
    if (!s.drv.faults.some((f) => f.live && f.proc === proc)) s.regs[proc]!.opening = false;
  },

  onSubmit(s, job) {
    const j = s.jobs[job]!;
    startFault(s, j.proc, j.vpage, j.write, job);
  },

  // The callback waits on the fences of the jobs touching its range: the hardware signals them on a
  // kernel queue, only user space on a user queue (Christian König's objection in seed 000). A callback
  // not yet begun will wait on them too (cb_begin is its first step).
  waits(s, ctx, out) {
    s.invs.forEach((inv, i) => {
      const c = inv.cb[inv.proc];
      if (!inv.live || !(c === CB_WAITING || (c === 0 && inv.blockable))) return;
      for (const k of jobsToWaitFor(s, inv.proc, inv.pages, ctx)) {
        waitsOn(out, callbackWaitId(i, inv.proc), { target: { k: 'fence', job: k }, heldBy: [], releasedBy: fenceReleaser(ctx.cfg.queue) });
      }
    });
  },
});

function applyStep(s: State<MirrorDriver>, a: Action, ctx: DriverContext): void {
  if (faultApply(s, a, mutations(ctx), mirrorBlockingNotifier, ctx, (f) => {
    if (f.job !== NONE) s.jobs[f.job]!.state = 'ready'; // the job goes to the hardware
  })) return;
  switch (a.k) {
    case 'cb_begin': {
      const inv = s.invs[a.a]!;
      // The callback would have to wait on a fence: a non-blockable invalidation is refused
      // (amdgpu_hmm_invalidate_gfx returns false when !mmu_notifier_range_blockable).
      if (!inv.blockable) {
        callbackRefuse(s, a.a, inv.proc, ctx);
        return;
      }
      setSeq(s, a.a, inv.proc);
      inv.cb[inv.proc] = CB_WAITING;
      for (const j of jobsToWaitFor(s, inv.proc, inv.pages, ctx)) ctx.emit({ t: 'callback_wait_fence', inv: a.a, job: j });
      return;
    }
    case 'cb_unmap':
      zapAndReturn(s, a.a, ctx);
      return;
    case 'restore':
      startFault(s, a.a, a.b, true, NONE);
      return;
    case 'dereg_finish': {
      const p = a.a;
      mirrorTeardown(s, p, 'userptr closed', ctx);
      return;
    }
  }
}
