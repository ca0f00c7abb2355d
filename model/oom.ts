// Memory pressure: the OOM killer and the OOM reaper, and direct reclaim from an allocation below the
// watermark. The world's actions call these; a driver path that allocates calls directReclaim.
//   oom_kill(p)   out_of_memory -> oom_kill_process: mark_oom_victim, SIGKILL (its user space runs no more)
//   oom_reap(p)   oom_reaper -> __oom_reap_task_mm: mmu_notifier_invalidate_range_start_nonblock over the
//                 victim's whole address space; a callback may refuse (-EAGAIN), then the reaper gives up
//                 this pass without touching a PTE and may try again; if every callback returned, the
//                 victim's pages are unmapped and freed (invalidate_end, world.ts).
// Simplifications (README): "memory is short" is a watermark on the model's few frames (MIN_FREE: with 5
// frames and 2 in use at the start, any one-frame allocation already reaches it); the
// OOM killer picks one victim per run; the reaper retries without the kernel's limit of 10 attempts
// (MAX_OOM_REAP_RETRIES, then MMF_OOM_SKIP) and the victim's exit (exit_mmap, closing its files) is not
// modelled; only a driver's own allocation enters direct reclaim (the core mm's allocations for a COW,
// a swap-in or a migration succeed or fail with -ENOMEM at once).
import { NONE } from './types.ts';
import type { Action, Config, State } from './types.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import { dmaInFlight, forking, freeFrames, freeInvalidationSlot, invalidating, startInvalidation, unmapFrame } from './mm.ts';
import { coreMmPage, pteLocked } from './p2p.ts';
import { zapSwapEntry } from './swap.ts';
import { isZeroPfn } from './zero-page.ts';

/** The min watermark, in frames: at or below it an allocation enters direct reclaim, and the OOM killer may run. */
export const MIN_FREE = 2;

export function memoryLow(s: State): boolean {
  return freeFrames(s) <= MIN_FREE;
}

/** An allocation of one frame takes the allocator's fast path only if it leaves more than MIN_FREE free (zone_watermark_ok). */
export function allocationReclaims(s: State): boolean {
  return freeFrames(s) - 1 <= MIN_FREE;
}

export const pressureActionKinds: readonly ActionKind[] = [
  { kind: 'oom_kill', actor: 'kernel', args: ['p'], models: 'out_of_memory: oom_kill_process picks p as the victim (mark_oom_victim, SIGKILL)', starts: true },
  { kind: 'oom_reap', actor: 'kernel', args: ['p'], models: 'oom_reap_task -> __oom_reap_task_mm: mmu_notifier_invalidate_range_start_nonblock over the victim', starts: true },
  { kind: 'queue_preempt', actor: 'hardware', args: ['p'], models: 'the hardware scheduler preempts the process\'s queues (unmap_queues), once its in-flight DMA landed' },
];

function victim(s: State): number {
  for (let p = 0; p < s.mms.length; p++) if (s.mms[p]!.alive && s.mms[p]!.oomVictim) return p;
  return NONE;
}

/**
 * The victim's pages the reaper can take now: private anonymous memory (the reaper skips VM_SHARED and
 * VM_PFNMAP mappings, such as a driver's buffer or VRAM), present or swapped, not under another
 * invalidation or a move.
 */
function reapable(s: State, p: number): number {
  let pages = 0;
  s.mms[p]!.ptes.forEach((pte, v) => {
    const anon = !pte.dax && !pte.shared && (pte.frame === NONE ? pte.swapped : coreMmPage(s.frames[pte.frame]!) && !pteLocked(s, pte));
    if (pte.mapped && anon && !invalidating(s, p, v)) pages |= 1 << v;
  });
  return pages;
}

/** Do the hardware run jobs of `proc`'s queues? Not once they are preempted. */
export function queueRuns(s: State, proc: number): boolean {
  return s.queues[proc]!.state !== 'preempted';
}

/**
 * Push the OOM killer's, the reaper's and the queue hardware's enabled actions; drop the user actions of
 * an OOM victim (`userKinds`: the world's user action kinds whose first argument is the process).
 */
export function pressureEnabled(s: State, out: Action[], userKinds: ReadonlySet<string>): void {
  const v = victim(s);
  if (v !== NONE) {
    for (let i = out.length - 1; i >= 0; i--) if (out[i]!.a === v && userKinds.has(out[i]!.k)) out.splice(i, 1);
    if (freeInvalidationSlot(s) !== NONE && !forking(s, v) && reapable(s, v) !== 0) out.push({ k: 'oom_reap', a: v, b: NONE });
  } else if (memoryLow(s)) {
    s.mms.forEach((mm, p) => {
      if (mm.alive && mm.ptes.some((pte) => pte.mapped && pte.frame !== NONE)) out.push({ k: 'oom_kill', a: p, b: NONE });
    });
  }
  s.queues.forEach((q, p) => {
    if (q.state === 'preempt-requested' && !dmaInFlight(s, p, (1 << s.mms[p]!.ptes.length) - 1)) out.push({ k: 'queue_preempt', a: p, b: NONE });
  });
}

export function applyPressure(s: State, a: Action, _cfg: Config, strat: Strategy, ctx: DriverContext): boolean {
  switch (a.k) {
    case 'oom_kill':
      s.mms[a.a]!.oomVictim = true;
      ctx.emit({ t: 'oom_kill', proc: a.a });
      return true;
    case 'oom_reap':
      startInvalidation(s, a.a, reapable(s, a.a), 'oom', ctx, (i) => strat.onInvalidateStart(s, i, ctx));
      return true;
    case 'queue_preempt':
      s.queues[a.a]!.state = 'preempted';
      ctx.emit({ t: 'queues_preempted', proc: a.a });
      return true;
    default:
      return false;
  }
}

/** After every callback of the reaper's invalidation returned: unmap_page_range over an anonymous page. */
export function reapPage(s: State, proc: number, v: number, ctx: DriverContext): void {
  const mm = s.mms[proc]!;
  const pte = mm.ptes[v]!;
  // zap_pte_range: a special PTE (the zero page) has no folio to put.
  if (pte.frame !== NONE && !isZeroPfn(s, pte.frame)) unmapFrame(s, pte.frame);
  zapSwapEntry(s, pte); // zap_pte_range: free_swap_and_cache
  pte.frame = NONE;
  pte.mapped = false;
  pte.swapped = false;
  pte.writable = false;
  pte.epoch++;
  mm.oomReaped = true;
  ctx.emit({ t: 'munmap', proc, vpage: v });
}

/**
 * An allocation (GFP_KERNEL) by a driver path that would take memory to the watermark enters direct
 * reclaim (__alloc_pages_slowpath): try_to_unmap
 * of the first page reclaim would take (mapped once, not pinned if reclaim skips pins, not under another
 * invalidation), which starts a reclaim invalidation and runs the notifiers. Returns the invalidation the
 * allocating path now waits for (until it ends), or NONE when memory is not short or nothing can be
 * reclaimed (the allocation then proceeds).
 */
export function directReclaim(s: State, cfg: Config, strat: Strategy, ctx: DriverContext): number {
  if (!allocationReclaims(s) || freeInvalidationSlot(s) === NONE) return NONE;
  for (let p = 0; p < s.mms.length; p++) {
    const mm = s.mms[p]!;
    if (!mm.alive) continue;
    for (let v = 0; v < mm.ptes.length; v++) {
      const pte = mm.ptes[v]!;
      if (!pte.mapped || pte.dax || pte.frame === NONE || invalidating(s, p, v)) continue; // a DAX block is not reclaimable
      const fr = s.frames[pte.frame]!;
      if (!coreMmPage(fr) || pteLocked(s, pte) || fr.mapcount !== 1 || (fr.pincount > 0 && cfg.kernel.reclaimSkipsPinned)) continue;
      const i = startInvalidation(s, p, 1 << v, 'reclaim', ctx, (k) => strat.onInvalidateStart(s, k, ctx));
      ctx.emit({ t: 'direct_reclaim', inv: i, proc: p, vpage: v });
      return i;
    }
  }
  return NONE;
}
