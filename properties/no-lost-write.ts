import type { Property, View } from './types.ts';
import { violation } from './types.ts';

/**
 * The reference memory: the latest value written to each (process, virtual page) by anyone, or null
 * while the page holds no value (after munmap, until mmap). A DMA write counts as a write to the page if
 * it was translated in the page's current mapping epoch: a write through a translation taken before
 * munmap is not a write to the new mapping.
 */
export interface RefMemory {
  ref: (number | null)[][];
}

/**
 * A write to a frame is a write to every page that maps it writable: a shared mapping (a DAX file,
 * MAP_SHARED) sees it. A page shared copy-on-write is mapped read-only on both sides, so a private copy
 * after fork does not.
 */
function sharedWrite(mon: RefMemory, view: View, frame: number, value: number): void {
  view.mms.forEach((mm, q) => {
    if (!mm.alive && view.fork.child !== q) return; // a child fork is still copying into maps what it holds
    mm.ptes.forEach((pte, w) => {
      if (pte.mapped && pte.frame === frame && pte.writable) mon.ref[q]![w] = value;
    });
  });
}

/**
 * Every read, by the CPU or a device, sees the latest write to that (process, virtual page) by anyone.
 * Premise: memory the device translates or pins is invalidated (or a DMA-BUF move announced): a write is
 * lost only when the device and the CPU stop agreeing on which frame a page is.
 */
export const noLostWrite: Property<RefMemory> = {
  id: 'no-lost-write',
  kind: 'always',
  premise: 'sometimes-device-memory-invalidated',
  meaning: 'every read, by the CPU or a device, sees the latest write to that (process, virtual page) by anyone',
  init(view) {
    return {
      ref: view.mms.map((mm) => mm.ptes.map((pte) => (mm.alive && pte.mapped && pte.frame !== -1 ? view.frames[pte.frame]!.value : null))),
    };
  },
  observesValues: true,
  byJob: [],
  byInv: [],
  counters(mon, c) {
    for (const row of mon.ref) row.forEach((x, v) => (row[v] = x === null ? null : c.remembered(x)));
  },
  check(mon, { view, events }) {
    for (const e of events) {
      switch (e.t) {
        case 'cpu_write':
          mon.ref[e.proc]![e.vpage] = e.value;
          sharedWrite(mon, view, e.frame, e.value);
          break;
        case 'mmap':
          mon.ref[e.proc]![e.vpage] = 0;
          break;
        case 'munmap':
          mon.ref[e.proc]![e.vpage] = null;
          break;
        case 'fork_pte':
          // fork copies page by page: the child holds what the parent held when its PTE was set, where
          // fork copied the mapping at all.
          mon.ref[e.child]![e.vpage] = view.mms[e.child]!.ptes[e.vpage]!.mapped ? mon.ref[e.parent]![e.vpage]! : null;
          break;
        case 'cpu_read': {
          const want = mon.ref[e.proc]![e.vpage];
          if (want !== null && want !== undefined && e.value !== want) {
            return violation(this.id, 'cpu-read', `the CPU read ${e.value} from p${e.proc} v${e.vpage} (frame ${e.frame}), but the latest write there was ${want}`, {
              proc: e.proc, vpage: e.vpage, frame: e.frame, read: e.value, latest: want,
            });
          }
          break;
        }
        case 'dma_land': {
          const pte = view.mms[e.proc]!.ptes[e.vpage]!;
          if (!pte.mapped || pte.epoch !== e.epoch) break; // a translation of an older mapping
          if (e.write) {
            mon.ref[e.proc]![e.vpage] = e.value;
            sharedWrite(mon, view, e.frame, e.value);
            break;
          }
          const want = mon.ref[e.proc]![e.vpage];
          if (want !== null && want !== undefined && e.value !== want) {
            return violation(this.id, 'device-read', `the device read ${e.value} for p${e.proc} v${e.vpage} (frame ${e.frame}, job ${e.job}), but the latest write there was ${want}`, {
              job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, read: e.value, latest: want,
            });
          }
          break;
        }
      }
    }
    return null;
  },
};
