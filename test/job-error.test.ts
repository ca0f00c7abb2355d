// A failed job keeps its error as state (model/job-error.ts, Job.error): the errno, the layer that gave it
// and why, readable by properties (through the view) and explanations until the job completes.
import { describe, it, expect } from 'vitest';
import { act, advance, model, play } from './helpers.ts';
import { explainTrace } from '../src/explain/index.ts';

describe('the errno kept in the job', () => {
  it('pin_user_pages of an unmapped page: the job holds -EFAULT from GUP until it completes, and the slot is clean after', () => {
    const m = model('pin-per-job');
    const { s } = play(m, [act('submit', 0, 0), act('munmap', 0, 0), act('invalidate_end', 0)]);
    expect(s.jobs[0]!.error).toEqual({ errno: null, from: null, cause: null });
    const events = advance(m, s, act('pin_job', 0));
    expect(s.jobs[0]!.state).toBe('failed');
    expect(s.jobs[0]!.error).toEqual({ errno: 'EFAULT', from: 'gup', cause: 'not-mapped' });
    // The event says the same at the step; the state keeps it for later steps.
    expect(events.find((e) => e.t === 'job_error')).toMatchObject({ errno: 'EFAULT', from: 'gup', cause: 'not-mapped' });
    advance(m, s, act('job_complete', 0));
    expect(s.jobs[0]!.error).toEqual({ errno: null, from: null, cause: null });
  });

  it('a fatal device fault and a job flushed by deregistration keep their errno too', () => {
    // A GPU that cannot fault, whose page table was unmapped under a queued job (a mutant's bug, the model's way to reach it).
    const gpu = model('mirror-blocking-notifier', 'kernel-queue', 'unmap-without-wait');
    const a = play(gpu, [
      act('register', 0), act('submit_write', 0, 1), act('read_begin', 0), act('range_fault', 0), act('migrate', 0, 1), act('fault_commit', 0), act('cb_begin', 0),
      act('cb_unmap', 0), act('dma_start', 0),
    ]).s;
    expect(a.jobs[0]!).toMatchObject({ state: 'failed', error: { errno: 'EFAULT', from: 'device', cause: 'not-mapped' } });
    const odp = model('odp-mirror');
    const b = play(odp, [act('register', 0), act('submit', 0, 0), act('deregister', 0), act('dereg_finish', 0)]).s;
    expect(b.jobs[0]!).toMatchObject({ state: 'failed', error: { errno: 'ECANCELED', from: 'driver', cause: 'deregistered' } });
  });

  it('the explanation of the step names the errno', () => {
    const m = model('pin-per-job');
    const x = explainTrace(m, [act('submit', 0, 0), act('munmap', 0, 0), act('invalidate_end', 0), act('pin_job', 0)], []);
    const texts = x.steps.at(-1)!.effects.map((e) => e.text);
    expect(texts.some((t) => t.includes('-> failed (-EFAULT from gup: not-mapped)'))).toBe(true);
  });
});
