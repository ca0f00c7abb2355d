import type { Property, View } from './types.ts';
import { violation } from './types.ts';

const RETURNED = 255;

function pendingCallbacks(view: View): { inv: number; sub: number }[] {
  const out: { inv: number; sub: number }[] = [];
  view.invs.forEach((inv, i) => {
    if (inv.live) inv.cb.forEach((c, sub) => c !== RETURNED && out.push({ inv: i, sub }));
  });
  return out;
}

/**
 * Every invalidate callback returns within B kernel/hardware steps, whatever user space does: checked by
 * the progress oracle from every state in which a callback is pending.
 * Premise: an invalidation calls a driver's invalidate callback: a design with no notifier has no callback
 * to block.
 */
export const boundedNotifier: Property<null> = {
  id: 'bounded-notifier',
  kind: 'eventually',
  premise: 'sometimes-callback-called',
  meaning: 'every invalidate callback returns within B kernel and hardware steps, whatever user space does',
  init: () => null,
  check(_m, { view, oracle }) {
    const bound = view.cfg.oracleBound;
    for (const { inv, sub } of pendingCallbacks(view)) {
      const done = (v: View) => !v.invs[inv]!.live || v.invs[inv]!.cb[sub] === RETURNED;
      if (!oracle.reach(done, bound, ['kernel', 'hardware'], { goal: `callback:${inv}:${sub}` })) {
        const i = view.invs[inv]!;
        return violation(this.id, 'callback-blocked', `the callback for the ${i.cause} invalidation ${inv} of p${i.proc} cannot return within ${bound} kernel and hardware steps: it waits on something only user space can do`, {
          inv, sub, cause: i.cause, proc: i.proc, bound,
        });
      }
    }
    return null;
  },
};
