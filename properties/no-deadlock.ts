import type { Property } from './types.ts';
import { stuckWait, waitEnded } from './liveness.ts';

/**
 * No cycle of waits among callbacks, fences, driver locks and memory allocation, and no wait on something
 * nothing will ever release: every wait a kernel path is in (a pending invalidate callback, a buffer move,
 * an importer's fault on the reservation lock, a fence-signalling path in direct reclaim; model/waits.ts)
 * can still end under SOME schedule of actions of any actor, user space included (searched to exhaustion). A wait that
 * only user space can release is not a deadlock (bounded-notifier judges that); one that nobody can
 * release is: e.g. a fence's signalling path that allocates, enters direct reclaim, and waits for a
 * reclaim whose notifier waits on that very fence, or a lock a path returned without releasing. User
 * space takes part by finishing what it started (signalling its user fences, the job-level actions): new
 * work it might start releases no wait the kernel is in, and would make the search explode. A failure
 * names the cycle, or the lock or fence nothing releases.
 * Premise: an invalidation calls a driver's invalidate callback, or an exporter begins a buffer move: without one pending, there is no wait to
 * close a cycle.
 */
export const noDeadlock: Property<null> = {
  id: 'no-deadlock',
  kind: 'eventually',
  stateOnly: true,
  premise: 'sometimes-kernel-waits',
  meaning: 'every wait a kernel path is in (callbacks, buffer moves, faults on a lock, fence signalling) can still end under some schedule of any actors: no cycle of waits, no lock nothing releases',
  init: () => null,
  check(_m, { view, oracle }) {
    const bound = view.cfg.oracleBound;
    for (const w of view.waits()) {
      if (oracle.reach(waitEnded(w), bound, ['kernel', 'hardware', 'user'], { userCompletionsOnly: true, goal: w.id })) continue;
      return stuckWait(this.id, 'never-released', view, w, 'can never end: no schedule of kernel, hardware or user steps releases what it waits for');
    }
    return null;
  },
};
