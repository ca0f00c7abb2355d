// no-hung-task (properties/hung-task.ts): the kernel's hung-task detector as a liveness property.
import { describe, it, expect } from 'vitest';
import { enabled, init, stepInPlace } from '../model/model.ts';
import type { State } from '../model/types.ts';
import { kernelTasks, kernelTaskWaits, noHungTask } from '../properties/hung-task.ts';
import { oracleFor, viewOf } from '../src/system.ts';
import { act, model, play } from './helpers.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import { makeModel } from '../model/model.ts';
import { verdictProperties } from '../properties/index.ts';
import { premisesOf, expectedVerdict, killMutant, loadManifest } from '../src/verdicts.ts';
import { checkModel } from '../src/check.ts';
import { suiteBudget } from './budget.ts';

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

  it('judges a system call that waits for work only its user space completes as user space\'s wait: a deregistration behind a user-queue job', () => {
    const uq = model('queue-preempt', 'user-queue');
    const { s } = play(uq, [act('register', 0), act('submit_write', 0, 0), act('deregister', 0)]);
    const v = viewOf(uq, s);
    const t = kernelTasks(v).find((x) => x.id === 'deregistration:p0')!;
    expect(t.syscall).toBe(true);
    // Kernel and hardware steps alone cannot end it (the job's fence is user space's) ...
    expect(oracleFor(uq, s).reach(t.done, Infinity, ['kernel', 'hardware'])).toBe(false);
    // ... but the wait is user space's, so it is not a hung task.
    expect(noHungTask.check(null, { view: v, events: [], oracle: oracleFor(uq, s) })).toBeNull();
  });

  it('kills queue-preempt / restore-not-requeued, which no other property the design holds kills, in a short counterexample naming the restore worker', () => {
    const man = loadManifest();
    const k = killMutant(strategyByName('queue-preempt')!, 'restore-not-requeued', suiteBudget, man);
    expect(k?.failure.property).toBe('no-hung-task');
    expect(k!.failure.actions.length).toBeLessThanOrEqual(5);
    expect(k!.failure.violation.values.task).toBe('restore:p0');
    expect(k!.failure.violation.message).toContain('restore worker (restore_process_worker)');
    // Every other property the design holds in that config holds on the mutant too (the same budget).
    const cfg = configByName(k!.model.cfg.name)!;
    const others = verdictProperties.filter((p) => p.id !== 'no-hung-task' && expectedVerdict(man, 'queue-preempt', cfg.name, p.id) !== 'fails');
    const r = checkModel(makeModel(strategyByName('queue-preempt')!, cfg, 'restore-not-requeued'), [...others, ...premisesOf(others)], { ...suiteBudget, runs: 300 }, true);
    expect(r.failures.map((f) => f.property)).toEqual([]);
  });
});
