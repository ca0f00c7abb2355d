// runActions, the one executor behind replay, shrinking and the tests' traces: it says how far a trace
// got, so that "no violation" is never read off a trace that stopped at its first step.
import { describe, it, expect } from 'vitest';
import { propertyById } from '../properties/index.ts';
import { runActions } from '../src/run.ts';
import { act, model } from './helpers.ts';

const coherent = [propertyById('coherent-dma')!];

describe('runActions', () => {
  it('replays a whole trace: every action ran, no violation', () => {
    const t = [act('register', 0), act('migrate', 0, 0), act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('invalidate_end', 0)];
    const r = runActions(model('odp-mirror'), t, coherent);
    expect(r).toMatchObject({ violation: null, step: -1, notEnabled: null, ran: t.length });
  });

  it('stops at the violation, counting the action that broke the property', () => {
    const r = runActions(model('pin-longterm'), [act('register', 0), act('gup_fast_recheck', 0), act('munmap', 0, 1), act('invalidate_end', 0)], coherent);
    expect(r.violation?.property).toBe('coherent-dma');
    expect(r.step).toBe(2);
    expect(r.ran).toBe(3);
  });

  it('stops at an action not enabled where it stands, with no violation and the actions before it counted', () => {
    const t = [act('register', 0), act('teleport', 0), act('munmap', 0, 1)];
    const r = runActions(model('pin-longterm'), t, coherent, true);
    expect(r.violation).toBeNull();
    expect(r.notEnabled).toEqual({ index: 1, action: act('teleport', 0) });
    expect(r.ran).toBe(1);
    expect(r.trace.map((s) => s.text)).toEqual(['register(p0)']);
  });
});
