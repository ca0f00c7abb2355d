// queue-preempt: amdkfd today (KERNEL.md §5; drivers/gpu/drm/amd/amdkfd/kfd_svm.c,
// drivers/gpu/drm/amd/amdgpu/amdgpu_amdkfd_fence.c). A GPU that cannot fault runs user-mode queues the
// kernel never sees a submission on. No per-job fences: one eviction fence per process, which signals only
// once the hardware has preempted all of that process's queues (bounded: in-flight DMA lands first). The
// invalidate callback sets the seq and quiesces the queues, waits for the eviction fence, zaps the GPU
// page table for the range and returns; a restore worker then revalidates the process's pages (the
// interval notifier's fault side, mirror-fault.ts) and, if no eviction came in the meantime, arms a new
// eviction fence and resumes the queues. A non-blockable invalidation (the OOM reaper) is refused: the
// callback would have to wait for the preemption.
//   qp_evict(inv)      callback: mmu_interval_set_seq; kgd2kfd_quiesce_mm (preemption requested)
//   qp_zap(inv)        callback: after the eviction fence signalled, unmap the range from the GPU; return
//   evict_signal(p)    the eviction worker: the queues are preempted, dma_fence_signal(eviction fence)
//   restore_begin(p)   the restore worker: revalidate the evicted pages (read_begin, range_fault, commit)
//   restore_resume(p)  the restore worker: no eviction meanwhile? new eviction fence; kgd2kfd_resume_mm
// In the kernel-queue config the kernel sees each submission: a job whose page the GPU does not map yet
// waits in the kernel while the process is evicted and restored, and a restore fails the queued jobs whose
// page was unmapped (the GPU would fault on them).
// Simplifications: registration (creating the queue and its userptr ranges) maps every present, writable
// page within its own step (so it waits until no invalidation of the process runs); if a page needs a
// fault first (swapped out, shared copy-on-write), the queue is created preempted and the restore worker
// brings it up. A driver allocation's memory is not modelled, only the direct reclaim it may enter.
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import { defineStrategy } from '../strategy.ts';
import { failJob } from '../job-error.ts';
import { callbackRefuse, dirtyWritten, procInvalidating, setMirror, setSeq, subscribe, zapAndReturn, zapMirror } from '../mm.ts';
import { directReclaim } from '../oom.ts';
import { callbackWaitId, pendingCallbackIds, waitsOn } from '../waits.ts';
import { emptyFaults, mirrorTeardown, faultActionKinds, faultApply, faultEnabled, faultPending, startFault, faultCounters, faultClearDead, type FaultCtx, type FaultMutations, type MirrorDriver } from './mirror-fault.ts';

const CB_WAIT_EVICTION = 1;

/** The fault path's state (the driver lock is never held across steps here), and the eviction's. */
interface QueueDriver extends MirrorDriver {
  /** Per process: its eviction fence is signalled (1) or armed (0). */
  efence: number[];
  /** Per process: evictions so far (evicted_ranges); the restore worker compares it with its snapshot. */
  evictions: number[];
  snap: number[];
  /** Per process: a restore is owed (1); the restore worker is revalidating (restoring = 1). */
  pending: number[];
  restoring: number[];
  /** Per process (mutant alloc-in-fence-signalling): the signalling path waits for this reclaim, or NONE. */
  sigInv: number[];
}

const mutations = (): FaultMutations => ({ noReadRetry: false, retryOutsideLock: false });

/** Does the GPU page table map (p, v) well enough for a job (writable for a write)? */
function mirrored(s: State, p: number, v: number, write: boolean): boolean {
  const e = s.dev.mirror[p]![v]!;
  return e.frame !== NONE && (e.writable || !write);
}

/**
 * Is a callback of `p` between quiescing and returning? It holds the process's notifier lock
 * (process_info->notifier_lock) all that time, and the restore worker takes the same lock.
 */
function inCallback(s: State, p: number): boolean {
  return s.invs.some((inv) => inv.live && inv.proc === p && inv.cb[p] === CB_WAIT_EVICTION);
}

/** Quiesce `p`'s queues: ask the hardware to preempt them; the restore worker owes them a resume. */
function evict(s: State<QueueDriver>, p: number): void {
  const d = s.drv;
  if (s.queues[p]!.state === 'running') s.queues[p]!.state = 'preempt-requested';
  d.evictions[p]!++;
  d.pending[p] = 1;
}

export const queuePreempt = defineStrategy({
  name: 'queue-preempt',
  // The signalling path of the mutant alloc-in-fence-signalling waits for the reclaim in sigInv[p].
  invSymmetry: { invRefs: [{ field: 'sigInv', offset: 0 }] },
  summary: 'the invalidate callback preempts the process\'s queues (one eviction fence, bounded by hardware), zaps the GPU page table; a restore worker revalidates, then resumes the queues',
  from: 'amdkfd today: kfd_svm.c, amdgpu_amdkfd_fence.c (KERNEL.md §5)',
  device: { kind: 'gpu', recoverable: false },
  configs: ['user-queue', 'kernel-queue', 'user-queue-preempt-timeout'],
  mutants: [
    { name: 'resume-before-revalidate', pattern: 'the restore worker resumes the queues before the revalidation completed: the GPU runs on page-table entries the callback zapped' },
    { name: 'zap-before-preempted', pattern: 'the callback zaps the GPU page table when it asks for the preemption, before the hardware has preempted the queues: the still running queue walks into the hole' },
    { name: 'signal-before-preempted', pattern: 'the eviction fence signals when the preemption is requested, not when the hardware completed it: the callback returns while a DMA is in flight and the page is freed under it' },
    { name: 'alloc-in-fence-signalling', pattern: 'the eviction fence\'s signalling path allocates with GFP_KERNEL: below the watermark it enters direct reclaim, whose notifier waits on that very fence (the 2020 dma_fence_begin_signalling annotation series)' },
    { name: 'restore-not-requeued', pattern: 'the restore worker that finds an eviction came during its revalidation returns without requeueing itself (restore_process_worker\'s queue_delayed_work of restore_work lost): the evicted queues stay off the hardware until some later eviction happens to schedule it again' },
    { name: 'block-in-nonblocking', pattern: 'a non-blockable invalidation (the OOM reaper) is not refused: the callback waits for the hardware to preempt the queues where it may not sleep' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...faultActionKinds,
    { kind: 'qp_evict', actor: 'kernel', args: ['inv'], models: 'invalidate callback: return false if !mmu_notifier_range_blockable; mmu_interval_set_seq; kgd2kfd_quiesce_mm (request the preemption of the process\'s queues)' },
    { kind: 'qp_zap', actor: 'kernel', args: ['inv'], models: 'invalidate callback: dma_fence_wait(eviction fence); unmap the range from the GPU page table; return' },
    { kind: 'evict_signal', actor: 'kernel', args: ['p'], models: 'the eviction worker: the hardware preempted the queues; dma_fence_signal(eviction fence)' },
    { kind: 'restore_begin', actor: 'kernel', args: ['p'], models: 'restore worker (svm_range_restore_work): revalidate the evicted pages with hmm_range_fault and the seq retry' },
    { kind: 'restore_resume', actor: 'kernel', args: ['p'], models: 'restore worker: if no eviction came meanwhile, a new eviction fence and kgd2kfd_resume_mm; else reschedule' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'destroying the queues and the userptr ranges once drained: mmu_interval_notifier_remove, unmap' },
    { kind: 'preempt_timeout', actor: 'kernel', args: ['p'], models: 'unmap_queues_cpsch: amdkfd_fence_wait_timeout(queue_preemption_timeout_ms) expires; kfd_hws_hang -> amdgpu_amdkfd_gpu_reset -> amdgpu_device_gpu_recover: every queue on the GPU is reset' },
  ],

  // The finite model: evictions and the restore worker's snapshot of it are a counter per process.
  counters(d: QueueDriver, c) {
    faultCounters(d, c);
    d.evictions.forEach((x, p) => {
      d.evictions[p] = c.count(`evictions${p}`, x);
      d.snap[p] = c.count(`evictions${p}`, d.snap[p]!);
    });
  },
  clearDead: (d: QueueDriver) => faultClearDead(d),

  init: (s): QueueDriver => ({
    faults: emptyFaults(s),
    lock: NONE,
    efence: s.mms.map(() => 1),
    evictions: s.mms.map(() => 0),
    snap: s.mms.map(() => 0),
    pending: s.mms.map(() => 0),
    restoring: s.mms.map(() => 0),
    sigInv: s.mms.map(() => NONE),
  }),

  enabled(s, ctx, out) {
    const d = s.drv;
    faultEnabled(s, mutations(), out);
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const c = inv.cb[inv.proc]!;
      if (c === 0) out.push({ k: 'qp_evict', a: i, b: NONE });
      else if (c === CB_WAIT_EVICTION && d.efence[inv.proc] === 1) out.push({ k: 'qp_zap', a: i, b: NONE });
    });
    s.regs.forEach((r, p) => {
      if (!r.live) return;
      const q = s.queues[p]!.state;
      const preempted = q === 'preempted' || (ctx.mutant === 'signal-before-preempted' && q === 'preempt-requested');
      const sig = d.sigInv[p]!;
      if (d.efence[p] === 0 && preempted && (sig === NONE || !s.invs[sig]!.live)) out.push({ k: 'evict_signal', a: p, b: NONE });
      // The HWS did not acknowledge the preemption in time (a queue that does not yield).
      if (ctx.cfg.kernel.preemptTimeout === true && q === 'preempt-requested') out.push({ k: 'preempt_timeout', a: p, b: NONE });
      const locked = inCallback(s, p);
      if (d.pending[p] === 1 && d.restoring[p] === 0 && d.efence[p] === 1 && !locked) out.push({ k: 'restore_begin', a: p, b: NONE });
      const faulting = d.faults.some((f) => f.live && f.proc === p);
      if (d.restoring[p] === 1 && !locked && (!faulting || ctx.mutant === 'resume-before-revalidate')) out.push({ k: 'restore_resume', a: p, b: NONE });
      if (r.closing && d.restoring[p] === 0 && d.pending[p] === 0 && !procInvalidating(s, p) && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) {
        out.push({ k: 'dereg_finish', a: p, b: NONE });
      }
    });
  },

  apply(s, a: Action, ctx) {
    const d = s.drv;
    if (faultApply(s, a, mutations(), queuePreempt, ctx, () => {})) return;
    switch (a.k) {
      case 'qp_evict': {
        const inv = s.invs[a.a]!;
        const p = inv.proc;
        if (!inv.blockable && ctx.mutant !== 'block-in-nonblocking') {
          callbackRefuse(s, a.a, p, ctx); // it would have to wait for the preemption
          return;
        }
        setSeq(s, a.a, p);
        evict(s, p);
        if (ctx.mutant === 'zap-before-preempted') {
          dirtyWritten(s, p, inv.pages);
          zapMirror(s, p, inv.pages);
        }
        inv.cb[p] = CB_WAIT_EVICTION;
        ctx.emit({ t: 'callback_wait_eviction', inv: a.a, proc: p });
        return;
      }
      case 'qp_zap':
        zapAndReturn(s, a.a, ctx);
        return;
      case 'evict_signal': {
        const p = a.a;
        if (ctx.mutant === 'alloc-in-fence-signalling' && d.sigInv[p] === NONE) {
          // kmalloc(GFP_KERNEL) inside the signalling section: below the watermark, direct reclaim.
          const i = directReclaim(s, ctx.cfg, queuePreempt, ctx);
          if (i !== NONE) {
            d.sigInv[p] = i;
            return;
          }
        }
        d.sigInv[p] = NONE;
        d.efence[p] = 1;
        return;
      }
      case 'restore_begin': {
        const p = a.a;
        d.restoring[p] = 1;
        d.snap[p] = d.evictions[p]!;
        s.mms[p]!.ptes.forEach((pte, v) => {
          if (pte.mapped && !mirrored(s, p, v, true) && !faultPending(s, p, v)) startFault(s, p, v, true, NONE);
        });
        return;
      }
      case 'restore_resume': {
        const p = a.a;
        d.restoring[p] = 0;
        const stale = d.evictions[p] !== d.snap[p] || s.mms[p]!.ptes.some((pte, v) => pte.mapped && !mirrored(s, p, v, true));
        if (stale && ctx.mutant !== 'resume-before-revalidate') {
          // Reschedule: restore_begin again (restore_process_worker: queue_delayed_work of restore_work).
          if (ctx.mutant === 'restore-not-requeued') d.pending[p] = 0;
          return;
        }
        if (ctx.cfg.queue === 'kernel') {
          s.jobs.forEach((j, k) => {
            if (j.proc !== p || (j.state !== 'submitted' && j.state !== 'ready')) return;
            if (!s.mms[p]!.ptes[j.vpage]!.mapped) {
              failJob(s, k, { errno: 'EFAULT', from: 'driver', cause: 'not-mapped', detail: 'restore: the page is no longer mapped' }, ctx);
            } else j.state = 'ready';
          });
        }
        d.pending[p] = 0;
        d.efence[p] = 0;
        s.queues[p]!.state = 'running';
        ctx.emit({ t: 'queues_resumed', proc: p });
        return;
      }
      case 'preempt_timeout': {
        // The GPU reset stops every engine: the work queued or in flight on every process's queues is lost
        // (its fences signal with an error, kfd_signal_reset_event), and the evicted process's queues are gone.
        let lost = 0;
        s.jobs.forEach((j, k) => {
          if (j.state !== 'ready' && j.state !== 'running') return;
          lost++;
          failJob(s, k, { errno: 'EIO', from: 'driver', cause: 'gpu-reset', detail: `GPU reset after p${a.a}'s queue preemption timed out: the job was lost` }, ctx);
        });
        s.queues[a.a]!.state = 'preempted';
        ctx.emit({ t: 'gpu_reset', proc: a.a, lost });
        return;
      }
      case 'dereg_finish': {
        const p = a.a;
        mirrorTeardown(s, p, 'queues destroyed', ctx);
        d.efence[p] = 1;
        s.queues[p]!.state = 'running';
        return;
      }
    }
  },

  // The ioctls that create the queue and the userptr ranges map the pages in, in one step.
  canRegister(s, p) {
    return !procInvalidating(s, p);
  },

  onRegister(s, p) {
    const d = s.drv;
    subscribe(s, p);
    let complete = true;
    s.mms[p]!.ptes.forEach((pte, v) => {
      if (pte.mapped && pte.frame !== NONE && pte.writable) setMirror(s, p, v, pte.frame, s.frames[pte.frame]!.gen, true, pte.epoch);
      else if (pte.mapped) complete = false;
    });
    d.restoring[p] = 0;
    if (complete) {
      s.queues[p]!.state = 'running';
      d.efence[p] = 0;
      d.pending[p] = 0;
    } else {
      // Some page needs a fault first: the queue starts preempted and the restore worker brings it up.
      s.queues[p]!.state = 'preempted';
      d.efence[p] = 1;
      d.pending[p] = 1;
    }
  },

  // A callback waits on the process's eviction fence; the fence's signalling path (mutant
  // alloc-in-fence-signalling) may itself wait for the end of the reclaim its allocation entered.
  waits(s, ctx, out) {
    const d = s.drv;
    s.mms.forEach((_, p) => {
      const sig = d.sigInv[p]!;
      if (sig === NONE || !s.invs[sig]!.live) return;
      out.push({
        id: `signal:${p}`,
        kind: 'signal',
        what: `p${p}'s eviction fence signalling path (evict_signal), which allocated and waits in direct reclaim`,
        mayBlock: true,
        on: [{ target: { k: 'invalidation', inv: sig }, heldBy: pendingCallbackIds(s, sig), releasedBy: 'kernel' }],
      });
    });
    s.invs.forEach((inv, i) => {
      const p = inv.proc;
      // A callback that has quiesced the queues, or that will as its first step (qp_evict), waits on the
      // eviction fence while it is armed.
      const waiting = inv.cb[p] === CB_WAIT_EVICTION || (inv.cb[p] === 0 && (inv.blockable || ctx.mutant === 'block-in-nonblocking'));
      if (!inv.live || !waiting || d.efence[p] === 1) return;
      const sig = d.sigInv[p]!;
      const signaller = sig !== NONE && s.invs[sig]!.live ? [`signal:${p}`] : [];
      const releasedBy = s.queues[p]!.state === 'preempted' ? 'kernel' : 'hardware';
      waitsOn(out, callbackWaitId(i, p), { target: { k: 'eviction-fence', proc: p }, heldBy: signaller, releasedBy });
    });
  },

  // Kernel queues only: the kernel sees the submission.
  onSubmit(s, job, ctx) {
    const j = s.jobs[job]!;
    if (!s.mms[j.proc]!.ptes[j.vpage]!.mapped) {
      failJob(s, job, { errno: 'EFAULT', from: 'driver', cause: 'not-mapped', detail: 'submit: the page is not mapped' }, ctx);
      return;
    }
    if (mirrored(s, j.proc, j.vpage, j.write)) {
      j.state = 'ready';
      return;
    }
    // The page is new to the GPU: the job waits in the kernel while the process is evicted and restored.
    evict(s, j.proc);
  },
});
