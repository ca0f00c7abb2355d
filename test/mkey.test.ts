// An ODP MR's memory key as a kernel object with a lifetime (model/mkey.ts, odp-mirror): a page fault
// holds the key's usecount for the whole fault; deregistration revokes the key, waits for the usecount
// to drain, then frees the MR; the mutant dereg-without-deref-wait frees it under a running handler.
import { describe, it, expect } from 'vitest';
import { enabled, sameAction } from '../model/model.ts';
import { waitsOf } from '../model/waits.ts';
import { describeWait } from '../model/waits.ts';
import { noKernelUseAfterFree } from '../properties/no-kernel-use-after-free.ts';
import { noHungTask } from '../properties/hung-task.ts';
import { witnessById } from '../properties/witnesses.ts';
import { act, advance, failsAtEnd, holdsOver, model, play } from './helpers.ts';

const offered = (m: ReturnType<typeof model>, s: Parameters<typeof enabled>[1], a: ReturnType<typeof act>) => enabled(m, s).some((e) => sameAction(e, a));

/** p0's MR registered, job0 submitted, the NIC faults on v0: the page-fault handler holds the key. */
const faulting = [act('register', 0), act('submit', 0, 0), act('dma_start', 0)];
/** The rest of that fault: read_begin, hmm_range_fault, umem_mutex + read_retry + UMR. */
const faultRest = [act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0)];

describe("an ODP MR's memory key (odp-mirror)", () => {
  it('is stored at registration with the xarray\'s reference, and a page fault takes one more for the whole fault', () => {
    const m = model('odp-mirror');
    const { s, events } = play(m, faulting);
    expect(s.regs[0]!.mkey).toEqual({ stored: true, usecount: 2, freed: false });
    expect(events).toContainEqual({ t: 'mkey', op: 'get', proc: 0, job: 0, usecount: 2 });
    advance(m, s, faultRest[0]!);
    advance(m, s, faultRest[1]!);
    expect(s.regs[0]!.mkey!.usecount).toBe(2); // still held across hmm_range_fault
    const end = advance(m, s, faultRest[2]!);
    expect(end).toContainEqual({ t: 'mkey', op: 'put', proc: 0, job: 0, usecount: 1 });
    expect(s.jobs[0]!.state).toBe('ready');
  });

  it('deregistration revokes the key, then waits for the handler that holds it before it frees the MR', () => {
    const m = model('odp-mirror');
    const { s, events } = play(m, [...faulting, act('deregister', 0)]);
    expect(events).toContainEqual({ t: 'mkey', op: 'erase', proc: 0, job: -1, usecount: 1 });
    expect(s.regs[0]!.mkey).toEqual({ stored: false, usecount: 1, freed: false });
    expect(offered(m, s, act('dereg_finish', 0))).toBe(false);
    // The wait is one the liveness properties see: the deregistration on the key's usecount.
    const ws = waitsOf(m.strategy, s, { cfg: m.cfg, mutant: null, emit: () => {} });
    const w = ws.find((x) => x.id === 'dereg:0');
    expect(w?.on.map((o) => o.target)).toEqual([{ k: 'mkey-usecount', proc: 0, handlers: 1 }]);
    expect(describeWait(ws, 'dereg:0')).toMatch(/usecount of p0's mkey \(1 page-fault handler/);
    // The handler finishes (it programs the still-existing mkey and resumes the QP), then the MR goes.
    for (const a of faultRest) advance(m, s, a);
    expect(s.regs[0]!.mkey!.usecount).toBe(0);
    const fin = advance(m, s, act('dereg_finish', 0));
    expect(fin).toContainEqual({ t: 'mr_free', proc: 0, usecount: 0 });
    expect(s.regs[0]!.live).toBe(false);
    expect(s.jobs[0]!.state).toBe('failed'); // queued on the destroyed key: completes in error
  });

  it('a fault after the key was revoked finds nothing in odp_mkeys: the job fails with -EFAULT, no handler runs', () => {
    const m = model('odp-mirror');
    const { s, events } = play(m, [act('register', 0), act('submit', 0, 0), act('deregister', 0), act('dma_start', 0)]);
    expect(events).toContainEqual({ t: 'mkey', op: 'miss', proc: 0, job: 0, usecount: 0 });
    expect(events.find((e) => e.t === 'job_error')).toMatchObject({ job: 0, errno: 'EFAULT', from: 'driver', cause: 'deregistered' });
    expect(s.jobs[0]!.state).toBe('failed');
    expect(offered(m, s, act('read_begin', 0))).toBe(false);
    expect(offered(m, s, act('dereg_finish', 0))).toBe(true);
  });

  it('a handler whose hmm_range_fault fails drops the key too', () => {
    const m = model('odp-mirror');
    // munmap of v0 while the fault has its seq: hmm_range_fault on the detached VMA fails with -EFAULT.
    const { s, events } = play(m, [...faulting, act('read_begin', 0), act('munmap', 0, 0), act('range_fault', 0)]);
    expect(events.some((e) => e.t === 'job_error' && e.errno === 'EFAULT' && e.from === 'hmm_range_fault')).toBe(true);
    expect(events).toContainEqual({ t: 'mkey', op: 'put', proc: 0, job: 0, usecount: 1 });
    expect(s.regs[0]!.mkey!.usecount).toBe(1);
  });

  it('no-kernel-use-after-free holds over the correct deregistration during a fault, and no-hung-task: the wait ends by kernel steps', () => {
    const m = model('odp-mirror');
    holdsOver(m, [...faulting, act('deregister', 0), ...faultRest, act('dereg_finish', 0)], [noKernelUseAfterFree, noHungTask]);
  });

  it("the mutant dereg-without-deref-wait frees the MR under the running handler: no-kernel-use-after-free's MR clause", () => {
    const mu = model('odp-mirror', 'kernel-queue', 'dereg-without-deref-wait');
    const r = failsAtEnd(mu, [...faulting, act('deregister', 0), act('dereg_finish', 0)], [noKernelUseAfterFree]);
    expect(r.violation).toMatchObject({ clause: 'mr-freed-while-key-held', values: { proc: 0, usecount: 1 } });
    // Its premise and the race's witness are both reached there.
    const trace = [...faulting, act('deregister', 0), act('dereg_finish', 0)];
    const w = runWitnesses(mu, trace);
    expect(w).toEqual(expect.arrayContaining(['sometimes-kernel-object-freed', 'sometimes-dereg-during-fault']));
  });

  it('only designs with a key have one: the other strategies\' registrations carry no mkey', () => {
    for (const name of ['mirror-blocking-notifier', 'pin-longterm', 'dmirror']) {
      const { s } = play(model(name), []);
      expect(s.regs.every((r) => r.mkey === undefined)).toBe(true);
    }
  });
});

function runWitnesses(m: ReturnType<typeof model>, trace: ReturnType<typeof act>[]): string[] {
  const ids = ['sometimes-kernel-object-freed', 'sometimes-dereg-during-fault'];
  const { events } = play(m, trace);
  return ids.filter((id) => {
    const w = witnessById(id)!;
    return w.check(null, { view: null as never, events, oracle: null as never }) !== null;
  });
}
