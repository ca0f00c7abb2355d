// The swap cache (mm/swap_state.c) and the swap entries of the page tables: what reclaim, a refault
// (do_swap_page), a write fault on a cached page, fork and a zap do with them. All update a state in place.
//
// A swap slot is named by a small number: a PTE holding a swap entry has it in `Pte.slot`, a page in the
// swap cache in `Frame.slot` (PG_swapcache, folio->swap). A slot lives while some swap entry or the cache
// names it (its swap_map count with SWAP_HAS_CACHE); its contents are the `Pte.swap` of the entries.
// The swap device is synchronous (SWP_SYNCHRONOUS_IO: zram, the default swap of many distributions, or a
// pmem/brd device): pageout completes before swap_writepage returns.
//   reclaim        shrink_folio_list: add_to_swap (a page not yet in the cache gets a slot and is marked
//                  dirty), try_to_unmap (the reclaim invalidation, model/world.ts), pageout (a dirty page
//                  is written to its slot): the PTE becomes a swap entry. The same pass then frees the
//                  clean page with __remove_mapping -> __delete_from_swap_cache, unless a reference
//                  besides the cache's is left (folio_ref_freeze fails: a pin, a GUP reference): then the
//                  page stays in the swap cache, unmapped.
//   remove_mapping a later pass of shrink_folio_list over such a page once its other references are gone:
//                  pageout if it is dirty, __remove_mapping, free.
//   do_swap_page   a refault maps the cached page back if the slot is cached (swap_cache_get_folio). Else
//                  it reads the slot into a new page: past the swap cache when no other entry names the
//                  slot (the SWP_SYNCHRONOUS_IO path with __swap_count(entry) == 1: the slot is freed),
//                  else into the cache (swapin_readahead -> __read_swap_cache_async), where fork's other
//                  entry finds it. The mapping is writable only when the entry was exclusive, and a write
//                  fault frees the swap when no other entry is left (should_try_to_free_swap,
//                  folio_free_swap).
//   fork           copy_nonpresent_pte: swap_duplicate, the child's entry names the same slot.
//   zap            zap_pte_range on a swap entry: free_swap_and_cache, which drops an unmapped cached page
//                  once no entry names its slot (__try_to_reclaim_swap with TTRS_UNMAPPED).
// Simplifications (README): no asynchronous swap device (a page under writeback that stays in the cache
// for a later pass of reclaim), no readahead of other slots; an entry is exclusive exactly when no other entry names its slot and nothing else
// maps or pins its page (pte_swp_exclusive as try_to_unmap and fork leave it, without the bit itself).
import { NONE } from './types.ts';
import type { Pte, State } from './types.ts';
import { allocFrame, putFrame, vmaWritable } from './mm.ts';

/** __swap_count: how many swap entries (PTEs of live address spaces) name `slot`. */
export function swapCount(s: State, slot: number): number {
  let n = 0;
  for (const mm of s.mms) {
    if (!mm.alive) continue;
    for (const pte of mm.ptes) if (pte.swapped && pte.slot === slot) n++;
  }
  return n;
}

/** swap_cache_get_folio: the page of the swap cache for `slot`, or NONE. */
export function cachedFrame(s: State, slot: number): number {
  if (slot === NONE) return NONE;
  for (let f = 0; f < s.frames.length; f++) if (!s.frames[f]!.free && s.frames[f]!.slot === slot) return f;
  return NONE;
}

/** Is frame `f` in the swap cache? */
export function inSwapCache(s: State, f: number): boolean {
  return s.frames[f]!.slot !== NONE;
}

/** folio_alloc_swap: the lowest slot no swap entry and no cached page names. */
function newSlot(s: State): number {
  for (let k = 0; ; k++) {
    let used = false;
    for (const fr of s.frames) if (!fr.free && fr.slot === k) used = true;
    for (const mm of s.mms) for (const pte of mm.ptes) if (pte.swapped && pte.slot === k) used = true;
    if (!used) return k;
  }
}

/**
 * delete_from_swap_cache: the page leaves the cache and the cache's reference is dropped (the page is
 * freed if nothing else holds it). A page that stays mapped is marked dirty: its slot is gone, so its
 * contents live only in memory (folio_free_swap, __try_to_reclaim_swap: folio_set_dirty).
 */
export function deleteFromSwapCache(s: State, f: number): void {
  const fr = s.frames[f]!;
  fr.slot = NONE;
  fr.dirty = true;
  fr.refcount++; // the cache's reference, made explicit to be put
  putFrame(fr);
}

/**
 * pageout -> swap_writepage for a dirty page of the cache: its contents written to the slot, which every
 * swap entry of that slot reads from then on; the page is clean.
 */
function writeSlot(s: State, f: number): void {
  const fr = s.frames[f]!;
  for (const mm of s.mms) for (const pte of mm.ptes) if (pte.swapped && pte.slot === fr.slot) pte.swap = fr.value;
  fr.dirty = false;
}

/**
 * shrink_folio_list for one present, anonymous page mapped once, after try_to_unmap's invalidation: a
 * page not in the cache is added (add_to_swap: a new slot, folio_mark_dirty); the PTE becomes a swap
 * entry for the slot (try_to_unmap_one); a dirty page is written to the slot (pageout), and the page
 * stays in the cache with the cache's reference. False when nothing was mapped.
 */
export function swapOut(s: State, pte: Pte): boolean {
  if (pte.frame === NONE) return false;
  const f = pte.frame;
  const fr = s.frames[f]!;
  if (fr.slot === NONE) {
    fr.slot = newSlot(s);
    fr.dirty = true;
  }
  pte.frame = NONE;
  pte.swapped = true;
  pte.slot = fr.slot;
  if (fr.dirty) {
    pte.swap = fr.value;
    writeSlot(s, f);
  }
  fr.mapcount--;
  putFrame(fr);
  // The same pass of shrink_folio_list: the page is clean, so __remove_mapping frees it unless a reference
  // besides the cache's is left (folio_ref_freeze(folio, 1 + nr) fails).
  if (removable(s, f)) deleteFromSwapCache(s, f);
  return true;
}

/**
 * Can shrink_folio_list free page `f` of the swap cache now? It is unmapped, not locked, and holds no
 * reference besides the cache's (__remove_mapping's folio_ref_freeze: a pinned page stays).
 */
export function removable(s: State, f: number): boolean {
  const fr = s.frames[f]!;
  return !fr.free && fr.slot !== NONE && fr.mapcount === 0 && fr.refcount === 0 && !fr.locked;
}

/**
 * shrink_folio_list's second pass over an unmapped page of the swap cache: pageout if it is dirty (a
 * device wrote it while it was pinned), then __remove_mapping -> __delete_from_swap_cache, and the page
 * is freed. The slot lives on in its swap entries; a refault now reads it into a new page.
 */
export function removeMapping(s: State, f: number): void {
  if (s.frames[f]!.dirty) writeSlot(s, f);
  deleteFromSwapCache(s, f);
}

/**
 * do_swap_page for a PTE holding a swap entry: the cached page if the slot is cached
 * (swap_cache_get_folio), else a new page read from the slot that joins the swap cache
 * (swapin_readahead -> __read_swap_cache_async; past the cache for an entry that is its slot's only one,
 * SWP_SYNCHRONOUS_IO). The entry is exclusive when no other entry names the slot and nothing else maps or
 * pins the page: the PTE is then writable (RMAP_EXCLUSIVE), else read-only, and a
 * write goes on to do_wp_page. A write fault on an exclusive entry frees the swap
 * (should_try_to_free_swap -> folio_free_swap): the page leaves the cache, dirty. False without a frame
 * for a new page (-ENOMEM).
 */
export function doSwapPage(s: State, pte: Pte, write: boolean): boolean {
  const slot = pte.slot;
  let f = cachedFrame(s, slot);
  if (f === NONE) {
    f = allocFrame(s, pte.swap);
    if (f === NONE) return false;
    // SWP_SYNCHRONOUS_IO and __swap_count(entry) == 1: the page skips the swap cache and swap_free frees
    // the slot (the page is dirty: nothing backs it now). Else it joins the cache, clean, for the others.
    if (swapCount(s, slot) > 1) {
      s.frames[f]!.slot = slot;
      s.frames[f]!.dirty = false;
    }
  } else {
    s.frames[f]!.mapcount++;
    s.frames[f]!.refcount++;
  }
  pte.swapped = false;
  pte.slot = NONE; // swap_free: the PTE's own reference to the slot
  pte.frame = f;
  const fr = s.frames[f]!;
  // Exclusive: no other entry names the slot, and the page has no reference but this mapping (no other
  // mapping, no pin): folio_ref_count(folio) == 1 once the swap cache lets it go.
  const exclusive = swapCount(s, slot) === 0 && fr.refcount === 1;
  // do_swap_page makes the PTE writable only where the VMA allows writes (vma->vm_flags & VM_WRITE).
  pte.writable = exclusive && vmaWritable(pte);
  if (write && exclusive) deleteFromSwapCache(s, f);
  return true;
}

/**
 * wp_can_reuse_anon_folio for the page a read-only PTE maps: a page of the swap cache whose slot no
 * entry names any more leaves the cache first (folio_free_swap); then the page is reused in place when
 * its only reference is this mapping (folio_ref_count == 1), else copied.
 */
export function wpReusable(s: State, f: number): boolean {
  // do_wp_page: the zero page is never reused (is_zero_pfn: vm_normal_page gives no folio), always copied.
  if (s.zeroPfn !== undefined && f === s.zeroPfn) return false;
  const fr = s.frames[f]!;
  if (fr.slot !== NONE && swapCount(s, fr.slot) > 0) return false; // the cache's reference stays
  return fr.refcount === 1;
}

/** The reuse itself: folio_free_swap if the page is still in the cache (wpReusable said it may). */
export function wpReuse(s: State, f: number): void {
  if (s.frames[f]!.slot !== NONE) deleteFromSwapCache(s, f);
}

/**
 * zap_pte_range on a swap entry (munmap, the OOM reaper, exit): free_swap_and_cache drops the entry; once
 * no entry names the slot, an unmapped page of the cache for it leaves the cache (__try_to_reclaim_swap
 * with TTRS_UNMAPPED) and is freed unless pinned.
 */
export function zapSwapEntry(s: State, pte: Pte): void {
  if (!pte.swapped) return;
  const slot = pte.slot;
  pte.swapped = false;
  pte.slot = NONE;
  if (swapCount(s, slot) > 0) return;
  const f = cachedFrame(s, slot);
  if (f !== NONE && s.frames[f]!.mapcount === 0) deleteFromSwapCache(s, f);
}

/**
 * The canonical form of the slot numbers (model/canonical.ts): slots are only compared for equality and
 * made fresh, so they are renumbered in order of first appearance (frames, then PTEs).
 */
export function canonicalSlots(s: State): void {
  const order: number[] = [];
  const rank = (k: number): number => {
    let i = order.indexOf(k);
    if (i < 0) i = order.push(k) - 1;
    return i;
  };
  for (const fr of s.frames) fr.slot = fr.free || fr.slot === NONE ? NONE : rank(fr.slot);
  for (const mm of s.mms) for (const pte of mm.ptes) pte.slot = pte.swapped ? rank(pte.slot) : NONE;
}
