// Device-exclusive entries (mm/rmap.c make_device_exclusive, mm/memory.c remove_device_exclusive_entry):
// a device's driver gets exclusive access to an anonymous page for its atomics. The CPU PTE is replaced
// by a device-exclusive swap entry (Pte.exclusive: the device that holds it), after an
// MMU_NOTIFY_EXCLUSIVE invalidation (so that secondary MMUs unmap it). A driver may pass an owner for its
// own callback to skip (nouveau does); lib/test_hmm.c passes NULL and its callback skips no
// MMU_NOTIFY_EXCLUSIVE, so every dmirror's callback runs, the caller's too. The model's invalidation
// carries the device anyway, for finishExclusive to record in the PTE whose entry it is (the kernel's
// entry names no device), and dmirror's callbacks do not read it. A CPU access to such a PTE faults: do_swap_page ->
// remove_device_exclusive_entry locks the folio and sends an MMU_NOTIFY_EXCLUSIVE invalidation with no
// owner (every device's callback runs, the owner's too: its atomic access is revoked), then restores the
// PTE; the access is retried. The CPU's fault is offered by the driver that makes such entries (its
// action kinds include exclusiveActionKinds, as hmm-p2p offers the CPU fault on its device-private
// pages): only a driver that calls make_device_exclusive can leave one. The PTE's conversion at the
// invalidation's end is the world's (world.ts finishInvalidation).
import { NONE } from './types.ts';
import type { Action, State } from './types.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import { freeInvalidationSlot, invalidating, startInvalidation } from './mm.ts';

export const exclusiveActionKinds: readonly ActionKind[] = [
  { kind: 'cpu_fault_exclusive', actor: 'user', args: ['p', 'v'], models: 'a CPU access to a device-exclusive entry: do_swap_page -> remove_device_exclusive_entry (folio lock, MMU_NOTIFY_EXCLUSIVE with no owner, restore the PTE)' },
];

/** Is (p, v)'s PTE a device-exclusive entry? */
export function exclusivePte(s: State, p: number, v: number): boolean {
  return s.mms[p]!.ptes[v]!.exclusive !== NONE;
}

export function exclusiveEnabled(s: State, out: Action[]): void {
  if (freeInvalidationSlot(s) === NONE) return;
  s.mms.forEach((mm, p) => {
    if (!mm.alive || mm.oomVictim) return;
    mm.ptes.forEach((pte, v) => {
      // folio_lock_or_retry: a folio locked by the device's make step waits.
      if (pte.exclusive !== NONE && pte.frame !== NONE && !s.frames[pte.frame]!.locked && !invalidating(s, p, v)) {
        out.push({ k: 'cpu_fault_exclusive', a: p, b: v });
      }
    });
  });
}

/** remove_device_exclusive_entry's invalidation (mmu_notifier_range_init_owner(..., NULL)). */
export function applyExclusive(s: State, a: Action, strat: Strategy, ctx: DriverContext): boolean {
  if (a.k !== 'cpu_fault_exclusive') return false;
  startInvalidation(s, a.a, 1 << a.b, 'exclusive', ctx, (i) => strat.onInvalidateStart(s, i, ctx), NONE);
  return true;
}

/**
 * The end of an MMU_NOTIFY_EXCLUSIVE invalidation: with an owner, make_device_exclusive converts the PTE
 * into that device's device-exclusive entry; with none, remove_device_exclusive_entry restores it.
 * Returns whether the PTE changed.
 */
export function finishExclusive(s: State, proc: number, vpage: number, owner: number): boolean {
  const pte = s.mms[proc]!.ptes[vpage]!;
  if (!pte.mapped || pte.frame === NONE) return false;
  const before = pte.exclusive;
  pte.exclusive = owner;
  return before !== owner;
}
