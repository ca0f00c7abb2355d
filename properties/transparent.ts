import type { Property } from './types.ts';
import { violation } from './types.ts';

/** Per job slot: what happened to its page while it lived. */
export interface JobHistory {
  /** Its page began to move (any mechanism: MOVES, or a DMA-BUF move_notify) while the job lived and the device mapped it. */
  moved: boolean[];
  /** Its page was unmapped (munmap, the OOM reaper) while the job lived: an error is then user space's own doing. */
  unmapped: boolean[];
  /** The job failed for want of memory (-ENOMEM): memory exhaustion, not the memory moving. */
  noMemory: boolean[];
  /** The job was seen live; and its process had a live registration (an MR, a queue) then. */
  seen: boolean[];
  registered: boolean[];
}

/** Invalidation causes that move a page's memory (the others drop it, or only write-protect it). */
const MOVES = new Set(['migrate', 'reclaim', 'cow', 'peer-move', 'device-migrate', 'dax-move']);

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
  byJob: ['moved', 'unmapped', 'noMemory', 'seen', 'registered'],
  byInv: [],
  capability: true,
  meaning: 'no job fails because its memory moved (migration, reclaim, copy-on-write, a DAX block, a VRAM or DMA-BUF move): the device mapping follows the memory with no error to user space',
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
          if (e.cause === 'munmap' || e.cause === 'oom' || e.cause === 'mprotect' || e.cause === 'exit') h.unmapped[k] = true; // user space's own doing
        });
      }
      if (e.t === 'move_notify') {
        // dma_buf_move_notify: the exporter moves a buffer page the importer may map.
        view.jobs.forEach((j, k) => {
          if (j.state !== 'free' && j.proc === e.proc && j.vpage === e.vpage) h.moved[k] = true;
        });
      }
      let failed = -1;
      if (e.t === 'job_error') {
        // The errno and the cause are data: a failure for want of memory, or because user space tore
        // the registration down, unmapped the page or mprotected it, is not the memory moving.
        if (e.errno === 'ENOMEM') h.noMemory[e.job] = true;
        if (e.cause === 'deregistered' || e.cause === 'not-mapped' || e.cause === 'protection') h.unmapped[e.job] = true;
        failed = e.job;
      }
      if (e.t === 'device_fault' && e.fatal) failed = e.job;
      if (failed >= 0) {
        const r = view.regs[view.jobs[failed]!.proc]!;
        if (h.registered[failed] && (r.closing || !r.live)) h.unmapped[failed] = true; // torn down by its owner
      }
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
      } else if (h.registered[k] && (!view.regs[j.proc]!.live || view.regs[j.proc]!.closing)) {
        h.unmapped[k] = true; // its registration was torn down by its owner (even if registered again since)
      }
    });
    return null;
  },
};
