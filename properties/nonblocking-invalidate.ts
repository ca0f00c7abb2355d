import type { Property } from './types.ts';
import { violation } from './types.ts';
import { waitEnded, waitsOnValue } from './liveness.ts';
import { describeWait } from '../model/waits.ts';

/** How many kernel steps a callback of a non-blockable invalidation may take: its own few, no waiting. */
export const NONBLOCKING_BOUND = 3;

/**
 * A path that may not sleep (a callback of the OOM reaper's invalidation: mmu_notifier_range_blockable
 * false; any wait model/waits.ts marks `mayBlock: false`) never waits: it returns, or refuses (-EAGAIN),
 * within a few kernel steps of its own, with no hardware progress, no fence and no lock another path
 * holds across a wait. Checked by the progress oracle over kernel actions only; a failure names what it
 * waits on.
 * Premise: a non-blockable invalidation (the OOM reaper's) calls a driver's invalidate callback.
 */
export const nonblockingInvalidate: Property<null> = {
  id: 'nonblocking-invalidate',
  kind: 'eventually',
  stateOnly: true,
  premise: 'sometimes-nonblocking-callback',
  meaning: 'a callback of an invalidation that may not block (the OOM reaper) returns or refuses within a few kernel steps, waiting for nothing',
  init: () => null,
  check(_m, { view, oracle }) {
    for (const w of view.waits()) {
      if (w.mayBlock) continue;
      if (oracle.reach(waitEnded(w), NONBLOCKING_BOUND, ['kernel'], { goal: w.id })) continue;
      const ws = view.waits();
      return violation(this.id, 'callback-waits', `${w.what}, which may not block, neither returns nor refuses within a few kernel steps of its own: it ${describeWait(ws, w.id)}`, {
        wait: w.id, waitsOn: waitsOnValue(ws, w), bound: NONBLOCKING_BOUND,
      });
    }
    return null;
  },
};
