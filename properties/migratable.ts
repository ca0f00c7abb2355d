import type { Property, View } from './types.ts';
import { violation } from './types.ts';
import { describeWait, moveWaitId, pendingCallbackIds } from '../model/waits.ts';

/** What holds invalidation `inv` back: each callback still owed, and what it waits on. */
function heldBack(view: View, inv: number): string {
  const ws = view.waits();
  const ids = pendingCallbackIds(view, inv);
  return ids.map((id) => `${ws.find((w) => w.id === id)?.what ?? id} ${describeWait(ws, id)}`).join('; ');
}

/** Is a DMA of (proc, vpage) in flight (translated, not landed)? */
function dmaInFlight(view: View, proc: number, vpage: number): boolean {
  return view.jobs.some((j) => j.state === 'running' && j.proc === proc && j.vpage === vpage);
}

/** Invalidations that move a page somewhere else: core-mm migration and compaction, a DAX block move, the peer's VRAM move, a device migration. */
const MOVING_CAUSES = new Set(['migrate', 'dax-move', 'peer-move', 'device-migrate']);

/** The page (proc, vpage) no longer maps that lifetime of `frame`: it moved. */
const movedFrom = (proc: number, vpage: number, frame: number, gen: number) => (v: View) =>
  v.mms[proc]!.ptes[vpage]!.frame !== frame || v.frames[frame]!.gen !== gen;

/**
 * Capability: every move of a page with no DMA in flight succeeds by kernel and hardware steps alone,
 * whichever mechanism moves it: core-mm migration and compaction, a DAX filesystem's block move, the
 * peer driver's VRAM move, a device migration (their invalidations end), and an exporter's DMA-BUF move
 * (the page lands in its new placement). A move refused for extra references (a pin, a pinned DMA-BUF
 * attachment) succeeds on a later attempt (a retry of that move) once the references are gone.
 * Premise: a migration of a page the device translates or pins is attempted with no DMA to it in flight: a
 * page the device does not hold migrates whatever the driver does.
 */
export const migratable: Property<null> = {
  id: 'migratable',
  kind: 'eventually',
  premise: 'sometimes-held-page-migration',
  capability: true,
  meaning: 'a move of a page with no DMA in flight (migration, compaction, a DAX block, VRAM, a DMA-BUF move) succeeds by kernel and hardware steps alone',
  init: () => null,
  check(_m, { view, events, oracle }) {
    const bound = view.cfg.oracleBound;
    for (const e of events) {
      if (e.t === 'invalidate_start' && MOVING_CAUSES.has(e.cause) && !e.dmaInFlight) {
        const i = e.inv;
        if (!oracle.reach((v) => !v.invs[i]!.live, bound, ['kernel', 'hardware'], { goal: `inv-ended:${i}` })) {
          const why = heldBack(view, i);
          return violation(this.id, 'migration-stuck', `the ${e.cause} of p${e.proc} (invalidation ${i}) cannot complete by kernel and hardware steps alone${why ? `: ${why}` : ''}`, { inv: i, proc: e.proc, cause: e.cause });
        }
      }
      if (e.t === 'move_notify' && !e.dmaInFlight) {
        const f = view.mms[e.proc]!.ptes[e.vpage]!.frame;
        const id = moveWaitId(e.proc, e.vpage);
        const done = movedFrom(e.proc, e.vpage, f, view.frames[f]!.gen);
        if (!oracle.reach((v) => done(v) && !v.waits().some((w) => w.id === id), bound, ['kernel', 'hardware'], { goal: `moved:${e.proc}:${e.vpage}:${f}:${view.frames[f]!.gen}:${id}-ended` })) {
          return violation(this.id, 'move-stuck', `the exporter's move of p${e.proc} v${e.vpage} (frame ${f}) began with no DMA in flight, but cannot complete by kernel and hardware steps alone: it ${describeWait(view.waits(), id)}`, {
            proc: e.proc, vpage: e.vpage, frame: f, mechanism: 'dmabuf-move',
          });
        }
      }
      if ((e.t === 'migrate_refused' || e.t === 'move_refused') && !dmaInFlight(view, e.proc, e.vpage)) {
        const f = e.frame;
        const mechanism = e.t === 'move_refused' ? e.mechanism : 'migration';
        const pins = view.frames[f]!.pincount;
        const pinned = e.t === 'move_refused' ? ` (the page is pinned by a DMA-BUF attachment${pins > 0 ? `, pin count ${pins}` : ''})` : pins > 0 ? ` (the page is pinned, pin count ${pins})` : ' (extra references)';
        if (!oracle.reach(movedFrom(e.proc, e.vpage, f, view.frames[f]!.gen), bound, ['kernel', 'hardware'], { retry: { proc: e.proc, vpage: e.vpage }, goal: `moved:${e.proc}:${e.vpage}:${f}:${view.frames[f]!.gen}` })) {
          return violation(this.id, e.t === 'move_refused' ? 'move-refused' : 'migration-refused', `the ${mechanism} of p${e.proc} v${e.vpage} (frame ${f}) was refused with no DMA in flight${pinned}, and no retry by kernel and hardware steps alone can move it`, {
            proc: e.proc, vpage: e.vpage, frame: f, mechanism, pincount: pins,
          });
        }
      }
    }
    return null;
  },
};
