import type { Property } from './types.ts';
import { violation } from './types.ts';

/**
 * Pin counts never go negative; once every registration and job is gone, no pin and no frame leaks.
 * Premise: every registration and job is gone after one was made: the state where a leaked pin or frame
 * would show.
 */
export const pinsBalanced: Property<null> = {
  id: 'pins-balanced',
  kind: 'always',
  premise: 'sometimes-all-released',
  meaning: 'pin counts never go negative; once every registration and job is gone, no pin and no frame leaks',
  init: () => null,
  check(_m, { view }) {
    for (let f = 0; f < view.frames.length; f++) {
      const fr = view.frames[f]!;
      if (fr.pincount < 0) return violation(this.id, 'negative', `frame ${f} has pin count ${fr.pincount}`, { frame: f, pincount: fr.pincount });
    }
    if (view.regs.some((r) => r.live) || view.jobs.some((j) => j.state !== 'free')) return null;
    for (let f = 0; f < view.frames.length; f++) {
      const fr = view.frames[f]!;
      if (fr.pincount > 0) return violation(this.id, 'pin-leak', `no registration or job is left, but frame ${f} is still pinned ${fr.pincount} time(s)`, { frame: f, pincount: fr.pincount });
      // A locked frame is held by a move or migration in progress (its source or its destination); a page
      // of the swap cache is the cache's, which reclaim frees (__remove_mapping). The zero page is
      // allocated for good and mapped by no mapcount (pte_special).
      if (f === view.zeroPfn) continue;
      if (!fr.free && fr.mapcount === 0 && !fr.locked && fr.slot === -1) return violation(this.id, 'frame-leak', `no registration or job is left, but frame ${f} is allocated (refcount ${fr.refcount}) and mapped by nobody`, { frame: f, refcount: fr.refcount });
    }
    return null;
  },
};
