import type { Property } from './types.ts';
import { stuckWait, waitEnded } from './liveness.ts';

/**
 * Every invalidate callback returns, and every buffer move an exporter began with dma_buf_move_notify
 * ends (its wait for the importers' fences, its copy, its dma_resv_unlock), by kernel and hardware steps
 * alone, whatever user space does (the oracle searches every state those steps reach, which is finite:
 * model/canonical.ts, so the answer does not depend on a bound or on the scope's slot counts): checked by the progress oracle from every state in which one is
 * pending. Both are waited for from reclaim or eviction, so both must not wait on user space (seed 000;
 * Documentation/driver-api/dma-buf.rst, "Indefinite DMA Fences"). A failure names what the callback or
 * the move waits on, and a cycle of waits is reported as a deadlock.
 * Premise: an invalidation calls a driver's invalidate callback, or an exporter begins a buffer move: a design with no notifier has no callback
 * to block.
 */
export const boundedNotifier: Property<null> = {
  id: 'bounded-notifier',
  kind: 'eventually',
  stateOnly: true,
  premise: 'sometimes-kernel-waits',
  meaning: 'every invalidate callback returns, and every DMA-BUF move after move_notify ends, by kernel and hardware steps alone, whatever user space does',
  init: () => null,
  check(_m, { view, oracle }) {
    const bound = view.cfg.oracleBound;
    for (const w of view.waits()) {
      if (w.kind !== 'callback' && w.kind !== 'move') continue;
      if (oracle.reach(waitEnded(w), bound, ['kernel', 'hardware'], { goal: w.id })) continue;
      const cannot = w.kind === 'callback' ? 'cannot return by kernel and hardware steps alone' : 'cannot end by kernel and hardware steps alone';
      return stuckWait(this.id, w.kind === 'callback' ? 'callback-blocked' : 'move-blocked', view, w, cannot);
    }
    return null;
  },
};
