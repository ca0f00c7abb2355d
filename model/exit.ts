// Process exit as the kernel does it, in steps (configs with `exit`):
//   exit(p)       user: the process calls exit(2), or takes a fatal signal it can no longer refuse:
//                 do_exit -> exit_mm -> mmput drops the last mm_users reference. From here on the process
//                 runs no user code (no access, no submission, no user fence signalled), and every
//                 mmget_not_zero on its mm fails (hmm_range_fault's callers get -EFAULT).
//   exit_mmap(p)  kernel: __mmput -> exit_mmap. mmu_notifier_release first: __mmu_notifier_release ->
//                 mn_itree_release calls every interval notifier's invalidate with MMU_NOTIFY_RELEASE over
//                 the whole address space (0..ULONG_MAX, blockable), its driver must stop its device using
//                 the mm there; then mn_itree_inv_end, and mn_hlist_release calls each struct
//                 mmu_notifier's ->release (Strategy.onRelease). Then unmap_vmas and free_pgtables of
//                 everything: each page loses its mapping and is freed with its last reference (a pin
//                 keeps it). The mm is dead; exit_files then closes the driver's file, whose release
//                 deregisters what the process registered (the driver's own deregistration path).
// An OOM victim (SIGKILL from oom_kill_process) runs the same exit_mmap as a kernel step once the OOM
// reaper's pass over it went through (__oom_reap_task_mm, MMF_OOM_SKIP): its remaining pages are freed
// and the memory is short no more.
// Simplifications (README): mn_itree_release and unmap_vmas' MMU_NOTIFY_UNMAP invalidation are one
// invalidation (cause `exit`): after the release no translation can be taken again (mm_users is 0), so the
// second finds nothing a device could still hold; exit_mmap starts once no other invalidation of the mm
// is in progress; an OOM victim whose reaper pass is refused does not exit on its own; a process exits
// only while the device holds something of it (a translation, a pin, a job).
import { NONE } from './types.ts';
import type { Action, Config, State } from './types.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import { allPages, deviceHolds, forking, freeInvalidationSlot, procInvalidating, startInvalidation, unmapFrame } from './mm.ts';
import { zapSwapEntry } from './swap.ts';
import { isZeroPfn } from './zero-page.ts';

export const exitActionKinds: readonly ActionKind[] = [
  {
    kind: 'exit', actor: 'user', args: ['p'],
    models: 'exit(2), or a fatal signal taken: do_exit -> exit_mm -> mmput (mm_users drops to 0); the process runs no more user code',
    guard: 'p is alive, not exiting, not an OOM victim or killed by a driver, not forking, and the device holds something of it (a translation, a pin, a job)',
  },
  {
    kind: 'exit_mmap', actor: 'kernel', args: ['p'],
    models: '__mmput -> exit_mmap: mmu_notifier_release (mn_itree_release: MMU_NOTIFY_RELEASE to every interval notifier; mn_hlist_release: ->release), then unmap_vmas and free_pgtables of the whole mm',
    guard: 'p is exiting, no invalidation of p is in progress, and an invalidation slot is free',
  },
  {
    // The OOM reaper exists because the victim may not get to run its exit soon (it may sleep on a lock,
    // or in a callback that waits on a fence: aac453635549, "mm, oom: introduce oom reaper"): the progress
    // oracle does not count on it, as it counts on no other new work of the kernel's own (`starts`).
    kind: 'oom_exit', actor: 'kernel', args: ['p'], starts: true,
    models: 'the OOM victim, scheduled again with SIGKILL pending, runs do_exit -> exit_mmap (as exit_mmap) after the reaper\'s pass',
    guard: 'p is an OOM victim the reaper has reaped, no invalidation of p is in progress, and an invalidation slot is free',
  },
];

/**
 * Does the device hold anything of `p` (a translation, a pin, a job)? The model lets a process exit only
 * then: the exit of a process the device knows nothing of is a munmap of everything, which the model
 * has, and an exit allowed from the first step would end most explored runs before the device did
 * anything (a scope choice, listed in the README's simplifications).
 */
function deviceKnows(s: State, p: number): boolean {
  return deviceHolds(s, p, allPages(s)) || s.jobs.some((j) => j.state !== 'free' && j.proc === p);
}

/** Push the exit actions (configs with `exit` only). */
export function exitEnabled(s: State, cfg: Config, out: Action[]): void {
  const slot = freeInvalidationSlot(s) !== NONE;
  s.mms.forEach((mm, p) => {
    if (!mm.alive) return;
    const exiting = mm.exiting === true;
    // Elsewhere only a process a driver killed exits (Strategy.killsProcesses): through exit_mmap.
    if (!cfg.exit && !exiting) return;
    if (!exiting && !mm.oomVictim && mm.killed !== true && !forking(s, p) && deviceKnows(s, p)) out.push({ k: 'exit', a: p, b: NONE });
    if (!slot || procInvalidating(s, p)) return;
    if (exiting) out.push({ k: 'exit_mmap', a: p, b: NONE });
    else if (mm.oomVictim && mm.oomReaped) out.push({ k: 'oom_exit', a: p, b: NONE });
  });
}

export function applyExit(s: State, a: Action, strat: Strategy, ctx: DriverContext): boolean {
  switch (a.k) {
    case 'exit':
      s.mms[a.a]!.exiting = true;
      ctx.emit({ t: 'exit', proc: a.a, phase: 'do_exit' });
      return true;
    case 'exit_mmap':
    case 'oom_exit':
      s.mms[a.a]!.exiting = true; // an OOM victim's own exit
      ctx.emit({ t: 'exit', proc: a.a, phase: 'exit_mmap' });
      // mn_itree_release: range 0..ULONG_MAX, MMU_NOTIFIER_RANGE_BLOCKABLE, MMU_NOTIFY_RELEASE.
      startInvalidation(s, a.a, allPages(s), 'exit', ctx, (i) => strat.onInvalidateStart(s, i, ctx));
      return true;
    default:
      return false;
  }
}

/**
 * The rest of exit_mmap once every interval notifier's release callback returned (mn_itree_inv_end is
 * the invalidation's end, world.ts): mn_hlist_release, unmap_vmas over every page, the mm dead, and
 * exit_files' release of the driver's file (the deregistration of what the process registered).
 */
export function finishExit(s: State, proc: number, strat: Strategy, ctx: DriverContext): void {
  strat.onRelease?.(s, proc, ctx);
  const mm = s.mms[proc]!;
  mm.ptes.forEach((pte, v) => {
    // zap_pte_range: the page's mapping and its reference go; free_pages_and_swap_cache frees it unless
    // something else (a pin, another mapping) still holds it. A swap entry is freed with it.
    const had = pte.mapped;
    if (pte.frame !== NONE && !isZeroPfn(s, pte.frame)) unmapFrame(s, pte.frame); // the zero page has no mapcount (pte_special)
    zapSwapEntry(s, pte); // free_swap_and_cache
    pte.mapped = false;
    pte.frame = NONE;
    pte.writable = false;
    pte.exclusive = NONE;
    if (had) {
      pte.epoch++;
      ctx.emit({ t: 'munmap', proc, vpage: v });
    }
  });
  mm.alive = false;
  mm.exiting = false;
  mm.oomVictim = false;
  mm.oomReaped = false;
  ctx.emit({ t: 'exit', proc, phase: 'mm_dead' });
  // exit_files -> fput of the driver's file -> its release (ib_uverbs_close, kfd_release): deregister.
  const reg = s.regs[proc]!;
  if (reg.live && !reg.closing) {
    reg.closing = true;
    strat.onDeregister(s, proc, ctx);
  }
}
