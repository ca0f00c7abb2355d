// P2P memory mapped into user space (seed 004): a provider device's BAR pages in a process's address space,
// as drivers/pci/p2pdma.c does it (p2pmem_alloc_mmap: vm_insert_page of ZONE_DEVICE P2PDMA pages into a
// VM_SHARED mapping of the p2pmem/allocate sysfs file), and the provider's side of their life: the
// eviction of one page (a GPU driver moving VRAM), and the revoke of all of them when the provider's
// driver unbinds or the device resets (pci_p2pdma_unmap_mappings: unmap_mapping_range over every user
// mapping; then memunmap_pages waits for the pgmap's references to drop before the BAR goes).
//
// The provider is the peer (State.peer, device PEER); its driver's steps are kernel actions of the importer
// strategies that use this file (p2p-gup, p2p-vma-map), which keep the provider's phase in their driver
// state (`provider`). Pure helpers that update a state in place.
import { NONE, PEER } from './types.ts';
import type { Action, State } from './types.ts';
import type { ActionKind, DriverContext } from './strategy.ts';
import { findFreeFrame, freeInvalidationSlot, invalidating, procInvalidating, startInvalidation } from './mm.ts';
import { pteLocked, vramFree } from './p2p.ts';

/** The provider's phases: its BAR published and mapped; revoking (unmapped, waiting for references); released. */
export const PROVIDER_LIVE = 0;
export const PROVIDER_REVOKING = 1;
export const PROVIDER_RELEASED = 2;

export interface ProviderDriver {
  provider: number;
}

/** A BAR page of the provider (a P2PDMA page of PEER), allocated or free. */
export const isBarFrame = (s: State, f: number): boolean => f !== NONE && s.frames[f]!.kind === 'p2p' && s.frames[f]!.owner === PEER;

/** The pages of `proc` that map the provider's BAR. */
export function barPages(s: State, proc: number): number {
  let m = 0;
  s.mms[proc]!.ptes.forEach((pte, v) => {
    if (pte.mapped && isBarFrame(s, pte.frame)) m |= 1 << v;
  });
  return m;
}

/** Does any device still use the provider's BAR (a reference beyond the user mappings, a translation, a DMA)? */
export function barInUse(s: State): boolean {
  if (s.frames.some((fr, f) => isBarFrame(s, f) && !fr.free && fr.refcount > fr.mapcount)) return true;
  if (s.dev.mirror.some((row) => row.some((e) => isBarFrame(s, e.frame)))) return true;
  return s.jobs.some((j) => j.state === 'running' && isBarFrame(s, j.frame));
}

export const providerActionKinds: readonly ActionKind[] = [
  { kind: 'p2p_evict', actor: 'kernel', args: ['p', 'v'], models: 'the provider moves a BAR page (a GPU evicting VRAM): unmap_mapping_range of the page, then the move', starts: true },
  { kind: 'p2p_unbind', actor: 'kernel', args: [], models: 'the provider\'s driver unbinds or the device resets: pci_p2pdma_unmap_mappings (sysfs_remove_file_from_group -> unmap_mapping_range of every user mapping of p2pmem)', starts: true },
  { kind: 'p2p_release', actor: 'kernel', args: [], models: 'memunmap_pages: percpu_ref_kill of the pgmap, wait_for_completion until every page reference dropped, then the BAR is released (pci_p2pdma_release, gen_pool_destroy)' },
];

/**
 * The provider's enabled steps. `evictable(p, v)` is the importer design's condition on moving a page
 * (always true where the importer follows invalidations; a page with references cannot move where it pins).
 */
export function providerEnabled(s: State<ProviderDriver>, out: Action[]): void {
  const d = s.drv;
  const slot = freeInvalidationSlot(s) !== NONE;
  if (d.provider === PROVIDER_LIVE) {
    const dest = vramFree(s) || findFreeFrame(s) !== NONE;
    s.mms.forEach((mm, p) => {
      if (!mm.alive) return;
      mm.ptes.forEach((pte, v) => {
        if (slot && dest && pte.mapped && isBarFrame(s, pte.frame) && !invalidating(s, p, v) && !pteLocked(s, pte)) out.push({ k: 'p2p_evict', a: p, b: v });
      });
    });
    // One invalidation per process that maps the BAR (only the process the provider's mmap ran in: fork does not copy the VM_SHARED driver mapping, model/world.ts).
    const procs = s.mms.filter((mm, p) => mm.alive && barPages(s, p) !== 0).length;
    if (s.invs.filter((i) => !i.live).length >= procs && !s.mms.some((mm, p) => mm.alive && barPages(s, p) !== 0 && procInvalidating(s, p))) {
      out.push({ k: 'p2p_unbind', a: NONE, b: NONE });
    }
  } else if (d.provider === PROVIDER_REVOKING) {
    // memunmap_pages waits until every reference to the BAR's pages is gone (the user mappings' too, which
    // the unmap's invalidate_range_end drops).
    const unmapping = s.invs.some((i) => i.live && i.cause === 'munmap');
    if (!unmapping && s.frames.every((fr, f) => !isBarFrame(s, f) || fr.free)) out.push({ k: 'p2p_release', a: NONE, b: NONE });
  }
}

/**
 * Apply a provider step; `onEvict(p, v)` returns false when the importer's design refuses the move (the page
 * is pinned: the provider's move fails and is retried later). Returns false if `a` is not a provider step.
 */
export function providerApply(s: State<ProviderDriver>, a: Action, ctx: DriverContext, onStart: (inv: number) => void, movable: (p: number, v: number) => boolean): boolean {
  const d = s.drv;
  switch (a.k) {
    case 'p2p_evict': {
      const pte = s.mms[a.a]!.ptes[a.b]!;
      if (!movable(a.a, a.b)) {
        // A P2PDMA page cannot be migrated while a reference pins it: the provider's eviction fails.
        ctx.emit({ t: 'move_refused', proc: a.a, vpage: a.b, frame: pte.frame, mechanism: 'vram-move', by: 'pin' });
        return true;
      }
      startInvalidation(s, a.a, 1 << a.b, 'peer-move', ctx, onStart);
      return true;
    }
    case 'p2p_unbind': {
      d.provider = PROVIDER_REVOKING;
      ctx.emit({ t: 'provider_revoke', phase: 'begin', inUse: barInUse(s) });
      s.mms.forEach((mm, p) => {
        const pages = mm.alive ? barPages(s, p) : 0;
        if (pages !== 0) startInvalidation(s, p, pages, 'munmap', ctx, onStart);
      });
      return true;
    }
    case 'p2p_release': {
      // The BAR is gone: its pages' lifetimes end, and no allocator hands them out again.
      s.frames.forEach((fr, f) => {
        if (!isBarFrame(s, f)) return;
        fr.gen++;
        fr.owner = NONE;
      });
      d.provider = PROVIDER_RELEASED;
      ctx.emit({ t: 'provider_revoke', phase: 'released', inUse: false });
      return true;
    }
    default:
      return false;
  }
}
