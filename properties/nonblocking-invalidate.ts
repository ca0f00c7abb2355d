import type { Property, View } from './types.ts';
import { violation } from './types.ts';

const RETURNED = 255;
/** How many kernel steps a callback of a non-blockable invalidation may take: its own few, no waiting. */
export const NONBLOCKING_BOUND = 3;

/**
 * An invalidation that may not block (the OOM reaper's) never waits: each of its callbacks returns, or
 * refuses it (-EAGAIN), within a few kernel steps of its own, with no hardware progress, no fence and no
 * lock another path holds across a wait. Checked by the progress oracle over kernel actions only.
 * Premise: a non-blockable invalidation (the OOM reaper's) calls a driver's invalidate callback.
 */
export const nonblockingInvalidate: Property<null> = {
  id: 'nonblocking-invalidate',
  kind: 'eventually',
  premise: 'sometimes-nonblocking-callback',
  meaning: 'a callback of an invalidation that may not block (the OOM reaper) returns or refuses within a few kernel steps, waiting for nothing',
  init: () => null,
  check(_m, { view, oracle }) {
    for (let i = 0; i < view.invs.length; i++) {
      const inv = view.invs[i]!;
      if (!inv.live || inv.blockable) continue;
      for (let sub = 0; sub < inv.cb.length; sub++) {
        if (inv.cb[sub] === RETURNED) continue;
        const done = (v: View) => !v.invs[i]!.live || v.invs[i]!.cb[sub] === RETURNED;
        if (!oracle.reach(done, NONBLOCKING_BOUND, ['kernel'])) {
          return violation(this.id, 'callback-waits', `the callback of subscription ${sub} for the non-blockable ${inv.cause} invalidation ${i} of p${inv.proc} neither returns nor refuses within ${NONBLOCKING_BOUND} kernel steps: it waits`, {
            inv: i, sub, proc: inv.proc, cause: inv.cause, bound: NONBLOCKING_BOUND,
          });
        }
      }
    }
    return null;
  },
};
