import type { Property } from './types.ts';
import { violation } from './types.ts';

/**
 * A device that cannot recover from page faults never touches a page its page table does not map while
 * a job runs, as long as user space kept its side: the job's page is still mapped as it was when the job
 * was submitted, and (where the design registers memory) as it was when it was registered. A job on a
 * page user space unmapped, or mapped after registering, is user space's bug, not the driver's.
 * Premise: a device that cannot recover from page faults touches memory for a job: a device that recovers
 * (ODP) never faults fatally, whatever the driver does.
 */
export const noFatalDeviceFault: Property<null> = {
  id: 'no-fatal-device-fault',
  kind: 'always',
  premise: 'sometimes-unrecoverable-dma',
  meaning: 'a device that cannot recover from page faults never touches a page its page table does not map while a job runs on memory user space keeps mapped and registered',
  init: () => null,
  check(_m, { events, view }) {
    for (const e of events) {
      if (e.t !== 'device_fault' || !e.fatal) continue;
      const pte = view.mms[e.proc]!.ptes[e.vpage]!;
      const job = view.jobs[e.job]!;
      const reg = view.regs[e.proc]!;
      const userKept = pte.mapped && pte.epoch === job.mapEpoch && (!reg.live || reg.epochs[e.vpage] === pte.epoch);
      if (!userKept) continue;
      return violation(this.id, 'fatal-fault', `job ${e.job} of p${e.proc} touched v${e.vpage}, which the device does not map, on a device that cannot fault (the page is mapped and registered)`, {
        job: e.job, proc: e.proc, vpage: e.vpage,
      });
    }
    return null;
  },
};
