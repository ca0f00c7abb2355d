import type { Property, View } from './types.ts';
import { violation } from './types.ts';

/** Is a DMA of (proc, vpage) in flight (translated, not landed)? */
function dmaInFlight(view: View, proc: number, vpage: number): boolean {
  return view.jobs.some((j) => j.state === 'running' && j.proc === proc && j.vpage === vpage);
}

/**
 * Capability: a migration (or compaction) of a page with no DMA in flight succeeds within B kernel and
 * hardware steps. A migration that began completes (its invalidation ends); one refused for extra
 * references (a pin) succeeds on a later attempt once the references are gone, within the bound.
 * Premise: a migration of a page the device translates or pins is attempted with no DMA to it in flight: a
 * page the device does not hold migrates whatever the driver does.
 */
export const migratable: Property<null> = {
  id: 'migratable',
  kind: 'eventually',
  premise: 'sometimes-held-page-migration',
  capability: true,
  meaning: 'a migration of a page with no DMA in flight succeeds within B kernel and hardware steps',
  init: () => null,
  check(_m, { view, events, oracle }) {
    const bound = view.cfg.oracleBound;
    for (const e of events) {
      if (e.t === 'invalidate_start' && e.cause === 'migrate' && !e.dmaInFlight) {
        const i = e.inv;
        if (!oracle.reach((v) => !v.invs[i]!.live, bound)) {
          return violation(this.id, 'migration-stuck', `the migration of p${e.proc} (invalidation ${i}) cannot complete within ${bound} kernel and hardware steps`, { inv: i, proc: e.proc, bound });
        }
      }
      if (e.t === 'migrate_refused' && !dmaInFlight(view, e.proc, e.vpage)) {
        const f = e.frame;
        const g = view.frames[f]!.gen;
        const moved = (v: View) => v.mms[e.proc]!.ptes[e.vpage]!.frame !== f || v.frames[f]!.gen !== g;
        if (!oracle.reach(moved, bound)) {
          return violation(this.id, 'migration-refused', `the migration of p${e.proc} v${e.vpage} (frame ${f}) was refused with no DMA in flight, and no retry within ${bound} kernel and hardware steps can move it`, {
            proc: e.proc, vpage: e.vpage, frame: f, bound,
          });
        }
      }
    }
    return null;
  },
};
