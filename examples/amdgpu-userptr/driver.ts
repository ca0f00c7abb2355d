// amdgpu's userptr BOs on the gfx path, as a dmacheck strategy: a user driver checked from its own
// package. Modelled step by step from drivers/gpu/drm/amd/amdgpu/ (docs/driver-guide.md walks through it):
//
//   register    amdgpu_gem_userptr_ioctl -> amdgpu_hmm_register: mmu_interval_notifier_insert over the range
//   submit      amdgpu_cs_ioctl -> amdgpu_cs_parser_bos -> amdgpu_ttm_tt_get_user_pages ->
//               amdgpu_hmm_range_get_pages: mmu_interval_read_begin, then hmm_range_fault (two steps), then
//               amdgpu_cs_submit: mutex_lock(notifier_lock); amdgpu_hmm_range_valid (mmu_interval_read_retry,
//               -EAGAIN: start again); the GPU VM maps the pages; drm_sched_entity_push_job; the job's fence
//               goes into the BO's reservation object; mutex_unlock(notifier_lock)
//   invalidate  amdgpu_hmm_invalidate_gfx: if !mmu_notifier_range_blockable return false;
//               mutex_lock(notifier_lock); mmu_interval_set_seq; amdgpu_vm_bo_invalidate;
//               dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT);
//               mutex_unlock(notifier_lock); return true
//   deregister  amdgpu_hmm_unregister (mmu_interval_notifier_remove) once the BO's fences signalled
//
// Simplifications: one userptr BO per process covering its address space; the BO's reservation object
// holds the fences of the process's jobs on its pages; the GPU VM mapping is dropped when the callback
// returns (amdgpu_vm_bo_invalidate marks it moved; no job runs on it before the next CS revalidates).
import {
  defineStrategy, NONE, mm, emptyFaults, faultActionKinds, faultApply, faultEnabled, startFault, mirrorTeardown, faultCounters, faultClearDead,
  type MirrorDriver, type State, type DriverContext, type FaultMutations,
} from 'dmacheck';

/** The driver's state: the CS fault contexts and adev->notifier_lock (NONE, or who holds it). */
export type UserptrDriver = MirrorDriver;

/** inv.cb[sub] steps of amdgpu_hmm_invalidate_gfx: the lock is held and the seq set; waiting on the resv. */
const CB_WAITING = 1;
/** notifier_lock held by the callback of invalidation i: LOCK_BY_INV + i. */
const LOCK_BY_INV = 100;

type Mutant = 'no-range-valid' | 'no-resv-wait';

function mutations(ctx: DriverContext<Mutant>): FaultMutations {
  return { noReadRetry: ctx.mutant === 'no-range-valid', retryOutsideLock: false };
}

/** The jobs whose fences are in the BO's reservation object and unsignalled: handed over, not completed. */
function unsignalled(s: State, proc: number, pages: number): number[] {
  const out: number[] = [];
  s.jobs.forEach((j, i) => {
    const held = j.state === 'ready' || j.state === 'running' || j.state === 'landed' || j.state === 'failed';
    if (held && j.proc === proc && (pages >> j.vpage) & 1) out.push(i);
  });
  return out;
}

export const amdgpuUserptr = defineStrategy({
  name: 'amdgpu-userptr',
  summary: 'amdgpu gfx userptr: CS faults the pages with hmm_range_fault and checks the notifier seq under notifier_lock; the callback waits on the BO reservation fences',
  from: 'drivers/gpu/drm/amd/amdgpu/amdgpu_hmm.c, amdgpu_cs.c',
  device: { kind: 'gpu', recoverable: false },
  configs: ['kernel-queue'],
  needsRegistration: true,
  mutants: [
    { name: 'no-range-valid', pattern: 'amdgpu_cs_submit pushes the job without amdgpu_hmm_range_valid: pages freed after hmm_range_fault are mapped into the GPU VM' },
    { name: 'no-resv-wait', pattern: 'amdgpu_hmm_invalidate_gfx returns without dma_resv_wait_timeout on the BO: the GPU still DMAs into pages the core mm frees' },
  ],
  actionKinds: [
    ...faultActionKinds,
    { kind: 'gfx_inv_lock', actor: 'kernel', args: ['inv'], models: 'amdgpu_hmm_invalidate_gfx: !mmu_notifier_range_blockable -> false; mutex_lock(notifier_lock); mmu_interval_set_seq; amdgpu_vm_bo_invalidate' },
    { kind: 'gfx_inv_wait', actor: 'kernel', args: ['inv'], models: 'amdgpu_hmm_invalidate_gfx: dma_resv_wait_timeout(BOOKKEEP) returned; mutex_unlock(notifier_lock); return true' },
    { kind: 'userptr_free', actor: 'kernel', args: ['p'], models: 'the BO released once its fences signalled: amdgpu_hmm_unregister (mmu_interval_notifier_remove), pages released' },
  ],

  init: (s): UserptrDriver => ({ faults: emptyFaults(s), lock: NONE }),
  // The finite model: the fault contexts hold read_begin's seq and hmm_range_fault's (frame, gen, epoch).
  counters: (d: UserptrDriver, c) => faultCounters(d, c),
  clearDead: (d: UserptrDriver) => faultClearDead(d),

  enabled(s, ctx, out) {
    faultEnabled(s, mutations(ctx), out);
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const c = inv.cb[inv.proc];
      if (c === 0 && (s.drv.lock === NONE || !inv.blockable)) out.push({ k: 'gfx_inv_lock', a: i, b: NONE });
      if (c === CB_WAITING && (ctx.mutant === 'no-resv-wait' || unsignalled(s, inv.proc, inv.pages).length === 0)) {
        out.push({ k: 'gfx_inv_wait', a: i, b: NONE });
      }
    });
    s.regs.forEach((r, p) => {
      // mmu_interval_notifier_remove waits for an invalidation in progress; the BO for its fences.
      if (r.live && r.closing && s.drv.lock === NONE && !mm.procInvalidating(s, p) && unsignalled(s, p, mm.allPages(s)).length === 0) {
        out.push({ k: 'userptr_free', a: p, b: NONE });
      }
    });
  },

  apply(s, a, ctx) {
    const pushed = faultApply(s, a, mutations(ctx), amdgpuUserptr, ctx, (f) => {
      if (f.job === NONE) return;
      s.jobs[f.job]!.state = 'ready'; // drm_sched_entity_push_job under notifier_lock
      ctx.emit({ t: 'driver_note', note: `amdgpu_cs_submit: job ${f.job} pushed, its fence in the BO's resv` });
    });
    if (pushed) return;
    const inv = s.invs[a.a]!;
    switch (a.k) {
      case 'gfx_inv_lock':
        if (!inv.blockable) {
          mm.callbackRefuse(s, a.a, inv.proc, ctx); // the OOM reaper's pass: return false, never sleep
          return;
        }
        s.drv.lock = LOCK_BY_INV + a.a;
        mm.setSeq(s, a.a, inv.proc);
        inv.cb[inv.proc] = CB_WAITING;
        ctx.emit({ t: 'driver_note', note: 'notifier_lock taken, mmu_interval_set_seq' });
        for (const j of unsignalled(s, inv.proc, inv.pages)) ctx.emit({ t: 'callback_wait_fence', inv: a.a, job: j });
        return;
      case 'gfx_inv_wait':
        ctx.emit({ t: 'driver_note', note: ctx.mutant === 'no-resv-wait' ? 'no wait on the BO\'s fences; notifier_lock released' : 'dma_resv_wait_timeout done; notifier_lock released' });
        s.drv.lock = NONE;
        mm.zapAndReturn(s, a.a, ctx);
        return;
      case 'userptr_free':
        mirrorTeardown(s, a.a, 'userptr BO freed', ctx);
        return;
      default:
        return;
    }
  },

  onRegister(s, proc, ctx) {
    mm.subscribe(s, proc);
    ctx.emit({ t: 'driver_note', note: `amdgpu_hmm_register: interval notifier inserted over p${proc}` });
  },

  onSubmit(s, job, ctx) {
    const j = s.jobs[job]!;
    startFault(s, j.proc, j.vpage, j.write, job);
    ctx.emit({ t: 'driver_note', note: `amdgpu_cs_parser_bos: job ${job} gets the userptr pages (amdgpu_hmm_range_get_pages)` });
  },
});
