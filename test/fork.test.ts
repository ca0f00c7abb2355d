// fork in steps (model/fork.ts): dup_mmap under the parent's mmap write lock, copy_pte_range page by page
// under mm->write_protect_seq, and gup_fast, the lockless pin that races it (57efa1fe5957).
import { describe, it, expect } from 'vitest';
import { enabled, isEnabled, makeModel } from '../model/model.ts';
import { anyConfigByName } from '../model/configs.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { propertyById } from '../properties/index.ts';
import { NONE } from '../model/types.ts';
import { act, advance, failsAtEnd, forkCopy, holdsOver, model, play } from './helpers.ts';

const noLostWrite = propertyById('no-lost-write')!;
const isolation = propertyById('isolation')!;
const variant = () => makeModel(strategyByName('pin-per-job')!, anyConfigByName('gup-fast-no-seq-check')!);

describe('fork in steps', () => {
  it('copies page by page under the mmap write lock and write_protect_seq; the child runs at invalidate_end', () => {
    const m = model('pin-per-job');
    const { s } = play(m, [act('fork', 0)]);
    // dup_mmap holds the mmap write lock: no mmap or munmap of the parent, no child yet.
    expect(s.mms[1]!.alive).toBe(false);
    expect(isEnabled(m, s, act('munmap', 0, 0))).toBe(false);
    expect(s.mms[0]!.wpSeq).toBe(0); // the copy has not begun
    advance(m, s, act('fork_copy_pte', 0, 0));
    expect(s.mms[0]!.wpSeq & 1, 'raw_write_seqcount_begin').toBe(1);
    expect(s.mms[0]!.ptes[0]!.writable, 'page 0 write-protected').toBe(false);
    expect(s.mms[0]!.ptes[1]!.writable, 'page 1 not yet').toBe(true);
    expect(isEnabled(m, s, act('cpu_write', 0, 0)), 'a write fault on page 0 waits for the mmap lock').toBe(false);
    expect(isEnabled(m, s, act('invalidate_end', 0)), 'the range ends only once every page is copied').toBe(false);
    advance(m, s, act('cpu_write', 0, 1)); // through the still writable PTE: the child will see it
    advance(m, s, act('fork_copy_pte', 0, 1));
    const events = advance(m, s, act('invalidate_end', 0));
    expect(events).toContainEqual({ t: 'fork', parent: 0, child: 1, pinnedPages: 0 });
    expect(s.mms[0]!.wpSeq, 'raw_write_seqcount_end').toBe(2);
    expect(s.mms[1]!.alive).toBe(true);
    expect(s.mms[1]!.ptes.map((p) => p.frame)).toEqual(s.mms[0]!.ptes.map((p) => p.frame));
  });

  it('the parent\'s write during fork, before its page is copied, is what the child reads (no-lost-write follows each page)', () => {
    const m = model('pin-per-job');
    const r = holdsOver(m, [act('fork', 0), act('fork_copy_pte', 0, 0), act('cpu_write', 0, 1), act('fork_copy_pte', 0, 1), act('invalidate_end', 0), act('cpu_read', 1, 1)], [noLostWrite]);
    const w = r.events[2]!.find((e) => e.t === 'cpu_write');
    const rd = r.events[5]!.find((e) => e.t === 'cpu_read');
    expect(rd && rd.t === 'cpu_read' && w && w.t === 'cpu_write' && rd.value === w.value).toBe(true);
  });

  it('mmap waits for fork: a page mapped mid-fork cannot slip into the child outside its range', () => {
    const m = model('pin-per-job');
    const { s } = play(m, [act('munmap', 0, 1), act('invalidate_end', 0), act('fork', 0)]);
    expect(isEnabled(m, s, act('mmap', 0, 1))).toBe(false);
    advance(m, s, act('fork_copy_pte', 0, 0)); // the unmapped page 1 needs no step
    advance(m, s, act('invalidate_end', 0));
    expect(s.mms[1]!.ptes[1]!.mapped).toBe(false);
    expect(isEnabled(m, s, act('mmap', 0, 1))).toBe(true);
  });

  it('copies a pinned page for the child at its page step (copy_present_page), and fails with -ENOMEM when no frame is free', () => {
    const m = model('pin-longterm');
    const { s } = play(m, [act('register', 0), act('fork', 0), act('fork_copy_pte', 0, 0)]);
    expect(s.mms[0]!.ptes[0]!.writable, 'the parent keeps its pinned page, writable').toBe(true);
    expect(s.mms[1]!.ptes[0]!.frame).not.toBe(s.mms[0]!.ptes[0]!.frame);
    // Without a free frame, the fork is torn down: no child, and the parent's frames are its own again.
    const small = makeModel(strategyByName('pin-longterm')!, { ...anyConfigByName('kernel-queue')!, scope: { procs: 2, vpages: 2, frames: 3, jobs: 1, invalidations: 1 } });
    const t = play(small, [act('register', 0), act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0)]).s;
    expect(t.mms[1]!.alive).toBe(false);
    expect(t.forks).toBe(0);
    expect(t.frames.filter((f) => !f.free).length, 'the child\'s copy freed again').toBe(2);
  });
});

describe('gup_fast and mm->write_protect_seq (57efa1fe5957)', () => {
  it('without a fork to come, gup_fast\'s re-check cannot fail and the pin is one step', () => {
    const m = model('pin-per-job');
    const { s } = play(m, [act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0), act('submit', 0, 0), act('cpu_write', 0, 0), act('invalidate_end', 0)]);
    advance(m, s, act('gup_fast', 0));
    expect(s.jobs[0]!.state).toBe('ready');
  });

  it('a pin that raced the copy is dropped at the re-check, and the slow path pins after the fork', () => {
    const m = model('pin-per-job');
    const { s } = play(m, [act('submit_write', 0, 0), act('gup_fast', 0), act('fork', 0)]);
    expect(s.frames[s.mms[0]!.ptes[0]!.frame]!.pincount).toBe(1);
    advance(m, s, act('fork_copy_pte', 0, 0)); // sees the pin: the child gets a copy
    expect(s.mms[1]!.ptes[0]!.frame).not.toBe(s.mms[0]!.ptes[0]!.frame);
    const events = advance(m, s, act('pin_job', 0)); // read_seqcount_retry: the seq moved
    expect(events.some((e) => e.t === 'unpin')).toBe(true);
    expect(s.jobs[0]!.state, 'back to the slow path').toBe('submitted');
    expect(isEnabled(m, s, act('pin_job', 0)), 'the slow path waits for the mmap lock').toBe(false);
    advance(m, s, act('fork_copy_pte', 0, 1));
    advance(m, s, act('invalidate_end', 0));
    holdsOver(m, [
      act('submit_write', 0, 0), act('gup_fast', 0), act('fork', 0), act('fork_copy_pte', 0, 0), act('pin_job', 0), act('fork_copy_pte', 0, 1),
      act('invalidate_end', 0), act('pin_job', 0), act('cpu_write', 0, 0), act('dma_start', 0), act('dma_land', 0), act('cpu_read', 0, 0),
    ], [noLostWrite, isolation]);
  });

  it('gup_fast gives up at once while fork write-protects (the seq is odd): only the kernel without the check pins there', () => {
    const race = [act('submit_write', 0, 0), act('fork', 0), act('fork_copy_pte', 0, 0)];
    const m = model('pin-per-job');
    const { s } = play(m, race);
    expect(enabled(m, s).some((a) => a.k === 'gup_fast')).toBe(false);
    const v = variant();
    const t = play(v, race).s;
    expect(isEnabled(v, t, act('gup_fast', 0))).toBe(true);
    advance(v, t, act('gup_fast', 0));
    expect(t.jobs[0]!.state, 'no re-check to wait for: the job is handed over at once').toBe('ready');
    expect(isEnabled(v, t, act('fork_wrprotect', 0, 0)), 'in the variant the write-protect is a step of its own').toBe(true);
  });

  it('without the check, the pin lands between the pin check and the write-protect; the device writes the child\'s page', () => {
    const trace = [
      act('submit_write', 0, 0), act('fork', 0), act('fork_copy_pte', 0, 0), act('gup_fast', 0), act('fork_wrprotect', 0, 0),
      ...forkCopy(0, '-s'), act('invalidate_end', 0), act('cpu_write', 0, 0), act('invalidate_end', 0), act('dma_start', 0), act('dma_land', 0),
    ];
    const r = failsAtEnd(variant(), trace, [isolation]);
    expect(r.violation).toMatchObject({ property: 'isolation', values: { proc: 0, owner: 1 } });
    expect(r.violation!.values.frame).not.toBe(NONE);
  });
});

describe("pin-longterm's pin_user_pages_fast (ib_umem_get)", () => {
  it('with a fork to come, gup_fast pins the range in the register ioctl and the re-check makes the MR', () => {
    const m = model('pin-longterm');
    const { s } = play(m, [act('register', 0)]);
    expect(s.frames[s.mms[0]!.ptes[0]!.frame]!.pincount, 'gup_fast pinned').toBe(1);
    expect(s.regs[0]!.opening, 'the re-check to come').toBe(true);
    expect(isEnabled(m, s, act('submit', 0, 0)), 'no job before the MR exists').toBe(false);
    advance(m, s, act('gup_fast_recheck', 0));
    expect(s.regs[0]!.opening).toBe(false);
    expect(s.dev.mirror[0]![0]!.frame).toBe(s.mms[0]!.ptes[0]!.frame);
  });

  it('a fork between the pin and the re-check sends the registration to the slow path, which unshares the write-protected pages', () => {
    const m = model('pin-longterm');
    const { s } = play(m, [act('register', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0)]);
    expect(s.mms[1]!.ptes[0]!.frame, 'fork saw the pins: the child got copies').not.toBe(s.mms[0]!.ptes[0]!.frame);
    const events = advance(m, s, act('gup_fast_recheck', 0));
    expect(events.filter((e) => e.t === 'unpin').length, 'gup_fast_unpin_user_pages').toBe(2);
    expect(s.regs[0]!.opening).toBe(true);
    advance(m, s, act('longterm_pin', 0));
    expect(s.regs[0]!.opening).toBe(false);
    holdsOver(m, [
      act('register', 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('gup_fast_recheck', 0), act('longterm_pin', 0),
      act('submit_write', 0, 0), act('dma_start', 0), act('dma_land', 0), act('cpu_read', 0, 0), act('cpu_read', 1, 0),
    ], [noLostWrite, isolation]);
  });

  it('the registration waits for a fork in progress (gup_fast gives up on the odd seq, the slow path takes the mmap lock)', () => {
    const m = model('pin-longterm');
    const { s } = play(m, [act('fork', 0), act('fork_copy_pte', 0, 0)]);
    expect(isEnabled(m, s, act('register', 0))).toBe(false);
  });
});

describe('pin-per-job/gup-fast-without-seq-retry: a lockless pin without the write_protect_seq retry', () => {
  const mutant = () => model('pin-per-job', 'kernel-queue', 'gup-fast-without-seq-retry');
  it('pins while fork write-protects (the seq odd), in one step, and fork\'s check and write-protect become two steps', () => {
    const m = mutant();
    const { s } = play(m, [act('fork', 0), act('fork_copy_pte', 0, 0)]);
    expect(isEnabled(m, s, act('fork_wrprotect', 0, 0)), 'copy_present_pte split where a lockless pin may land between').toBe(true);
    advance(m, s, act('fork_wrprotect', 0, 0));
    advance(m, s, act('submit', 0, 1));
    advance(m, s, act('fork_copy_pte', 0, 1));
    expect(s.mms[0]!.wpSeq & 1).toBe(1);
    advance(m, s, act('gup_fast', 0));
    expect(s.jobs[0]!.state, 'no re-check: handed over at once').toBe('ready');
  });

  it('is killed by isolation: the parent\'s write after fork leaves the GPU reading the child\'s page', () => {
    const trace = [
      act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_wrprotect', 0, 0), act('submit', 0, 1), act('fork_copy_pte', 0, 1), act('gup_fast', 0),
      act('fork_wrprotect', 0, 1), act('invalidate_end', 0), act('dma_start', 0), act('cpu_write', 0, 1), act('invalidate_end', 0), act('dma_land', 0),
    ];
    const r = failsAtEnd(mutant(), trace, [isolation]);
    expect(r.violation).toMatchObject({ property: 'isolation', values: { proc: 0, owner: 1 } });
    const design = model('pin-per-job');
    const design_s = play(design, [act('fork', 0), act('fork_copy_pte', 0, 0), act('submit', 0, 1), act('fork_copy_pte', 0, 1)]).s;
    expect(isEnabled(design, design_s, act('gup_fast', 0)), 'the design\'s gup_fast gives up on the odd seq').toBe(false);
  });
});

describe('pin-longterm\'s register ioctl during a fork (pin_user_pages_fast takes no lock)', () => {
  it('gup_fast pins before copy_page_range raises write_protect_seq, its re-check then sends it to the slow path after the fork; once the seq is odd the registration waits', () => {
    const m = model('pin-longterm', 'kernel-queue');
    const { s } = play(m, [act('fork', 0), act('register', 0)]);
    expect(s.regs[0]!.opening, 'the re-check is to come').toBe(true);
    expect(s.frames[s.mms[0]!.ptes[0]!.frame]!.pincount).toBe(1);
    // copy_present_pte sees the pin: the child gets a copy (70e806e4e645); the re-check sees the seq moved.
    const trace = [act('fork', 0), act('register', 0), ...forkCopy(0, '11'), act('gup_fast_recheck', 0), act('invalidate_end', 0), act('longterm_pin', 0)];
    const end = play(m, trace).s;
    expect(end.regs[0]!.opening).toBe(false);
    expect(end.mms[1]!.ptes[0]!.frame, 'the child has its own copy').not.toBe(end.mms[0]!.ptes[0]!.frame);
    holdsOver(m, [...trace, act('cpu_write', 0, 0), act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0)], [noLostWrite, isolation]);
    // Once copy_page_range began write-protecting, gup_fast gives up and the slow path sleeps on the mmap lock.
    const mid = play(m, [act('fork', 0), act('fork_copy_pte', 0, 0)]).s;
    expect(isEnabled(m, mid, act('register', 0))).toBe(false);
  });

  it('in the kernel variant gup-fast-no-seq-check the pin lands between the copy\'s check and its write-protect, and the parent\'s write leaves the HCA on the child\'s page (isolation)', () => {
    const v = makeModel(strategyByName('pin-longterm')!, anyConfigByName('gup-fast-no-seq-check')!);
    const trace = [
      act('fork', 0), act('fork_copy_pte', 0, 0), act('register', 0), act('fork_wrprotect', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0),
      act('cpu_write', 0, 0), act('invalidate_end', 0), act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0),
    ];
    failsAtEnd(v, trace, [isolation]);
  });
});
