// mprotect(2) of one page (mm/mprotect.c), in the configs that allow it (Config.mprotect):
//   do_mprotect_pkey takes the mmap write lock; mprotect_fixup sets the VMA's new vm_flags
//   (vm_flags_reset) and calls change_protection, whose change_pud_range brackets the PTE update with an
//   MMU_NOTIFY_PROTECTION_VMA invalidation (mmu_notifier_range_init + invalidate_range_start/end).
// In the model: `mprotect_*` (user) changes the VMA's protection and starts the invalidation (cause
// 'mprotect'); once every callback returned, invalidate_end applies change_pte_range to the PTE
// (finishMprotect): it moves no page. The mmap write lock is held throughout (mm.ts mmapWriteLocked):
// hmm_range_fault and page faults wait for it.
// Simplifications: one page per call; the new protection is one of PROT_READ | PROT_WRITE, PROT_READ and
// PROT_NONE; a CPU access the VMA no longer allows faults (SIGSEGV) from the call on, although the old
// PTE still allowed it until change_pte_range (the model makes the access not enabled, as a process that
// takes SIGSEGV does nothing more to that page).
import { NONE, VM_READ, VM_RW } from './types.ts';
import type { Action, Config, Pte, State } from './types.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import { freeInvalidationSlot, invalidating, mmapWriteLocked, startInvalidation, vmaWritable } from './mm.ts';
import { pteLocked } from './p2p.ts';

/** The protections mprotect may set, by action kind. */
const PROT_OF: Readonly<Record<string, number>> = {
  mprotect_rw: VM_RW, // PROT_READ | PROT_WRITE
  mprotect_read: VM_READ, // PROT_READ
  mprotect_none: 0, // PROT_NONE
};

export const mprotectActionKinds: readonly ActionKind[] = [
  { kind: 'mprotect_rw', actor: 'user', args: ['p', 'v'], models: 'mprotect(PROT_READ | PROT_WRITE): mprotect_fixup, change_protection with MMU_NOTIFY_PROTECTION_VMA' },
  { kind: 'mprotect_read', actor: 'user', args: ['p', 'v'], models: 'mprotect(PROT_READ): mprotect_fixup, change_protection with MMU_NOTIFY_PROTECTION_VMA (the PTEs write-protected)' },
  { kind: 'mprotect_none', actor: 'user', args: ['p', 'v'], models: 'mprotect(PROT_NONE): mprotect_fixup, change_protection with MMU_NOTIFY_PROTECTION_VMA (the PTEs made PROT_NONE)' },
];

/**
 * Guards: the config lets user space mprotect page v; the page is mapped, not under another
 * invalidation, its mm not already write-locked (fork, another mprotect) nor read-locked across steps by
 * a driver's ioctl (make_device_exclusive to dmirror_atomic_map, migrate_vma_setup to _finalize hold the
 * mmap read lock throughout, and keep their page locked meanwhile: a locked page of the mm stands for
 * it), an invalidation slot free, and the protection differs from the VMA's (mprotect to the same
 * flags changes nothing: mprotect_fixup returns at once when newflags == oldflags).
 */
export function mprotectEnabled(s: State, cfg: Config, out: Action[]): void {
  const mask = cfg.mprotect ?? 0;
  if (mask === 0 || freeInvalidationSlot(s) === NONE) return;
  s.mms.forEach((mm, p) => {
    if (!mm.alive || mmapWriteLocked(s, p) || mm.ptes.some((pte) => pteLocked(s, pte))) return;
    mm.ptes.forEach((pte, v) => {
      if (!((mask >> v) & 1) || !pte.mapped || invalidating(s, p, v)) return;
      for (const k of mprotectActionKinds) if (PROT_OF[k.kind] !== pte.prot) out.push({ k: k.kind, a: p, b: v });
    });
  });
}

/** Apply an mprotect action (false if `a` is not one): the VMA's new flags, then the invalidation. */
export function applyMprotect(s: State, a: Action, strat: Strategy, ctx: DriverContext): boolean {
  const prot = PROT_OF[a.k];
  if (prot === undefined) return false;
  const pte = s.mms[a.a]!.ptes[a.b]!;
  pte.prot = prot; // mprotect_fixup: vm_flags_reset(vma, newflags), under the mmap write lock
  ctx.emit({ t: 'mprotect', proc: a.a, vpage: a.b, prot });
  startInvalidation(s, a.a, 1 << a.b, 'mprotect', ctx, (i) => strat.onInvalidateStart(s, i, ctx));
  return true;
}

/**
 * PageAnonExclusive, as far as the model can tell: a private anonymous page mapped once, with no other
 * reference, or pinned (FOLL_PIN unshares a page first, so a pinned page is exclusive to its mapper).
 */
function anonExclusive(s: State, pte: Pte): boolean {
  if (pte.frame === NONE || pte.shared || pte.dax) return false;
  const fr = s.frames[pte.frame]!;
  return fr.kind === 'system' && fr.owner === NONE && fr.mapcount === 1 && (fr.refcount === 1 || fr.pincount > 0);
}

/**
 * change_pte_range for one PTE, after every callback returned: a VMA without VM_WRITE write-protects the
 * PTE (pte_wrprotect); PROT_NONE keeps the frame mapped but inaccessible (the VMA's flags say so). A
 * VMA made writable again (MM_CP_TRY_CHANGE_WRITABLE) makes the PTE writable at once where
 * can_change_pte_writable allows it (an exclusive anonymous page, PageAnonExclusive), else leaves it
 * read-only, for the next write fault's do_wp_page. Returns whether the PTE changed.
 */
export function finishMprotect(s: State, pte: Pte): boolean {
  if (pte.writable && !vmaWritable(pte)) {
    pte.writable = false;
    return true;
  }
  if (!pte.writable && vmaWritable(pte) && anonExclusive(s, pte)) {
    pte.writable = true;
    return true;
  }
  return false;
}
