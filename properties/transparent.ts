import type { Property } from './types.ts';
import { violation } from './types.ts';

/** Per job slot: what happened to its page while it lived. */
export interface JobHistory {
  /** A migration, reclaim or copy-on-write break of its page began while the job lived and the device mapped it. */
  moved: boolean[];
  /** Its page was unmapped (munmap, the OOM reaper) while the job lived: an error is then user space's own doing. */
  unmapped: boolean[];
  /** The job failed for want of memory (-ENOMEM): memory exhaustion, not the memory moving. */
  noMemory: boolean[];
  /** The job was seen live; and its process had a live registration (an MR, a queue) then. */
  seen: boolean[];
  registered: boolean[];
}

const MOVES = new Set(['migrate', 'reclaim', 'cow', 'peer-move', 'device-migrate']);

/**
 * Capability: a device mapping survives the memory moving, with no error to user space: no job fails (an
 * error fence, a fatal device fault) after its page moved while it lived, unless the page was unmapped or
 * the registration torn down meanwhile, or the failure was for want of memory.
 * Premise: memory the device translates or pins moves: until then no job can fail because it did.
 */
export const transparent: Property<JobHistory> = {
  id: 'transparent',
  kind: 'always',
  premise: 'sometimes-device-memory-moved',
  capability: true,
  meaning: 'no job fails because its memory moved (migration, reclaim, copy-on-write): the device mapping follows the memory with no error to user space',
  init(view) {
    const no = () => view.jobs.map(() => false);
    return { moved: no(), unmapped: no(), noMemory: no(), seen: no(), registered: no() };
  },
  check(h, { view, events }) {
    for (const e of events) {
      if (e.t === 'invalidate_start') {
        view.jobs.forEach((j, k) => {
          if (j.state === 'free' || j.proc !== e.proc || !((e.pages >> j.vpage) & 1)) return;
          // Only a mapping the device held when the page began to move can fail to follow it.
          if (MOVES.has(e.cause) && view.dev.mirror[e.proc]![j.vpage]!.frame !== -1) h.moved[k] = true;
          if (e.cause === 'munmap' || e.cause === 'oom') h.unmapped[k] = true;
        });
      }
      let failed = -1;
      if (e.t === 'job_error') {
        if (e.reason.includes('ENOMEM')) h.noMemory[e.job] = true;
        const r = view.regs[view.jobs[e.job]!.proc]!;
        if (h.registered[e.job] && (r.closing || !r.live)) h.unmapped[e.job] = true; // torn down by its owner
        failed = e.job;
      }
      if (e.t === 'device_fault' && e.fatal) failed = e.job;
      if (failed >= 0 && h.moved[failed] && !h.unmapped[failed] && !h.noMemory[failed]) {
        const j = view.jobs[failed]!;
        return violation(this.id, 'error-after-move', `job ${failed} of p${j.proc} v${j.vpage} failed after its page moved while it was queued: the device mapping did not follow the memory`, {
          job: failed, proc: j.proc, vpage: j.vpage,
        });
      }
    }
    view.jobs.forEach((j, k) => {
      if (j.state === 'free') h.moved[k] = h.unmapped[k] = h.noMemory[k] = h.seen[k] = h.registered[k] = false;
      else if (!h.seen[k]) {
        h.seen[k] = true;
        h.registered[k] = view.regs[j.proc]!.live;
      }
    });
    return null;
  },
};
