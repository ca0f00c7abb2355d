import type { Property } from './types.ts';
import { mappers, violation } from './types.ts';

/**
 * A device acting for one process never reads or writes a frame that only another process maps.
 * Premise: a process forks, or breaks copy-on-write, while the device translates or pins the pages: only
 * then can a frame the device uses end up mapped by another process alone (the fork/COW hazard; the
 * model has no second process but a fork's child).
 */
export const isolation: Property<null> = {
  id: 'isolation',
  kind: 'always',
  premise: 'sometimes-fork-cow-device-memory',
  meaning: 'a device acting for one process never reads or writes a frame that only another process maps',
  init: () => null,
  check(_m, { view, events }) {
    for (const e of events) {
      if (e.t !== 'dma_land') continue;
      const who = mappers(view, e.frame);
      if (who.length > 0 && !who.includes(e.proc)) {
        return violation(this.id, 'foreign-frame', `a DMA ${e.write ? 'write' : 'read'} for p${e.proc} (job ${e.job}) landed in frame ${e.frame}, which only p${who.join(', p')} maps`, {
          job: e.job, proc: e.proc, frame: e.frame, owner: who[0]!,
        });
      }
    }
    return null;
  },
};
