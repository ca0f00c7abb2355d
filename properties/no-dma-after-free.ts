import type { Property } from './types.ts';
import { violation } from './types.ts';

/**
 * A DMA lands only in the frame lifetime it was translated for.
 * Premise: memory the device translates or pins is invalidated (or a DMA-BUF move announced): until a frame
 * the device may use is freed or reused, no DMA can land in a later lifetime.
 */
export const noDmaAfterFree: Property<null> = {
  id: 'no-dma-after-free',
  kind: 'always',
  premise: 'sometimes-device-memory-invalidated',
  meaning: 'a DMA lands only in the frame lifetime (frame, generation) it was translated for',
  init: () => null,
  check(_m, { view, events }) {
    for (const e of events) {
      if (e.t !== 'dma_land') continue;
      const fr = view.frames[e.frame]!;
      if (fr.gen !== e.gen) {
        return violation(this.id, 'lifetime', `DMA of job ${e.job} for p${e.proc} v${e.vpage} landed in frame ${e.frame} generation ${fr.gen}${fr.free ? ' (free)' : ''}, translated for generation ${e.gen}`, {
          job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, translatedGen: e.gen, currentGen: fr.gen, free: fr.free,
        });
      }
    }
    return null;
  },
};
