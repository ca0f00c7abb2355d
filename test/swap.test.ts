// The swap cache (model/swap.ts): reclaim, the refault of a cached page, fork's copy of a swap entry, the
// cache's own reclaim of a page it could not free at once, and the zap of the last entry.
import { describe, it, expect } from 'vitest';
import { isEnabled, makeModel } from '../model/model.ts';
import { anyConfigByName } from '../model/configs.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { NONE } from '../model/types.ts';
import { swapCount } from '../model/swap.ts';
import { act, advance, model, play, forkCopy } from './helpers.ts';

const inVariant = (strategy: string, variant: string) => makeModel(strategyByName(strategy)!, anyConfigByName(variant)!);

describe('the swap cache', () => {
  it('frees an unreferenced page in the pass that swaps it out, and a refault reads the slot into a new page', () => {
    const m = model('odp-mirror');
    const { s, events } = play(m, [act('cpu_write', 0, 1), act('reclaim', 0, 1), act('invalidate_end', 0)]);
    const pte = s.mms[0]!.ptes[1]!;
    expect(pte.swapped).toBe(true);
    expect(pte.slot).not.toBe(NONE);
    expect(s.frames[1]!.free).toBe(true); // __remove_mapping in the same pass of shrink_folio_list
    expect(events.some((e) => e.t === 'invalidate_end' && e.cause === 'reclaim')).toBe(true);
    advance(m, s, act('cpu_read', 0, 1));
    // The only entry of its slot: the page skips the swap cache (SWP_SYNCHRONOUS_IO), mapped writable (exclusive).
    expect(pte.frame).not.toBe(NONE);
    expect(pte.writable).toBe(true);
    expect(s.frames[pte.frame]!.slot).toBe(NONE);
    expect(s.frames[pte.frame]!.value).toBe(1);
  });

  it('keeps a page another reference holds in the cache, and the refault maps that same frame back', () => {
    // reclaim-pinned: the kernel before feb889fb40fa puts a pinned page into the swap cache.
    const m = inVariant('pin-longterm', 'reclaim-pinned');
    const { s } = play(m, [act('register', 0), act('reclaim', 0, 0), act('invalidate_end', 0)]);
    const pte = s.mms[0]!.ptes[0]!;
    expect(pte.swapped).toBe(true);
    expect(s.frames[0]!.free).toBe(false);
    expect(s.frames[0]!.slot).toBe(pte.slot); // in the swap cache, the pinner still on it
    expect(s.frames[0]!.pincount).toBe(1);
    advance(m, s, act('cpu_read', 0, 0));
    expect(pte.frame).toBe(0); // swap_cache_get_folio: the same page
    expect(pte.writable).toBe(false); // maybe pinned: not exclusive, read-only
  });

  it('frees a cached page by its own step once its last other reference is gone (remove_mapping)', () => {
    const m = inVariant('pin-longterm', 'reclaim-pinned');
    const { s } = play(m, [act('register', 0), act('reclaim', 0, 0), act('invalidate_end', 0), act('deregister', 0)]);
    expect(isEnabled(m, s, act('remove_mapping', 0))).toBe(false); // still pinned: folio_ref_freeze fails
    advance(m, s, act('dereg_finish', 0)); // unpin_user_pages_dirty_lock
    expect(s.frames[0]!.pincount).toBe(0);
    expect(s.frames[0]!.free).toBe(false);
    advance(m, s, act('remove_mapping', 0));
    expect(s.frames[0]!.free).toBe(true);
    // The slot lives on in the swap entry: the refault reads it into a new page.
    advance(m, s, act('cpu_read', 0, 0));
    expect(s.mms[0]!.ptes[0]!.frame).not.toBe(NONE);
  });

  it('fork copies a swap entry: both processes name one slot, and the second refault finds the first one\'s page', () => {
    const m = model('odp-mirror');
    const { s } = play(m, [act('reclaim', 0, 0), act('invalidate_end', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0)]);
    const parent = s.mms[0]!.ptes[0]!;
    const child = s.mms[1]!.ptes[0]!;
    expect(child.swapped).toBe(true);
    expect(child.slot).toBe(parent.slot); // copy_nonpresent_pte: swap_duplicate
    expect(swapCount(s, parent.slot)).toBe(2);
    advance(m, s, act('cpu_read', 0, 0));
    const f = parent.frame;
    expect(s.frames[f]!.slot).toBe(child.slot); // a shared slot's page joins the swap cache
    expect(parent.writable).toBe(false); // read-only while the entry is shared
    advance(m, s, act('cpu_read', 1, 0));
    expect(child.frame).toBe(f); // the child's refault maps the cached page
    expect(s.frames[f]!.mapcount).toBe(2);
    // A write of either copies (do_wp_page: the page is shared), as for any copy-on-write page.
    advance(m, s, act('cpu_write', 0, 0));
    expect(s.invs.some((i) => i.live && i.cause === 'cow')).toBe(true);
  });

  it('a write refault of an exclusive cached page reuses it and takes it out of the cache (folio_free_swap)', () => {
    const m = model('odp-mirror');
    const { s } = play(m, [act('reclaim', 0, 0), act('invalidate_end', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('cpu_read', 0, 0), act('munmap', 1, 0), act('invalidate_end', 0)]);
    const parent = s.mms[0]!.ptes[0]!;
    // The child's entry is gone: the parent's page is the slot's only user, still in the cache.
    expect(s.frames[parent.frame]!.slot).not.toBe(NONE);
    const f = parent.frame;
    advance(m, s, act('cpu_write', 0, 0));
    expect(parent.frame).toBe(f); // wp_page_reuse, no copy
    expect(parent.writable).toBe(true);
    expect(s.frames[f]!.slot).toBe(NONE);
  });

  it('munmap of the last entry of a slot drops its unmapped cached page (free_swap_and_cache)', () => {
    const m = model('odp-mirror');
    const { s } = play(m, [act('reclaim', 0, 0), act('invalidate_end', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('cpu_read', 0, 0), act('munmap', 0, 0), act('invalidate_end', 0)]);
    const child = s.mms[1]!.ptes[0]!;
    const cached = s.frames.findIndex((fr) => !fr.free && fr.slot === child.slot);
    expect(cached).not.toBe(-1); // the child's entry still names it
    advance(m, s, act('munmap', 1, 0));
    advance(m, s, act('invalidate_end', 0));
    expect(s.frames[cached]!.free).toBe(true);
  });
});
