// respects-protection: a device honours the VMA's protection as the CPU must (mprotect, mm/mprotect.c).
import type { Property } from './types.ts';
import { violation } from './types.ts';
import { CB_RETURNED, VM_READ, VM_WRITE } from '../model/types.ts';
import type { View } from './types.ts';

/**
 * Is an mprotect of (proc, vpage) still waiting for some callback (change_protection's
 * MMU_NOTIFY_PROTECTION_VMA invalidation)? Until every callback returned, the device may still use the
 * permission it had; afterwards never (the notifier contract, as for a page that moves).
 */
function protectionChanging(view: View, proc: number, vpage: number): boolean {
  return view.invs.some((inv) => inv.live && inv.cause === 'mprotect' && inv.proc === proc && ((inv.pages >> vpage) & 1) === 1 && inv.cb.some((c) => c !== CB_RETURNED));
}

/**
 * No DMA lands in a page whose VMA forbids it: no device write to a page whose VMA has no VM_WRITE, no
 * device access at all to a PROT_NONE page, once the mprotect invalidation that took the permission away
 * had every callback return. A mirror that keeps a writable translation after mprotect(PROT_READ) writes
 * memory user space made read-only; hmm_range_fault refuses it (-EPERM), and so does GUP (-EFAULT).
 * Premise: a VMA loses a permission while the device translates, pins or may fault in the page.
 */
export const respectsProtection: Property<null> = {
  id: 'respects-protection',
  kind: 'always',
  premise: 'sometimes-protection-downgraded',
  meaning: 'no device write lands in a page whose VMA is not writable, and no device access in a PROT_NONE page, once the mprotect invalidation (MMU_NOTIFY_PROTECTION_VMA) had every callback return',
  init: () => null,
  check(_m, { view, events }) {
    for (const e of events) {
      if (e.t !== 'dma_land') continue;
      const pte = view.mms[e.proc]!.ptes[e.vpage]!;
      if (!pte.mapped) continue; // no VMA: coherent-dma and no-lost-write judge a DMA to an unmapped page
      const needs = e.write ? VM_WRITE : VM_READ;
      if ((pte.prot & needs) !== 0 || protectionChanging(view, e.proc, e.vpage)) continue;
      const what = e.write ? 'writes' : 'reads';
      const prot = pte.prot === VM_READ ? 'PROT_READ' : 'PROT_NONE';
      return violation(this.id, pte.prot === 0 ? 'access-to-prot-none' : 'write-to-read-only',
        `job ${e.job}'s DMA ${what} p${e.proc} v${e.vpage} (frame ${e.frame}), whose VMA is ${prot} since an mprotect whose callbacks all returned`,
        { job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, prot: pte.prot, write: e.write });
    }
    return null;
  },
};
