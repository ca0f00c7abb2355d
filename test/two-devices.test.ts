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
      expect(['submit1', 'submit1_write', 'dmirror_migrate1', 'dmirror_exclusive1'].map((k) => m.kinds.has(k)), c.name).toEqual([two, two, two, two]);
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

  it('HMM_DMIRROR_EXCLUSIVE on device 1: its make_device_exclusive erases device 0\'s translation, device 1 maps the page for atomics; device 0\'s hmm_range_fault faults the entry back, revoking device 1\'s access', () => {
    const sc = scenario();
    const procs = sc.s.mms.length;
    sc.step('register', 0);
    const w = sc.cpuWrite(0, 0);
    sc.submit('r0', 0, 0);
    sc.settle();
    expect(sc.s.dev.mirror[0]![0]!.frame, 'device 0 mirrors v0').toBe(sc.s.mms[0]!.ptes[0]!.frame);
    const made = sc.step('dmirror_exclusive1', 0, 0).find((e) => e.t === 'invalidate_start');
    expect(made && made.t === 'invalidate_start' ? made.cause : null, 'MMU_NOTIFY_EXCLUSIVE').toBe('exclusive');
    const inv = sc.s.invs.findIndex((i) => i.live);
    expect([sc.s.invs[inv]!.cb[0], sc.s.invs[inv]!.cb[procs]], "neither dmirror skips it (each skips only its own migrations)").toEqual([0, 0]);
    sc.settle();
    const pte = sc.s.mms[0]!.ptes[0]!;
    expect(pte.exclusive, "device 1's device-exclusive entry").toBe(DEV1);
    expect(sc.s.dev.mirror[0]![0]!.frame, "device 0's translation erased by the make's invalidation").toBe(NONE);
    expect(sc.s.dev1!.mirror[0]![0]!.frame, 'device 1 maps it for atomics (dmirror_atomic_map)').toBe(pte.frame);
    // Device 1 reads through its atomic mapping, without a fault.
    sc.submit('r1', 0, 0, false, 1);
    sc.settle();
    expect([sc.deviceRead('r1'), sc.faults('r1')]).toEqual([w, 0]);
    // Device 0 reads: hmm_range_fault meets the device-exclusive entry (hmm_vma_handle_pte: fault), and
    // handle_mm_fault -> do_swap_page -> remove_device_exclusive_entry restores it with an invalidation
    // that has no owner: device 1's callback runs and erases its atomic mapping.
    sc.submit('again0', 0, 0);
    sc.settle();
    expect(sc.deviceRead('again0'), 'device 0 reads the data').toBe(w);
    const restore = sc.events('invalidate_start').filter((e) => e.cause === 'exclusive' && e.owner === NONE);
    expect(restore.length, 'one restore, with no owner').toBe(1);
    expect(pte.exclusive, 'the entry restored').toBe(NONE);
    expect(sc.s.dev1!.mirror[0]![0]!.frame, "device 1's atomic access revoked").toBe(NONE);
    expect(sc.s.dev.mirror[0]![0]!.frame, 'device 0 mirrors the page again').toBe(pte.frame);
  });

  it("a CPU access to device 1's device-exclusive entry restores it: device 1's callback runs and revokes its atomic mapping", () => {
    const sc = scenario();
    sc.step('register', 0);
    const w = sc.cpuWrite(0, 0);
    sc.step('dmirror_exclusive1', 0, 0);
    sc.settle();
    expect(sc.s.dev1!.mirror[0]![0]!.frame).toBe(sc.s.mms[0]!.ptes[0]!.frame);
    expect(sc.can('cpu_read', 0, 0), 'the CPU access faults first').toBe(false);
    sc.step('cpu_fault_exclusive', 0, 0);
    const inv = sc.s.invs.findIndex((i) => i.live);
    expect(sc.can('dmirror_invalidate', inv, DEV1), "device 1's callback is owed").toBe(true);
    sc.settle();
    expect(sc.s.dev1!.mirror[0]![0]!.frame, 'HMM_DMIRROR_CHECK_EXCLUSIVE on device 1: revoked').toBe(NONE);
    expect(sc.cpuRead(0, 0)).toBe(w);
  });
});
