// The shared zero page (configs with Config.zeroPage). Anonymous private memory is mapped without
// MAP_POPULATE: a page starts untouched (pte_none). mm/memory.c do_anonymous_page maps a read fault to the
// zero page ("Use the zero-page for reads": pte_mkspecial(pfn_pte(my_zero_pfn(addr), vma->vm_page_prot)),
// read-only, no page allocated, no reference, no mapcount: vm_normal_page returns NULL for it) unless
// mm_forbids_zeropage; a write fault allocates a fresh zeroed page (alloc_anon_folio). A write to a PTE
// that maps the zero page goes through do_wp_page -> wp_page_copy, which allocates a zeroed page
// (is_zero_pfn: vma_alloc_zeroed_movable_folio) inside an MMU_NOTIFY_CLEAR invalidation and never reuses
// the zero page: in the model the 'cow' invalidation (world.ts finishInvalidation), with wpReusable false.
import { NONE } from './types.ts';
import type { Frame, Pte, State } from './types.ts';
import { allocFrame, vmaWritable } from './mm.ts';

/** is_zero_pfn: does `f` name the shared zero page of a config with one? */
export function isZeroPfn(s: State, f: number): boolean {
  return s.zeroPfn !== undefined && f === s.zeroPfn;
}

/** Does the PTE map the zero page (a present, read-only, special PTE)? */
export function mapsZeroPage(s: State, pte: Pte): boolean {
  return pte.mapped && isZeroPfn(s, pte.frame);
}

/**
 * Is the PTE untouched (pte_none in a VMA: never faulted in, not swapped)? Only a config with the zero
 * page has such PTEs: elsewhere mmap populates (MAP_POPULATE).
 */
export function pteNone(pte: Pte): boolean {
  return pte.mapped && pte.frame === NONE && !pte.swapped;
}

/**
 * The zero page's frame slot (ZERO_PAGE(0)): allocated at boot, never freed, its contents 0. It holds one
 * reference of its own (the kernel's), so that no put_page can free it; the PTEs that map it count in
 * neither its refcount nor its mapcount (pte_special).
 */
export function zeroFrame(f: Frame): void {
  f.free = false;
  f.owner = NONE;
  f.refcount = 1;
  f.mapcount = 0;
  f.pincount = 0;
  f.value = 0;
  f.dirty = false;
}

/**
 * do_anonymous_page on an untouched PTE: a read maps the zero page read-only; a write allocates a zeroed
 * page, writable as the VMA allows (pte_mkwrite if VM_WRITE). Returns false when the write finds no free
 * frame (VM_FAULT_OOM: nothing mapped).
 */
export function doAnonymousPage(s: State, pte: Pte, write: boolean): boolean {
  if (!write && s.zeroPfn !== undefined) {
    pte.frame = s.zeroPfn;
    pte.writable = false;
    return true;
  }
  const f = allocFrame(s, 0);
  if (f === NONE) return false;
  pte.frame = f;
  pte.writable = vmaWritable(pte);
  return true;
}
