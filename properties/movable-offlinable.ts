import type { Property, View } from './types.ts';
import { violation } from './types.ts';

/** Frame `f` no longer holds the lifetime `gen` of its page: the page moved out (or was freed). */
const emptied = (f: number, gen: number) => (v: View) => v.frames[f]!.free || v.frames[f]!.gen !== gen;

/**
 * Capability: memory offlining of ZONE_MOVABLE (offline_pages) and a CMA allocation of the CMA area
 * (cma_alloc -> alloc_contig_range) succeed by kernel and hardware steps alone, whatever user space does:
 * each page their do_migrate_range tries to move out, with no DMA to it in flight, leaves the range (its
 * migration ends, or a retry of a refused one moves it once the pin is gone). A long-term pin of a page
 * there makes both fail for as long as it lives (why FOLL_LONGTERM migrates such pages out first,
 * check_and_migrate_movable_pages); a short pin the kernel releases by itself only delays them.
 * Premise: the offlining tries to move a page the device translates or pins, or a FOLL_LONGTERM pin
 * meets a page in ZONE_MOVABLE or CMA.
 */
export const movableOfflinable: Property<null> = {
  id: 'movable-offlinable',
  kind: 'eventually',
  premise: 'sometimes-device-page-in-movable',
  capability: true,
  meaning: 'offlining ZONE_MOVABLE and a CMA allocation of its area move every page there out, with no DMA in flight, by kernel and hardware steps alone',
  init: () => null,
  check(_m, { view, events, oracle }) {
    const bound = view.cfg.oracleBound;
    for (const e of events) {
      if (e.t !== 'offline_migrate' || e.dmaInFlight) continue;
      const what = e.zone === 'cma' ? 'a CMA allocation of its area (cma_alloc)' : 'offlining ZONE_MOVABLE (offline_pages)';
      if (e.refused) {
        const pins = view.frames[e.frame]!.pincount;
        if (!oracle.reach(emptied(e.frame, view.frames[e.frame]!.gen), bound, ['kernel', 'hardware'], { retry: { proc: e.proc, vpage: e.vpage }, goal: `emptied:${e.frame}:${view.frames[e.frame]!.gen}` })) {
          return violation(this.id, 'pinned-in-movable', `${what} cannot move p${e.proc} v${e.vpage} out of frame ${e.frame}: the page is pinned (pin count ${pins}) and no kernel or hardware step releases it, so the ${e.zone === 'cma' ? 'allocation' : 'offlining'} fails with -EBUSY for as long as user space keeps it`, {
            proc: e.proc, vpage: e.vpage, frame: e.frame, zone: e.zone, pincount: pins,
          });
        }
      } else if (!oracle.reach((v) => !v.invs[e.inv]!.live, bound, ['kernel', 'hardware'], { goal: `inv-ended:${e.inv}` })) {
        return violation(this.id, 'migration-stuck', `${what} began migrating p${e.proc} v${e.vpage} out of frame ${e.frame} (invalidation ${e.inv}), but it cannot complete by kernel and hardware steps alone`, {
          proc: e.proc, vpage: e.vpage, frame: e.frame, zone: e.zone, inv: e.inv,
        });
      }
    }
    return null;
  },
};
