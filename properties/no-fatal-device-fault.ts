import type { Property } from './types.ts';
import { violation } from './types.ts';

/**
 * Per job slot: whether it was seen live; whether its process had a live registration then; and whether
 * that registration has since been torn down (deregistered, or being deregistered), even if the process
 * registered again.
 */
export interface JobRegistration {
  seen: boolean[];
  registered: boolean[];
  lost: boolean[];
}

/**
 * A device that cannot recover from page faults never touches a page its page table does not map while
 * a job runs, as long as user space kept its side: the job's page is still mapped as it was when the job
 * was submitted, and, for a job submitted under a registration (an MR, a userptr), that registration is
 * still live, not being torn down, and covers the page as it is mapped now. A job on a page user space
 * unmapped, mapped after registering, or whose MR it deregistered, is user space's bug, not the driver's.
 * Premise: a device that cannot recover from page faults touches memory for a job: a device that recovers
 * (ODP) never faults fatally, whatever the driver does.
 */
export const noFatalDeviceFault: Property<JobRegistration> = {
  id: 'no-fatal-device-fault',
  kind: 'always',
  premise: 'sometimes-unrecoverable-dma',
  byJob: ['seen', 'registered', 'lost'],
  byInv: [],
  meaning: 'a device that cannot recover from page faults never touches a page its page table does not map while a job runs on memory user space keeps mapped and registered',
  init(view) {
    const no = () => view.jobs.map(() => false);
    return { seen: no(), registered: no(), lost: no() };
  },
  check(h, { events, view }) {
    for (const e of events) {
      if (e.t !== 'device_fault' || !e.fatal) continue;
      const pte = view.mms[e.proc]!.ptes[e.vpage]!;
      const job = view.jobs[e.job]!;
      const reg = view.regs[e.proc]!;
      // A deregistered (or deregistering) MR is not registered: only a job whose registration is still
      // the one it was submitted under, covering this mapping, counts.
      const stillRegistered = !h.lost[e.job] && reg.live && !reg.closing && reg.epochs[e.vpage] === pte.epoch;
      const userKept = pte.mapped && pte.epoch === job.mapEpoch && (!h.registered[e.job] || stillRegistered);
      if (!userKept) continue;
      const held = h.registered[e.job] ? 'the page is mapped as at submission and its registration is live' : 'the page is mapped as at submission';
      return violation(this.id, 'fatal-fault', `job ${e.job} of p${e.proc} touched v${e.vpage}, which the device does not map, on a device that cannot fault (${held})`, {
        job: e.job, proc: e.proc, vpage: e.vpage, registered: h.registered[e.job]!,
      });
    }
    view.jobs.forEach((j, k) => {
      const r = view.regs[j.proc]!;
      if (j.state === 'free') h.seen[k] = h.registered[k] = h.lost[k] = false;
      else if (!h.seen[k]) {
        h.seen[k] = true;
        h.registered[k] = r.live;
      } else if (h.registered[k] && (!r.live || r.closing)) h.lost[k] = true;
    });
    return null;
  },
};
