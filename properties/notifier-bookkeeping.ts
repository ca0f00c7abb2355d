import type { Property, View, Violation } from './types.ts';
import { violation } from './types.ts';

/** Which invalidation slots are between their invalidate_range_start and their end (or abandonment). */
export interface Brackets {
  open: boolean[];
}

/**
 * The core mm's own notifier bookkeeping, after every step (the invariants of mm/mmu_notifier.c that
 * every driver relies on): an mm's active_invalidate_ranges counts its invalidations in progress;
 * its invalidate_seq is odd exactly while one is (mn_itree_inv_start_range / mn_itree_inv_end); no
 * subscription's seq is ahead of its mm's; every mmu_notifier_invalidate_range_start is followed by
 * exactly one invalidate_range_end, or, for a non-blockable start a callback refused, by none (the
 * caller must not call the end, and mn_itree_invalidate undid the seq); a blockable invalidation is never
 * refused. A core-mm change that breaks these is caught where it breaks them, not 20 steps later where
 * a device DMAs into the consequence.
 * Premise: an invalidation calls a driver's invalidate callback: the bookkeeping is what a notifier user
 * relies on (a design with no notifier, or one whose registration is refused, relies on none of it).
 */
export const notifierBookkeeping: Property<Brackets> = {
  id: 'notifier-bookkeeping',
  kind: 'always',
  premise: 'sometimes-callback-called',
  meaning: "the core mm's notifier bookkeeping is consistent: active invalidations counted, the seq odd exactly while one is active, every invalidate_range_start ended once (or abandoned when a non-blockable start was refused)",
  init: (view) => ({ open: view.invs.map((inv) => inv.live) }),
  byJob: [],
  byInv: ['open'],
  check(mon, { view, events }) {
    for (const e of events) {
      switch (e.t) {
        case 'invalidate_start':
          if (mon.open[e.inv]) return unpaired(this.id, 'start-twice', `invalidate_range_start of inv${e.inv} while its previous start was not ended`, e.inv, e.proc);
          mon.open[e.inv] = true;
          break;
        case 'invalidate_end':
          if (!mon.open[e.inv]) return unpaired(this.id, 'end-without-start', `invalidate_range_end of inv${e.inv}, which no invalidate_range_start began (or which was abandoned)`, e.inv, e.proc);
          mon.open[e.inv] = false;
          break;
        case 'invalidate_abandon':
          if (!mon.open[e.inv]) return unpaired(this.id, 'end-without-start', `inv${e.inv} abandoned, but no invalidate_range_start began it`, e.inv, e.proc);
          mon.open[e.inv] = false;
          break;
        case 'callback_refuse': {
          const inv = view.invs[e.inv]!;
          // mmu_notifier_range_blockable: only a non-blockable range may be refused (-EAGAIN).
          if (inv.blockable) return violation(this.id, 'blockable-refused', `the callback of subscription ${e.sub} refused inv${e.inv}, a blockable invalidation: only a non-blockable start may fail`, { inv: e.inv, sub: e.sub });
          break;
        }
      }
    }
    return counts(this.id, view, mon);
  },
};

function unpaired(id: string, clause: string, message: string, inv: number, proc: number): Violation {
  return violation(id, clause, message, { inv, proc });
}

/** The state's own bookkeeping against the invalidations in progress. */
function counts(id: string, view: View, mon: Brackets): Violation | null {
  for (let i = 0; i < view.invs.length; i++) {
    if (view.invs[i]!.live !== mon.open[i]) {
      return violation(id, 'slot-not-bracketed', `inv${i} is ${view.invs[i]!.live ? 'live' : 'not live'}, but its invalidate_range_start was ${mon.open[i] ? 'not ended' : 'ended or never made'}`, { inv: i });
    }
  }
  for (let p = 0; p < view.mms.length; p++) {
    const mm = view.mms[p]!;
    let live = 0;
    for (const inv of view.invs) if (inv.live && inv.proc === p) live++;
    if (mm.active !== live) {
      return violation(id, 'active-count', `p${p}'s active_invalidate_ranges is ${mm.active}, but ${live} invalidation(s) of it are in progress`, { proc: p, active: mm.active, live });
    }
    if ((mm.seq % 2 === 1) !== mm.active > 0) {
      return violation(id, 'seq-parity', `p${p}'s invalidate_seq is ${mm.seq % 2 === 1 ? 'odd' : 'even'} with ${mm.active} invalidation(s) active: it must be odd exactly while one is`, { proc: p, active: mm.active });
    }
    for (let k = 0; k < view.subs.length; k++) {
      const sb = view.subs[k]!;
      if (sb.live && sb.proc === p && sb.seq > mm.seq) {
        return violation(id, 'sub-seq-ahead', `subscription ${k}'s invalidate_seq is ahead of p${p}'s mm's`, { sub: k, proc: p });
      }
    }
  }
  return null;
}
