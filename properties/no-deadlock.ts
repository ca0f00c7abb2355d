import type { Property, View } from './types.ts';
import { violation } from './types.ts';

const RETURNED = 255;

/**
 * No cycle of waits among callbacks, fences, driver locks and memory allocation: every pending invalidate
 * callback can still return under SOME schedule of at most B actions of any actor, user space included.
 * A callback that only user space can release is not a deadlock (bounded-notifier judges that); one that
 * nobody can release is: e.g. a fence's signalling path that allocates, enters direct reclaim, and waits
 * for a reclaim whose notifier waits on that very fence. User space takes part by finishing what it
 * started (signalling its user fences, the job-level actions): new work it might start (a CPU access, a
 * mapping, a submission) releases no wait the kernel is in, and would make the search explode.
 * Premise: an invalidation calls a driver's invalidate callback: without one pending, there is no wait to
 * close a cycle.
 */
export const noDeadlock: Property<null> = {
  id: 'no-deadlock',
  kind: 'eventually',
  premise: 'sometimes-callback-called',
  meaning: 'every pending invalidate callback can still return within B steps of some schedule of any actors (no cycle of waits among callbacks, fences, locks and allocation)',
  init: () => null,
  check(_m, { view, oracle }) {
    const bound = view.cfg.oracleBound;
    for (let i = 0; i < view.invs.length; i++) {
      const inv = view.invs[i]!;
      if (!inv.live) continue;
      for (let sub = 0; sub < inv.cb.length; sub++) {
        if (inv.cb[sub] === RETURNED) continue;
        const done = (v: View) => !v.invs[i]!.live || v.invs[i]!.cb[sub] === RETURNED;
        if (oracle.reach(done, bound, ['kernel', 'hardware', 'user'], { userCompletionsOnly: true, goal: `callback:${i}:${sub}` })) continue;
        return violation(this.id, 'wait-cycle', `the callback for the ${inv.cause} invalidation ${i} of p${inv.proc} can never return: no schedule of ${bound} kernel, hardware or user steps releases what it waits for`, {
          inv: i, sub, proc: inv.proc, cause: inv.cause, bound,
        });
      }
    }
    return null;
  },
};
