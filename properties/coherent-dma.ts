import type { Property, View, Violation } from './types.ts';
import { inCallbackWindow, violation } from './types.ts';
import { VM_WRITE } from '../model/types.ts';

const ID = 'coherent-dma';

/**
 * Does the PTE of (proc, vpage) map (frame, gen) now, writable if asked? A write needs the PTE's write
 * bit only in a writable VMA, where a read-only PTE means the page is shared copy-on-write; in a VMA
 * mprotect made read-only the PTE is read-only for the protection's sake, which respects-protection
 * judges, not this property.
 */
function pteMaps(view: View, proc: number, vpage: number, frame: number, gen: number, write: boolean): boolean {
  const pte = view.mms[proc]!.ptes[vpage]!;
  return pte.mapped && pte.frame === frame && view.frames[frame]!.gen === gen && (!write || pte.writable || (pte.prot & VM_WRITE) === 0);
}

/** Mirror entries that the notifier contract says must be gone, in every mirroring device's page table. */
function staleMirror(view: View): Violation | null {
  return staleIn(view, view.dev.mirror, '') ?? (view.dev1 ? staleIn(view, view.dev1.mirror, ' 1') : null);
}

function staleIn(view: View, mirror: View['dev']['mirror'], which: string): Violation | null {
  for (let p = 0; p < mirror.length; p++) {
    for (let v = 0; v < mirror[p]!.length; v++) {
      const e = mirror[p]![v]!;
      if (e.frame === -1) continue;
      // Once the callbacks of an invalidation that moves or drops the page have returned, no entry may
      // still point to a frame the range had before (the device must not touch the old pages). fork and
      // mprotect move no page (respects-protection judges what mprotect takes away).
      for (let i = 0; i < view.invs.length; i++) {
        const inv = view.invs[i]!;
        if (!inv.live || inv.proc !== p || !((inv.pages >> v) & 1) || inv.cause === 'fork' || inv.cause === 'mprotect') continue;
        if (!inv.cb.every((c) => c === 255)) continue;
        if (inv.oldFrames[v] === e.frame && inv.oldGens[v] === e.gen) {
          return violation(ID, 'mirror-after-callbacks', `the ${inv.cause} invalidation ${i} of p${p} v${v}: every callback returned, but the device${which} still maps the old frame ${e.frame}`, {
            proc: p, vpage: v, frame: e.frame, inv: i, cause: inv.cause,
          });
        }
      }
      if (pteMaps(view, p, v, e.frame, e.gen, e.writable) || inCallbackWindow(view, p, v, e.frame, e.gen)) continue;
      const pte = view.mms[p]!.ptes[v]!;
      const now = !pte.mapped ? 'is unmapped' : pte.frame === -1 ? 'is swapped out' : `maps frame ${pte.frame}${pte.writable ? '' : ' read-only'}`;
      return violation(ID, 'stale-mirror', `the device${which} maps p${p} v${v} to frame ${e.frame}${e.writable ? ' writable' : ''}, but the page ${now}`, {
        proc: p, vpage: v, mirrorFrame: e.frame, mirrorGen: e.gen, pteFrame: pte.frame, pteMapped: pte.mapped,
      });
    }
  }
  return null;
}

/**
 * No DMA to stale pages: a DMA for (process, virtual page) lands in the frame that page maps at that
 * moment, or in the one it mapped when an invalidation of it began whose callbacks have not all returned;
 * and once they have returned, no mirror entry for the range still points to a frame the range had before.
 * Premise: memory the device translates or pins is invalidated (or a DMA-BUF move announced): until the
 * page under a translation changes, no translation can be stale.
 */
export const coherentDma: Property<null> = {
  id: ID,
  kind: 'always',
  premise: 'sometimes-device-memory-invalidated',
  meaning: 'a DMA lands in the frame its virtual page maps, or maps until the invalidation callbacks return; after that the device holds no stale translation',
  init: () => null,
  check(_m, { view, events }) {
    for (const e of events) {
      if (e.t !== 'dma_land') continue;
      if (pteMaps(view, e.proc, e.vpage, e.frame, e.gen, e.write) || inCallbackWindow(view, e.proc, e.vpage, e.frame, e.gen)) continue;
      const pte = view.mms[e.proc]!.ptes[e.vpage]!;
      return violation(ID, 'dma-target', `DMA ${e.write ? 'write' : 'read'} of job ${e.job} for p${e.proc} v${e.vpage} landed in frame ${e.frame}, but the page ${pte.mapped ? `maps frame ${pte.frame}${pte.writable ? '' : ' read-only'}` : 'is unmapped'} and no invalidation of it is in its callbacks`, {
        job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, pteFrame: pte.frame,
      });
    }
    return staleMirror(view);
  },
};
