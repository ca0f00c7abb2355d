import type { Property } from './types.ts';
import { violation } from './types.ts';

/** A device that cannot recover from page faults never touches an unmapped page while a job runs. */
export const noFatalDeviceFault: Property<null> = {
  id: 'no-fatal-device-fault',
  kind: 'always',
  meaning: 'a device that cannot recover from page faults never touches a page its page table does not map while a job runs',
  init: () => null,
  check(_m, { events }) {
    for (const e of events) {
      if (e.t === 'device_fault' && e.fatal) {
        return violation(this.id, 'fatal-fault', `job ${e.job} of p${e.proc} touched v${e.vpage}, which the device does not map, on a device that cannot fault`, {
          job: e.job, proc: e.proc, vpage: e.vpage,
        });
      }
    }
    return null;
  },
};
