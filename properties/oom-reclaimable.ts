import type { Property, View } from './types.ts';
import { mappers, violation } from './types.ts';

/** The OOM victim and the frames its reaped pages held. */
/** Per frame slot (a fixed shape, so that states encode alike): watched since the reap began, and its generation then. */
export interface OomWatch {
  victim: number;
  watched: boolean[];
  gens: number[];
}

/** How many kernel steps a retry of a refused reap may take: oom_reap, the callbacks' own steps, invalidate_end. */
export const REAP_RETRY_BOUND = 4;

/**
 * Every watched frame is freed, or still mapped by another process, or is a page of the swap cache that
 * nothing but the cache holds (kept for another process's swap entry, or freed by the next pass of
 * reclaim: __remove_mapping): the victim's claim on it is gone.
 */
function freed(w: OomWatch, v: View): boolean {
  return w.watched.every((on, f) => {
    const fr = v.frames[f]!;
    return !on || fr.gen !== w.gens[f] || mappers(v, f).some((p) => p !== w.victim) || (fr.slot !== -1 && fr.refcount === 0);
  });
}

function unmapped(victim: number, v: View): boolean {
  return v.mms[victim]!.ptes.every((pte) => !pte.mapped);
}

/**
 * Capability: the OOM reaper frees an OOM victim's memory by kernel and hardware steps alone, whatever
 * user space does.
 * Two clauses, each asked when the reaper acts: a refused pass must go through on a retry within a few
 * kernel steps (a refusal that lasts leaves the memory to the victim's exit, which may never come); and
 * once a pass unmapped the victim's pages, every frame they held is freed (or is still mapped only
 * because another process shares it) by kernel and hardware steps alone: pins of in-flight DMA drop when
 * the hardware finishes, a long-term pin never does.
 * Premise: the OOM reaper begins a pass over a victim's memory that the device translates or pins: memory
 * the device does not hold is reaped whatever the driver does.
 */
export const oomReclaimable: Property<OomWatch> = {
  id: 'oom-reclaimable',
  kind: 'eventually',
  premise: 'sometimes-oom-reap-device-memory',
  capability: true,
  meaning: 'the OOM reaper frees an OOM victim\'s memory by kernel and hardware steps alone: its pass is not refused for good, and the frames it unmapped are freed',
  init: (view) => ({ victim: -1, watched: view.frames.map(() => false), gens: view.frames.map(() => 0) }),
  byJob: [],
  byInv: [],
  counters(w, c) {
    w.gens.forEach((g, f) => (w.gens[f] = w.watched[f] ? c.gen(f, g) : 0));
  },
  check(w, { view, events, oracle }) {
    for (const e of events) {
      if (e.t === 'invalidate_start' && e.cause === 'oom') {
        w.victim = e.proc;
        w.watched.fill(false);
        w.gens.fill(0);
        view.mms[e.proc]!.ptes.forEach((pte, v) => {
          // The zero page is nobody's memory (never freed, pte_special): zap_pte_range only drops the PTE.
          if ((e.pages >> v) & 1 && pte.frame !== -1 && pte.frame !== view.zeroPfn) {
            w.watched[pte.frame] = true;
            w.gens[pte.frame] = view.frames[pte.frame]!.gen;
          }
        });
      }
      if (e.t === 'invalidate_abandon' && e.cause === 'oom') {
        if (!oracle.reach((v) => unmapped(e.proc, v), REAP_RETRY_BOUND, ['kernel'], { retry: { proc: e.proc }, goal: `unmapped:p${e.proc}` })) {
          return violation(this.id, 'reap-refused', `a callback refused the OOM reaper's pass over p${e.proc}, and no retry within ${REAP_RETRY_BOUND} kernel steps gets through: the victim's memory waits for its exit`, {
            proc: e.proc, inv: e.inv, bound: REAP_RETRY_BOUND,
          });
        }
      }
      if (e.t === 'invalidate_end' && e.cause === 'oom') {
        const bound = view.cfg.oracleBound;
        const watched = w.watched.flatMap((on, f) => (on ? [`${f}@${w.gens[f]}`] : [])).join(',');
        if (!freed(w, view) && !oracle.reach((v) => freed(w, v), bound, ['kernel', 'hardware'], { goal: `freed:${watched}` })) {
          return violation(this.id, 'frames-held', `the OOM reaper unmapped p${e.proc}'s pages, but frames ${w.watched.flatMap((on, f) => (on ? [f] : [])).join(', ')} cannot be freed by any schedule of kernel and hardware steps${Number.isFinite(bound) ? ` of at most ${bound}` : ''}: something holds them`, {
            proc: e.proc, bound,
          });
        }
      }
    }
    return null;
  },
};
