// Core-mm migration of a page mapped by two processes: fork's copy-on-write shared anonymous page before
// the break, or a MAP_SHARED | MAP_ANONYMOUS page both map (mm/migrate.c migrate_pages ->
// migrate_folio_unmap -> try_to_migrate, mm/rmap.c). try_to_migrate walks the rmap (rmap_walk_anon over
// the anon_vma, rmap_walk_file over a shmem file's i_mmap) and try_to_migrate_one runs, for each mapping,
// mmu_notifier_invalidate_range_start of that mapping's mm (MMU_NOTIFY_CLEAR): every process's notifiers
// are called, each on its own mm. Only once every mapping is a migration entry does the copy run
// (move_to_new_folio), and remove_migration_ptes restores each PTE to the new page as it was (a read-only
// copy-on-write PTE stays read-only).
// Model: one invalidation per mapping mm, linked to each other (Invalidation.rmap); neither ends before the
// callbacks of both returned, and the first to end moves the page for every mapping (the kernel ends each
// mm's range before the copy, with a migration entry holding faults off; the model keeps both ranges open
// until the move instead, so that no fault can map the old page in between).
// Simplification: two mappings at most (the scope's fork makes one child); reclaim of a shared page (its
// rmap walk through try_to_unmap) is not modelled: reclaim still takes only a page mapped once.
import { NONE, RMAP_ALONE, RMAP_MOVED } from './types.ts';
import type { State } from './types.ts';
import type { DriverContext } from './strategy.ts';
import { allocFrame, callbacksReturned, freeInvalidationSlot, invalidating, startInvalidation, unmapFrame } from './mm.ts';
import { mappersOf } from './hmm.ts';
import { coreMmPage, pteLocked } from './p2p.ts';

/** The other mapping of (proc, vpage)'s page, if it is mapped exactly twice, by two live processes. */
function otherMapping(s: State, proc: number, vpage: number): [number, number] | null {
  const pte = s.mms[proc]!.ptes[vpage]!;
  if (pte.frame === NONE) return null;
  const m = mappersOf(s, pte.frame).filter(([q]) => q !== proc);
  return s.frames[pte.frame]!.mapcount === 2 && m.length === 1 ? m[0]! : null;
}

/**
 * May the core mm begin migrating (proc, vpage)'s page, mapped by another process too? The page is an
 * ordinary one (not DAX, not device memory, no device-exclusive entry), neither mapping is under another
 * invalidation or locked by a move, and there are invalidation slots for both mms.
 */
export function canMigrateShared(s: State, proc: number, vpage: number): boolean {
  const pte = s.mms[proc]!.ptes[vpage]!;
  const other = otherMapping(s, proc, vpage);
  if (!other || pte.dax || pte.exclusive !== NONE || !coreMmPage(s.frames[pte.frame]!) || pteLocked(s, pte)) return false;
  const [q, w] = other;
  if (invalidating(s, q, w) || s.mms[q]!.ptes[w]!.exclusive !== NONE) return false;
  return s.invs.filter((inv) => !inv.live).length >= 2;
}

/** try_to_migrate's rmap walk: the invalidation of each mapping's mm, linked. */
export function startSharedMigration(s: State, proc: number, vpage: number, ctx: DriverContext, onStart: (inv: number) => void): void {
  const [q, w] = otherMapping(s, proc, vpage)!;
  const a = startInvalidation(s, proc, 1 << vpage, 'migrate', ctx, onStart);
  if (a === NONE) return;
  if (ctx.cfg.kernel.migrateNotifiesOneMm) {
    // The variant: the other mapping's PTE is replaced without its mm's invalidate_range_start.
    s.invs[a]!.rmap = RMAP_ALONE;
    return;
  }
  if (freeInvalidationSlot(s) === NONE) return;
  const b = startInvalidation(s, q, 1 << w, 'migrate', ctx, onStart);
  s.invs[a]!.rmap = b;
  s.invs[b]!.rmap = a;
}

/** May a linked migration invalidation end: the callbacks of its partner returned too? */
export function rmapReturned(s: State, i: number): boolean {
  const r = s.invs[i]!.rmap;
  return r < 0 || callbacksReturned(s, r);
}

/**
 * The end of a linked migration invalidation `i`, for its page `vpage`: the first of the two moves the page
 * for both mappings (move_to_new_folio, remove_migration_ptes on each); the second finds it moved. Returns
 * whether the page moved now. -ENOMEM (no free frame): both mappings stay on the old page.
 */
export function finishSharedMigration(s: State, i: number, vpage: number): boolean {
  const inv = s.invs[i]!;
  const partner = inv.rmap;
  inv.rmap = NONE;
  if (partner === RMAP_MOVED) return false;
  if (partner !== RMAP_ALONE) s.invs[partner]!.rmap = RMAP_MOVED;
  const old = s.mms[inv.proc]!.ptes[vpage]!.frame;
  if (old === NONE) return false;
  const mappings = mappersOf(s, old);
  const nf = allocFrame(s, s.frames[old]!.value);
  if (nf === NONE) return false;
  const fr = s.frames[nf]!;
  fr.mapcount = mappings.length;
  fr.refcount = mappings.length;
  fr.dirty = s.frames[old]!.dirty;
  if (s.frames[old]!.slot !== NONE) {
    // folio_migrate_mapping of a page in the swap cache: the new page takes its place there.
    fr.slot = s.frames[old]!.slot;
    s.frames[old]!.slot = NONE;
  }
  for (const [p, v] of mappings) {
    s.mms[p]!.ptes[v]!.frame = nf; // remove_migration_ptes: the PTE as it was, on the new page
    unmapFrame(s, old);
  }
  return true;
}
