// no-hung-task (properties/hung-task.ts): the kernel's hung-task detector as a liveness property.
import { describe, it, expect } from 'vitest';
import { enabled, init, stepInPlace } from '../model/model.ts';
import type { State } from '../model/types.ts';
import { kernelTasks, kernelTaskWaits, noHungTask } from '../properties/hung-task.ts';
import { oracleFor, viewOf } from '../src/system.ts';
import { act, model, play } from './helpers.ts';

const m = model('odp-mirror', 'kernel-queue');
const judge = (s: State) => noHungTask.check(null, { view: viewOf(m, s), events: [], oracle: oracleFor(m, s) });

describe('no-hung-task', () => {
  it('reads the pending kernel tasks from the view: a device fault, an invalidation', () => {
    const { s } = play(m, [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('migrate', 0, 1)]);
    expect(kernelTasks(viewOf(m, s)).map((t) => t.id)).toEqual(['fault:job0', 'invalidation:0']);
  });

  it('holds along a walk of odp-mirror, whose every task finishes by kernel and hardware steps', () => {
    const s = init(m);
    let x = 11;
    for (let i = 0; i < 150; i++) {
      const acts = enabled(m, s);
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      stepInPlace(m, s, acts[x % acts.length]!);
      expect(judge(s)).toBeNull();
    }
  });

  it('names a fault that sleeps in mmu_interval_read_begin for an invalidate_range_end no path will call', () => {
    const { s } = play(m, [act('register', 0), act('submit', 0, 0), act('dma_start', 0)]);
    // The state refused-start-not-undone leaves behind: the range counted active, the seq odd, no invalidation.
    s.mms[0]!.active = 1;
    s.mms[0]!.seq |= 1;
    s.subs[0]!.seq = s.mms[0]!.seq;
    const v = judge(s);
    expect(v?.clause).toBe('task-hung');
    expect(v?.values.task).toBe('fault:job0');
    expect(v?.message).toContain('mmu_interval_read_begin sleeps for an invalidate_range_end that no path will call');
  });

  it('its premise is a kernel task waiting for an invalidation of its process', () => {
    const w = (s: State) => kernelTaskWaits.check(null, { view: viewOf(m, s), events: [], oracle: oracleFor(m, s) });
    expect(w(play(m, [act('register', 0), act('submit', 0, 0), act('dma_start', 0)]).s)).toBeNull();
    expect(w(play(m, [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('migrate', 0, 0)]).s)?.values.task).toBe('fault:job0');
  });
});
