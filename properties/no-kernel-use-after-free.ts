import type { Property, View, Violation } from './types.ts';
import { violation } from './types.ts';

/** inv.cb's value for a callback returned or never owed (model/types.ts CB_RETURNED). */
const RETURNED = 255;

/**
 * No kernel object is used after it is freed: what KASAN reports as a slab use-after-free. The kernel
 * objects with a lifetime in the model:
 * - the interval notifiers (struct mmu_interval_notifier, embedded in the driver's umem_odp, dmirror,
 *   userptr). The kernel reaches a notifier from the mm's interval tree and its deferred list until
 *   mmu_interval_notifier_remove returned (mn_itree_inv_end takes a deferred remove out), and an
 *   invalidation in progress calls its ops->invalidate until the callback returned. A freed notifier
 *   still reachable so is memory the next tree walk, the deferred list's processing or the callback
 *   itself dereferences.
 * - an MR's memory key (Registration.mkey, model/mkey.ts): a page-fault handler that took a reference to
 *   the key (its usecount) uses the MR it is embedded in until it drops it (hmm_range_fault on the MR's
 *   umem_odp, its umem_mutex, the UMR on its mkey). An MR freed while its usecount is above 0 is memory
 *   the handler's next step dereferences.
 * Premise: a driver freed a kernel object with a lifetime (a notifier, an MR): the end the property judges.
 */
export const noKernelUseAfterFree: Property<null> = {
  id: 'no-kernel-use-after-free',
  kind: 'always',
  premise: 'sometimes-kernel-object-freed',
  meaning: 'no kernel object is used after its free: a freed interval notifier is neither in its mm\'s interval tree or deferred list nor owed a callback by an invalidation in progress, and no MR is freed while a page-fault handler holds its memory key',
  stateOnly: true,
  init: () => null,
  check(_m, { view }) {
    return freedNotifierReached(this.id, view) ?? freedMrInUse(this.id, view);
  },
};

function freedMrInUse(id: string, view: View): Violation | null {
  for (let p = 0; p < view.regs.length; p++) {
    const k = view.regs[p]!.mkey;
    if (!k || !k.freed || k.usecount === 0) continue;
    return violation(id, 'mr-freed-while-key-held', `p${p}'s MR was freed while ${k.usecount} page-fault handler(s) still hold its mkey (usecount ${k.usecount}): the handler's next step (hmm_range_fault on its umem_odp, umem_mutex, the UMR on the mkey) reads freed memory`, {
      proc: p, usecount: k.usecount,
    });
  }
  return null;
}

function freedNotifierReached(id: string, view: View): Violation | null {
  for (let k = 0; k < view.subs.length; k++) {
    const sb = view.subs[k]!;
    if (!sb.freed) continue;
    for (let i = 0; i < view.invs.length; i++) {
      const inv = view.invs[i]!;
      const c = inv.cb[k]!;
      if (!inv.live || c === RETURNED) continue;
      return violation(id, 'callback-of-freed-notifier', `sub${k}'s notifier (p${sb.proc}) was freed while inv${i} (${inv.cause}) still owes its invalidate callback (${c === 0 ? 'not started' : `at step ${c}`}): mn_itree_invalidate calls ops->invalidate on freed memory`, {
        sub: k, proc: sb.proc, inv: i, step: c,
      });
    }
    if (sb.live) {
      const where = sb.removing ? 'queued for removal on the deferred list (mmu_interval_notifier_remove had not returned)' : sb.deferred ? 'on the deferred list of its insert' : 'in the interval tree (never removed)';
      return violation(id, 'freed-notifier-linked', `sub${k}'s notifier (p${sb.proc}) was freed while still ${where}: the next tree walk or mn_itree_inv_end reads freed memory`, {
        sub: k, proc: sb.proc, removing: sb.removing === true, deferred: sb.deferred === true,
      });
    }
  }
  return null;
}
