// Process exit (model/exit.ts): exit, exit_mmap with the notifiers' release, the unmap of everything, the
// driver's file released; pins keep frames until the DMA under them lands; the OOM victim's exit.
import { describe, it, expect } from 'vitest';
import { enabled, sameAction } from '../model/model.ts';
import { NONE } from '../model/types.ts';
import { verdictProperties } from '../properties/index.ts';
import { act, advance, holdsOver, model, play, forkCopy } from './helpers.ts';

const safety = verdictProperties.filter((p) => p.kind === 'always');
const offered = (m: ReturnType<typeof model>, s: Parameters<typeof enabled>[1], a: ReturnType<typeof act>) => enabled(m, s).some((e) => sameAction(e, a));

/** odp-mirror: p0's page 0 faulted into the mirror, a DMA of job0 in flight to it. */
const dmaInFlight = [
  act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dma_start', 0),
];

describe('exit (process-exit)', () => {
  it('is offered only in a config that models it, and only while the device holds something of the process', () => {
    const q = model('odp-mirror', 'kernel-queue');
    expect(offered(q, play(q, dmaInFlight).s, act('exit', 0))).toBe(false);
    const m = model('odp-mirror', 'process-exit');
    expect(offered(m, play(m, []).s, act('exit', 0))).toBe(false);
    expect(offered(m, play(m, dmaInFlight).s, act('exit', 0))).toBe(true);
  });

  it('stops the process\'s user space: no access, no submission, no registration once it exits', () => {
    const m = model('odp-mirror', 'process-exit');
    const { s } = play(m, [...dmaInFlight, act('exit', 0)]);
    const user = enabled(m, s).filter((a) => m.kinds.get(a.k)!.actor === 'user');
    expect(user).toEqual([]);
    expect(s.mms[0]!.exiting).toBe(true);
  });

  it('exit_mmap: the release waits for the DMA in flight, then every page is unmapped and freed, the mm dies and the MR is deregistered', () => {
    const m = model('odp-mirror', 'process-exit');
    const { s, events } = play(m, [...dmaInFlight, act('exit', 0), act('exit_mmap', 0), act('inv_lock', 0), act('inv_zap', 0)]);
    expect(events.some((e) => e.t === 'invalidate_start' && e.cause === 'exit' && e.callbacks === 1)).toBe(true);
    // mlx5's callback waits for the fenced UMR: the release cannot return before the DMA lands.
    expect(offered(m, s, act('inv_sync', 0))).toBe(false);
    expect(offered(m, s, act('invalidate_end', 0))).toBe(false);
    const frame = s.jobs[0]!.frame;
    const gen = s.frames[frame]!.gen;
    advance(m, s, act('dma_land', 0));
    advance(m, s, act('inv_sync', 0));
    const end = advance(m, s, act('invalidate_end', 0));
    expect(end.map((e) => e.t)).toContain('exit');
    expect(s.mms[0]!.alive).toBe(false);
    expect(s.mms[0]!.ptes.every((pte) => !pte.mapped && pte.frame === NONE)).toBe(true);
    expect(s.frames[frame]!.free).toBe(true);
    expect(s.frames[frame]!.gen).toBe(gen + 1);
    expect(s.dev.mirror[0]!.every((e) => e.frame === NONE)).toBe(true);
    expect(s.regs[0]!.closing).toBe(true); // exit_files: the uverbs file's release deregisters
    advance(m, s, act('dereg_finish', 0));
    expect(s.regs[0]!.live).toBe(false);
    expect(s.subs[0]!.live).toBe(false);
  });

  it('every safety property holds over the whole exit, with the DMA landing while the release waits', () => {
    const m = model('odp-mirror', 'process-exit');
    holdsOver(m, [...dmaInFlight, act('exit', 0), act('exit_mmap', 0), act('inv_lock', 0), act('inv_zap', 0), act('dma_land', 0), act('inv_sync', 0), act('invalidate_end', 0), act('job_complete', 0), act('dereg_finish', 0)], safety);
  });

  it('a fault after exit began fails with -EFAULT: mmget_not_zero finds no user of the mm', () => {
    const m = model('odp-mirror', 'process-exit');
    const { events } = play(m, [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('exit', 0), act('read_begin', 0), act('range_fault', 0)]);
    expect(events.some((e) => e.t === 'fault_snapshot' && e.result === 'EFAULT')).toBe(true);
  });

  it('a pin keeps the frame past exit_mmap: the DMA under it lands in the same lifetime, and the frame goes with the unpin', () => {
    const m = model('pin-per-job', 'process-exit');
    const { s } = play(m, [act('submit_write', 0, 0), act('gup_fast', 0), act('pin_job', 0), act('dma_start', 0), act('exit', 0), act('exit_mmap', 0), act('invalidate_end', 0)]);
    expect(s.mms[0]!.alive).toBe(false);
    const f = s.jobs[0]!.frame;
    expect(s.frames[f]!.free).toBe(false);
    expect(s.frames[f]!.gen).toBe(s.jobs[0]!.gen);
    advance(m, s, act('dma_land', 0));
    advance(m, s, act('job_complete', 0));
    expect(s.frames[f]!.free).toBe(true);
    // (coherent-dma is the design's known weakness: a pin is not a notifier, its device keeps the page.)
    holdsOver(m, [act('submit_write', 0, 0), act('gup_fast', 0), act('pin_job', 0), act('dma_start', 0), act('exit', 0), act('exit_mmap', 0), act('invalidate_end', 0), act('dma_land', 0), act('job_complete', 0)], safety.filter((p) => p.id !== 'coherent-dma'));
  });

  it('the OOM victim exits after the reaper\'s pass: its mm dies and the memory is short no more', () => {
    const m = model('pin-per-job', 'process-exit');
    // fork shares p0's pages with p1; p0's write copies one: 3 of 5 frames in use, at the watermark.
    const { s } = play(m, [act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('cpu_write', 0, 0), act('invalidate_end', 0), act('oom_kill', 0), act('oom_reap', 0), act('invalidate_end', 0)]);
    expect(s.mms[0]!.oomReaped).toBe(true);
    expect(offered(m, s, act('oom_exit', 0))).toBe(true);
    advance(m, s, act('oom_exit', 0));
    advance(m, s, act('invalidate_end', 0));
    expect(s.mms[0]!.alive).toBe(false);
    expect(s.mms[0]!.oomVictim).toBe(false);
    expect(enabled(m, s).some((a) => a.k === 'oom_kill')).toBe(false);
  });

  it('the OOM victim\'s exit is not work the progress oracle counts on (the reaper exists because it may not come)', () => {
    const m = model('pin-per-job', 'process-exit');
    expect(m.kinds.get('oom_exit')!.starts).toBe(true);
    expect(m.kinds.get('exit_mmap')!.starts).toBeUndefined();
  });
});
