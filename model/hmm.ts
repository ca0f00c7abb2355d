// HMM as lib/test_hmm.c and hmm-tests.c see it (Documentation/mm/hmm.rst): what migrate_vma_collect takes,
// the end of a migration (remove_migration_ptes on every mapping of the source), and a snapshot of the CPU
// page table (hmm_range_fault without HMM_PFN_REQ_FAULT) as dmirror_mkentry reports it. Pure helpers that
// read, or update in place, a state; used by the `dmirror` strategy and its tests.
import { NONE } from './types.ts';
import type { Pte, State } from './types.ts';
import { coreMmPage } from './p2p.ts';
import { freeFrame, munmapping, vmaReadable } from './mm.ts';
import { isZeroPfn } from './zero-page.ts';

/** The PTEs that map `frame`, as [proc, vpage] pairs, in order (the rmap walk of try_to_migrate). */
export function mappersOf(s: State, frame: number): [number, number][] {
  const out: [number, number][] = [];
  s.mms.forEach((mm, p) => {
    if (!mm.alive) return;
    mm.ptes.forEach((pte, v) => {
      if (pte.mapped && pte.frame === frame) out.push([p, v]);
    });
  });
  return out;
}

/** Why migrate_vma_collect does not take a page for a migration to device memory (null: it takes it). */
export type CollectSkip = 'not-mapped' | 'not-present' | 'not-anonymous' | 'shared' | 'device-private' | 'pinned' | 'busy' | 'mapped-twice' | 'zero-page';

/**
 * migrate_vma_setup (MIGRATE_VMA_SELECT_SYSTEM) on one page, as migrate_vma_collect_pmd and
 * migrate_vma_check_page decide it: only an anonymous private page (no MAP_SHARED, no DAX: migrate_vma_setup
 * refuses vma_is_dax; a shmem page is not anonymous), present (a swap entry is skipped), not already device
 * memory (the driver's own or another's: dmirror_migrate_alloc_and_copy skips zone-device pages), with no
 * reference beyond its mappings (a pin: migrate_vma_check_page), and not under another invalidation or
 * move. Simplification: the model migrates to device memory only a page mapped once.
 */
export function collectSkip(s: State, proc: number, vpage: number): CollectSkip | null {
  const pte = s.mms[proc]!.ptes[vpage]!;
  if (!pte.mapped) return 'not-mapped';
  if (pte.frame === NONE || pte.exclusive !== NONE) return 'not-present'; // a swap or device-exclusive entry
  // Simplification: migrate_vma_collect_pmd collects the zero page (is_zero_pfn: MIGRATE_PFN_MIGRATE with
  // no source page, the driver fills a zeroed device page); the model does not offer that migration.
  if (isZeroPfn(s, pte.frame)) return 'zero-page';
  const fr = s.frames[pte.frame]!;
  if (pte.dax) return 'not-anonymous';
  if (pte.shared) return 'shared';
  if (fr.kind === 'device-private') return 'device-private';
  if (!coreMmPage(fr)) return 'not-anonymous';
  if (fr.refcount > fr.mapcount) return 'pinned';
  if (fr.locked) return 'busy';
  if (fr.mapcount !== 1) return 'mapped-twice';
  return null;
}

/**
 * migrate_vma_pages + migrate_vma_finalize: every PTE that maps `src` (the faulting process's migration
 * entry and those try_to_migrate made in the other mappers) now maps `dst`, each keeping its write
 * permission (remove_migration_pte: a readable migration entry stays read-only, so a page shared
 * copy-on-write after fork stays so); the source loses those mappings and is freed. `dst` is a frame
 * claimed unmapped with one reference (deviceAlloc, ramAlloc), which the first mapping takes over.
 */
export function finalizeMigration(s: State, src: number, dst: number): void {
  const maps = mappersOf(s, src);
  const to = s.frames[dst]!;
  to.locked = false;
  to.mapcount = maps.length;
  to.refcount = Math.max(1, maps.length);
  for (const [p, v] of maps) {
    const pte = s.mms[p]!.ptes[v]!;
    pte.frame = dst;
    const fr = s.frames[src]!;
    fr.mapcount--;
    fr.refcount--;
  }
  const fr = s.frames[src]!;
  fr.locked = false;
  if (fr.refcount <= 0) freeFrame(fr);
}

// HMM_DMIRROR_PROT_* (lib/test_hmm_uapi.h): what dmirror_mkentry reports of one page of a snapshot.
export const PROT_ERROR = 0xff;
export const PROT_NONE = 0x00;
export const PROT_READ = 0x01;
export const PROT_WRITE = 0x02;
export const PROT_ZERO = 0x10;
export const PROT_DEV_PRIVATE_LOCAL = 0x20;
export const PROT_DEV_PRIVATE_REMOTE = 0x30;

/**
 * hmm_range_fault without HMM_PFN_REQ_FAULT for one page, as `device` sees it, then dmirror_mkentry:
 * - no VMA (never mapped, munmap'ed, or being unmapped: munmap detaches the VMA, vms_gather_munmap_vmas,
 *   before unmap_region runs the notifier): hmm_vma_walk_hole fills HMM_PFN_ERROR;
 * - not present (swapped out, a device-exclusive entry, or a migration entry while the page is locked by
 *   a migration): not valid, nothing faulted in: PROT_NONE;
 * - a device-private entry: valid for its owner only (range->dev_private_owner), LOCAL with its
 *   permission; another device's is not valid without a fault (hmm_vma_handle_pte): PROT_NONE;
 * - a present page: READ or WRITE as the CPU PTE allows (a page shared copy-on-write is READ).
 * - a PROT_NONE VMA: hmm_vma_walk_test, no VM_READ and no fault asked: HMM_PFN_ERROR, PROT_ERROR;
 * - a page of a PROT_READ VMA is READ (mprotect write-protected its PTE, model/mprotect.ts).
 * - the zero page (configs with Config.zeroPage): valid and read-only; dmirror_mkentry reports
 *   HMM_DMIRROR_PROT_ZERO for is_zero_pfn, with READ (the PTE is never writable);
 * - an untouched page (pte_none, configs with the zero page): hmm_vma_walk_hole with no fault asked leaves
 *   the pfn 0: PROT_NONE.
 */
export function snapshotPage(s: State, device: number, proc: number, vpage: number): number {
  const pte: Pte = s.mms[proc]!.ptes[vpage]!;
  if (!s.mms[proc]!.alive || !pte.mapped || munmapping(s, proc, vpage)) return PROT_ERROR;
  if (!vmaReadable(pte)) return PROT_ERROR; // hmm_vma_walk_test: hmm_pfns_fill(HMM_PFN_ERROR)
  if (pte.frame === NONE || pte.exclusive !== NONE) return PROT_NONE; // a swap, or device-exclusive, entry
  if (isZeroPfn(s, pte.frame)) return PROT_ZERO | PROT_READ;
  const fr = s.frames[pte.frame]!;
  if (fr.locked) return PROT_NONE;
  const perm = pte.writable ? PROT_WRITE : PROT_READ;
  if (fr.kind === 'device-private') return fr.owner === device ? PROT_DEV_PRIVATE_LOCAL | perm : PROT_NONE;
  return perm;
}
