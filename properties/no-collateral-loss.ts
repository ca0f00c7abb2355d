import type { Property } from './types.ts';
import { violation } from './types.ts';

/**
 * Capability: evicting one process's memory costs no other process its work. The eviction may delay the
 * evicted process (its queues preempted until the restore), but a job of another process never fails
 * because of it. amdkfd bounds the preemption by queue_preemption_timeout_ms; when it expires,
 * kfd_hws_hang resets the GPU (amdgpu_device_gpu_recover) and every process's queued work on it is lost:
 * that cost is what this column shows, in the configs where a preemption may time out.
 * Premise: an invalidate callback waits for a process's queues to be preempted while another process has
 * work queued on the device.
 */
export const noCollateralLoss: Property<null> = {
  id: 'no-collateral-loss',
  kind: 'always',
  capability: true,
  premise: 'sometimes-eviction-beside-other-work',
  meaning: 'evicting one process\'s memory never costs another process its queued work (a GPU reset after a preemption timeout loses it)',
  init: () => null,
  check(_m, { view, events }) {
    const reset = events.find((e) => e.t === 'gpu_reset');
    if (!reset || reset.t !== 'gpu_reset') return null;
    for (const e of events) {
      if (e.t !== 'job_error' || e.cause !== 'gpu-reset') continue;
      const proc = view.jobs[e.job]!.proc;
      if (proc === reset.proc) continue;
      return violation(this.id, 'collateral', `the preemption of p${reset.proc}'s queues timed out and the GPU was reset: job ${e.job} of p${proc}, which had nothing to do with the eviction, was lost`, {
        evicted: reset.proc, job: e.job, proc, lost: reset.lost,
      });
    }
    return null;
  },
};
