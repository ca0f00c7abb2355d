// Shared by the liveness properties: when has a wait ended, and how a wait that cannot end is reported,
// from what the model says it waits on (View.waits(), model/waits.ts), never from a message.
import type { View, Violation } from './types.ts';
import { violation } from './types.ts';
import type { Wait } from '../model/waits.ts';
import { cycleIds, describeCycle, describeWait, nothingReleases, onlyUserReleases, waitCycle } from '../model/waits.ts';

const RETURNED = 255;

/** A predicate that holds once wait `w` has ended (a callback returned or its invalidation gone; any other wait no longer listed). */
export function waitEnded(w: Wait): (v: View) => boolean {
  const m = /^callback:(\d+):(\d+)$/.exec(w.id);
  if (m) {
    const inv = Number(m[1]);
    const sub = Number(m[2]);
    return (v) => !v.invs[inv]!.live || v.invs[inv]!.cb[sub] === RETURNED;
  }
  return (v) => !v.waits().some((x) => x.id === w.id);
}

/** What `w` waits on, for a violation's values: "fence:job0 (user), resv-lock:p0 (move:0:0)". */
export function waitsOnValue(ws: readonly Wait[], w: Wait): string {
  return w.on
    .map((o) => {
      const t = o.target;
      const name = t.k === 'fence' || t.k === 'dma' ? `${t.k}:job${t.job}` : t.k === 'driver-lock' ? `${t.k}:${t.name}` : t.k === 'invalidation' ? `${t.k}:inv${t.inv}` : t.k === 'copy-fence' ? `${t.k}:p${t.proc}v${t.vpage}` : `${t.k}:p${t.proc}`;
      return `${name} (${o.heldBy.length > 0 ? o.heldBy.join(', ') : o.releasedBy})`;
    })
    .join(', ');
}

/** A callback's invalidation, subscription, process and cause, for a violation's values. */
function idsOf(view: View, w: Wait): Record<string, number | string> {
  const m = /^callback:(\d+):(\d+)$/.exec(w.id);
  if (!m) return {};
  const inv = view.invs[Number(m[1])]!;
  return { inv: Number(m[1]), sub: Number(m[2]), proc: inv.proc, cause: inv.cause };
}

/**
 * The violation for a wait `w` that the oracle found cannot end: a cycle in the wait-for graph is a
 * deadlock and is reported with its cycle (clause `wait-cycle`); otherwise the clause given, with what it
 * waits on and who could release that.
 */
export function stuckWait(property: string, clause: string, view: View, w: Wait, cannot: string): Violation {
  const ws = view.waits();
  const ids = idsOf(view, w);
  const cycle = waitCycle(ws, w.id);
  if (cycle) {
    return violation(property, 'wait-cycle', `deadlock: ${w.what} ${cannot}, in a cycle of waits: ${describeCycle(ws, cycle)}`, {
      wait: w.id, ...ids, cycle: cycleIds(cycle), waitsOn: waitsOnValue(ws, w),
    });
  }
  return violation(property, clause, `${w.what} ${cannot}: it ${describeWait(ws, w.id)}`, {
    wait: w.id, ...ids, waitsOn: waitsOnValue(ws, w), onlyUser: onlyUserReleases(ws, w.id), nothingReleases: nothingReleases(ws, w.id),
  });
}
