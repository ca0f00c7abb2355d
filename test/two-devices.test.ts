// Two mirroring devices (config two-devices, Config.mirrors: lib/test_hmm.c's dmirror devices 0 and 1 as
// the hmm2 fixture opens them): each device its own page table, notifier, mutex and device-private pool,
// and the rest of the model as before where a config has one device. The hmm2 self-tests themselves are
// in test/hmm-selftests.test.ts.
import { describe, it, expect } from 'vitest';
import { configByName, configs } from '../model/configs.ts';
import { init, makeModel } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { CB_RETURNED, DEV, DEV1, NONE } from '../model/types.ts';
import { heldProperties, loadManifest } from '../src/verdicts.ts';
import { defaultBudget } from '../src/check.ts';
import { Scenario } from './hmm-scenario.ts';

const dmirror = strategyByName('dmirror')!;
const cfg = configByName('two-devices')!;

function scenario(): Scenario {
  return new Scenario('dmirror', cfg, heldProperties(dmirror, cfg, defaultBudget, loadManifest()));
}

describe('two mirroring devices (two-devices)', () => {
  it('only the config with two devices has the second device: the others keep their state shape and action kinds', () => {
    for (const c of configs.filter((x) => dmirror.configs.includes(x.name))) {
      const m = makeModel(dmirror, c);
      const s = init(m);
      const two = c.mirrors === 2;
      expect(s.dev1 !== undefined, c.name).toBe(two);
      expect(s.jobs.every((j) => 'dev' in j), c.name).toBe(two);
      expect(['submit1', 'submit1_write', 'dmirror_migrate1'].map((k) => m.kinds.has(k)), c.name).toEqual([two, two, two]);
    }
  });

  it('each device has its own device-private pool (its own pgmap->owner) and its own notifier', () => {
    const sc = scenario();
    const owners = sc.s.frames.filter((f) => f.kind === 'device-private').map((f) => f.owner);
    expect(owners.sort()).toEqual([DEV, DEV1]);
    sc.step('register', 0);
    const procs = sc.s.mms.length;
    expect([sc.s.subs[0]!.live, sc.s.subs[procs]!.live]).toEqual([true, true]);
  });

  it('a migration to one device skips only that device\'s callback (range->owner == dmirror->mdevice); the other device\'s runs and erases its translation', () => {
    const sc = scenario();
    const procs = sc.s.mms.length;
    sc.step('register', 0);
    sc.submit('r', 0, 0, false, 1);
    sc.settle();
    expect(sc.s.dev1!.mirror[0]![0]!.frame, 'device 1 mirrors v0').toBe(sc.s.mms[0]!.ptes[0]!.frame);
    sc.step('dmirror_migrate', 0, 0);
    const inv = sc.s.invs.findIndex((i) => i.live);
    expect(sc.s.invs[inv]!.cb[0], "device 0's own migration: its callback returned at once").toBe(CB_RETURNED);
    expect(sc.s.invs[inv]!.cb[procs], "device 1's callback is owed").toBe(0);
    expect(sc.can('dmirror_invalidate', inv, DEV1)).toBe(true);
    sc.settle();
    expect(sc.s.dev1!.mirror[0]![0]!.frame, "device 1's translation erased").toBe(NONE);
    expect(sc.s.frames[sc.s.mms[0]!.ptes[0]!.frame]!.owner, "the page in device 0's memory").toBe(DEV);
  });

  it('each dmirror has its own mutex: a device 1 access in flight holds up device 1\'s callback, not device 0\'s', () => {
    const sc = scenario();
    sc.step('register', 0);
    sc.submit('r0', 0, 0);
    sc.settle();
    sc.submit('r1', 0, 0, false, 1);
    // Device 1's read: its fault, then the DMA in flight (dmirror_do_read holds device 1's dmirror->mutex).
    for (const k of ['dma_start', 'read_begin', 'range_fault', 'fault_commit', 'dma_start']) sc.step(k, 0);
    expect(sc.s.jobs[sc.job('r1')]!.state).toBe('running');
    sc.step('migrate', 0, 0);
    const inv = sc.s.invs.findIndex((i) => i.live);
    expect(sc.can('dmirror_invalidate', inv), "device 0's callback takes its own mutex").toBe(true);
    expect(sc.can('dmirror_invalidate', inv, DEV1), "device 1's waits for its access").toBe(false);
    sc.step('dma_land', sc.job('r1'));
    expect(sc.can('dmirror_invalidate', inv, DEV1)).toBe(true);
  });
});
