// VMA permissions and mprotect (model/mprotect.ts), hmm_range_fault's -EFAULT / -EPERM and GUP's refusal
// (model/mm.ts hmmVmaCheck, gupCheckVmaFlags), the job's structured error, and the property
// respects-protection, driven step by step in the `mprotect` config.
import { describe, it, expect } from 'vitest';
import { configByName, configs } from '../model/configs.ts';
import { strategies } from '../model/strategies/index.ts';
import { makeModel } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { VM_READ, VM_RW } from '../model/types.ts';
import { propertyById } from '../properties/index.ts';
import { Scenario } from './hmm-scenario.ts';
import { expectedVerdict, loadManifest } from '../src/verdicts.ts';
import { act, failsAtEnd, model } from './helpers.ts';

const props = ['respects-protection', 'coherent-dma', 'no-dma-after-free', 'no-lost-write'].map((id) => propertyById(id)!);
const scenario = (strategy: string, mutant: string | null = null) => new Scenario(strategy, 'mprotect', props, mutant);

describe('mprotect (mprotect_fixup, change_protection with MMU_NOTIFY_PROTECTION_VMA)', () => {
  it('only the mprotect config has the actions, so the other configs explore as before', () => {
    for (const c of configs) {
      const m = makeModel(strategyByName('odp-mirror')!, c);
      expect(m.kinds.has('mprotect_read'), c.name).toBe(c.name === 'mprotect');
    }
  });

  it('changes the VMA at once, then invalidates the page without moving it; the PTE is write-protected at the end', () => {
    const sc = scenario('odp-mirror');
    const f = sc.s.mms[0]!.ptes[0]!.frame;
    const ev = sc.step('mprotect_read', 0, 0);
    expect(sc.s.mms[0]!.ptes[0]!.prot).toBe(VM_READ);
    const start = ev.find((e) => e.t === 'invalidate_start');
    expect(start && start.t === 'invalidate_start' ? start.cause : null).toBe('mprotect');
    // The mmap write lock is held: CPU faults wait, a second mprotect too.
    expect(sc.can('mprotect_none', 0, 0)).toBe(false);
    sc.settle();
    const pte = sc.s.mms[0]!.ptes[0]!;
    expect({ frame: pte.frame, writable: pte.writable, prot: pte.prot }).toEqual({ frame: f, writable: false, prot: VM_READ });
    const end = sc.events('invalidate_end').at(-1)!;
    expect({ cause: end.cause, changed: end.changed }).toEqual({ cause: 'mprotect', changed: true });
  });

  it('a CPU access the VMA does not allow faults (not enabled): no store to PROT_READ, nothing to PROT_NONE', () => {
    const sc = scenario('odp-mirror');
    sc.step('mprotect_read', 0, 0);
    sc.settle();
    expect(sc.can('cpu_write', 0, 0)).toBe(false);
    expect(sc.can('cpu_read', 0, 0)).toBe(true);
    expect(sc.can('cpu_write', 0, 1), 'page 1 keeps its protection').toBe(true);
    sc.step('mprotect_none', 0, 0);
    sc.settle();
    expect(sc.can('cpu_read', 0, 0)).toBe(false);
    sc.step('mprotect_rw', 0, 0);
    sc.settle();
    // Writable again: an exclusive anonymous page gets its write bit back at once (can_change_pte_writable).
    expect(sc.s.mms[0]!.ptes[0]!.writable).toBe(true);
    const v = sc.cpuWrite(0, 0);
    expect(sc.cpuRead(0, 0)).toBe(v);
    expect(sc.s.mms[0]!.ptes[0]!.prot).toBe(VM_RW);
  });

  it('hmm_range_fault: -EPERM for a write to a PROT_READ VMA, -EFAULT for any access to PROT_NONE; the job fails, no DMA', () => {
    const sc = scenario('odp-mirror');
    sc.step('register', 0);
    sc.step('mprotect_read', 0, 0);
    sc.settle();
    sc.submit('w', 0, 0, true);
    sc.settle();
    expect(sc.landed('w')).toBe(false);
    const err = sc.events('job_error').at(-1)!;
    expect({ errno: err.errno, from: err.from, cause: err.cause }).toEqual({ errno: 'EPERM', from: 'hmm_range_fault', cause: 'protection' });
    sc.submit('r', 0, 0);
    sc.settle();
    expect(sc.deviceRead('r'), 'a read of a PROT_READ page is allowed').toBe(0);
    sc.step('mprotect_none', 0, 0);
    sc.settle();
    expect(sc.s.dev.mirror[0]![0]!.frame, 'the callback zapped the translation').toBe(-1);
    sc.submit('r2', 0, 0);
    sc.settle();
    expect(sc.landed('r2')).toBe(false);
    expect(sc.errno('r2')).toBe('EFAULT');
    expect(sc.events('job_error').at(-1)!.cause).toBe('protection');
  });

  it('GUP: pin_user_pages(FOLL_WRITE) of a PROT_READ VMA is -EFAULT (check_vma_flags); a read pin is allowed', () => {
    const sc = scenario('pin-per-job');
    sc.step('mprotect_read', 0, 0);
    sc.settle();
    sc.submit('w', 0, 0, true);
    sc.settle();
    expect(sc.landed('w')).toBe(false);
    const err = sc.events('job_error').at(-1)!;
    expect({ errno: err.errno, from: err.from, cause: err.cause }).toEqual({ errno: 'EFAULT', from: 'gup', cause: 'protection' });
    sc.submit('r', 0, 0);
    sc.settle();
    expect(sc.deviceRead('r')).toBe(0);
    expect(sc.s.mms[0]!.ptes[0]!.writable, 'the read pin left the PTE read-only').toBe(false);
  });

  it('mprotect waits for the mmap read lock a driver ioctl holds across steps (make_device_exclusive to dmirror_atomic_map)', () => {
    const sc = scenario('dmirror');
    sc.step('register', 0);
    sc.step('dmirror_exclusive', 0, 0);
    expect(sc.can('mprotect_read', 0, 0)).toBe(false);
    sc.settle();
    expect(sc.can('mprotect_read', 0, 0)).toBe(true);
  });

  it('a read pin of a PROT_READ page, then mprotect(PROT_READ | PROT_WRITE): the exclusive page becomes writable, and a CPU store does not copy it away from the pin', () => {
    const m = model('pin-per-job', 'mprotect');
    const sc = scenario('pin-per-job');
    sc.step('submit', 0, 0);
    sc.step('mprotect_read', 0, 0);
    sc.step('invalidate_end', 0);
    sc.step('pin_job', 0);
    sc.step('dma_start', 0);
    expect(sc.s.frames[sc.s.mms[0]!.ptes[0]!.frame]!.pincount).toBe(1);
    const f = sc.s.mms[0]!.ptes[0]!.frame;
    sc.step('mprotect_rw', 0, 0);
    sc.step('invalidate_end', 0);
    expect(sc.s.mms[0]!.ptes[0]!.writable).toBe(true);
    const v = sc.cpuWrite(0, 0);
    expect(sc.s.mms[0]!.ptes[0]!.frame, 'no copy-on-write away from the pinned page').toBe(f);
    expect(sc.s.frames[f]!.value).toBe(v);
    sc.step('dma_land', 0); // no-lost-write (checked at every step): the pinned read sees the store
    expect(m.cfg.name).toBe('mprotect');
  });

  it('respects-protection breaks when a DMA writes a page after its mprotect(PROT_READ) callbacks returned (a pin ignores mprotect)', () => {
    // pin-per-job: a job pinned for write before the mprotect keeps its writable GPU mapping.
    const m = model('pin-per-job', 'mprotect');
    const r = failsAtEnd(m, [act('submit_write', 0, 0), act('gup_fast', 0), act('pin_job', 0), act('mprotect_read', 0, 0), act('invalidate_end', 0), act('dma_start', 0), act('dma_land', 0)], [propertyById('respects-protection')!]);
    expect(r.violation!.clause).toBe('write-to-read-only');
  });

  it('a mutant that names its configs names configs of its strategy (odp-mirror/skip-protection-change: mprotect)', () => {
    for (const st of strategies) for (const mu of st.mutants) for (const c of mu.configs ?? []) expect(st.configs, `${st.name}/${mu.name}`).toContain(c);
    expect(strategyByName('odp-mirror')!.mutants.find((m) => m.name === 'skip-protection-change')!.configs).toEqual(['mprotect']);
  });

  it('the manifest shows it: a mirror follows mprotect, a pin does not', () => {
    const man = loadManifest();
    expect(expectedVerdict(man, 'odp-mirror', 'mprotect', 'respects-protection')).toBe('holds');
    expect(expectedVerdict(man, 'dmirror', 'mprotect', 'respects-protection')).toBe('holds');
    expect(expectedVerdict(man, 'pin-per-job', 'mprotect', 'respects-protection')).toBe('fails');
    // Where no one calls mprotect, the property has nothing to judge.
    expect(expectedVerdict(man, 'odp-mirror', 'kernel-queue', 'respects-protection')).toBe('n/a');
  });

  it('the mprotect config is in the matrix with its proof scope', () => {
    const c = configByName('mprotect')!;
    expect(c.mprotect).toBe(0b01);
    expect(c.proofScope).toMatchObject({ procs: 1, vpages: 1, frames: 1 });
  });
});
