// The kernel's own HMM self-tests (tools/testing/selftests/mm/hmm-tests.c, driving lib/test_hmm.c) as a
// conformance suite of the model: one `it` per self-test within the model's scope, named after it, run
// against the `dmirror` strategy, asserting what the self-test asserts (the data the CPU and the device
// read, which accesses fault or fail and with which errno, the snapshot's per-page flags, the pages
// migrate_vma_setup collects), scaled to the model's two pages. Every property the design holds in its
// config (the manifest's) is checked after every step. The self-tests out of the model's scope, and why,
// are listed in README.md ("HMM self-tests").
import { describe, it, expect } from 'vitest';
import { configByName } from '../model/configs.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { DEV, DEV1, NONE } from '../model/types.ts';
import type { Config } from '../model/types.ts';
import { PROT_DEV_PRIVATE_LOCAL, PROT_ERROR, PROT_NONE, PROT_READ, PROT_WRITE, PROT_ZERO, snapshotPage } from '../model/hmm.ts';
import { heldProperties, loadManifest } from '../src/verdicts.ts';
import { defaultBudget } from '../src/check.ts';
import { Scenario } from './hmm-scenario.ts';

const manifest = loadManifest();

/** A dmirror scenario in `config`, with every property the design holds there checked after every step. */
function dmirror(config: string | Config = 'hmm'): Scenario {
  const cfg = typeof config === 'string' ? configByName(config)! : config;
  const held = heldProperties(strategyByName('dmirror')!, configByName(cfg.name)!, defaultBudget, manifest);
  return new Scenario('dmirror', cfg, held);
}

/** The hmm config with process 0's pages MAP_SHARED | MAP_ANONYMOUS. */
const sharedHmm: Config = { ...configByName('hmm')!, shared: 0b11 };

/** The hmm config where user space may mprotect both pages (model/mprotect.ts). */
const protHmm: Config = { ...configByName('hmm')!, mprotect: 0b11 };

/**
 * The zero-page config (model/zero-page.ts: no MAP_POPULATE, a read fault maps the zero page) with three
 * pages, all of which user space may mprotect: the buffers of the self-tests that read the zero page.
 */
const zeroProt: Config = { ...configByName('zero-page')!, scope: { ...configByName('zero-page')!.scope, vpages: 3 }, mprotect: 0b111 };

/** mprotect of one page with `prot` ('rw', 'read', 'none'), run to its end (change_protection's invalidation). */
function mprotect(sc: Scenario, p: number, v: number, prot: 'rw' | 'read' | 'none'): void {
  sc.step(`mprotect_${prot}`, p, v);
  sc.settle();
}

/**
 * The hmm2 fixture (two dmirror devices, config two-devices) with two device-private pages per device (so
 * that both pages of the scaled buffers fit on one device), user space allowed to mprotect both pages.
 */
const hmm2: Config = { ...configByName('two-devices')!, scope: { ...configByName('two-devices')!.scope, vram: 4 }, mprotect: 0b11 };

/** HMM_DMIRROR_SNAPSHOT of one page by the device under test (or by `dev`, of the hmm2 fixture). */
const snap = (sc: Scenario, p: number, v: number, dev = DEV) => snapshotPage(sc.s, dev, p, v);

/** A device read (HMM_DMIRROR_READ) of (p, v) on the hmm2 fixture's device `dev`, run to its end. */
function deviceReadOn(sc: Scenario, dev: number, name: string, p: number, v: number): number | null {
  sc.submit(name, p, v, false, dev);
  sc.settle();
  return sc.deviceRead(name);
}

/** HMM_DMIRROR_MIGRATE_TO_DEV of one page on the hmm2 fixture's device `dev`, run to its end: cpages. */
function migrateTo(sc: Scenario, dev: number, p: number, v: number): number {
  const e = sc.step(dev === DEV1 ? 'dmirror_migrate1' : 'dmirror_migrate', p, v).find((x) => x.t === 'migrate_collect');
  sc.settle();
  return e && e.t === 'migrate_collect' ? e.cpages : -1;
}

/** A device read (HMM_DMIRROR_READ) of (p, v) run to its end: what it read. */
function deviceRead(sc: Scenario, name: string, p: number, v: number): number | null {
  sc.submit(name, p, v);
  sc.settle();
  return sc.deviceRead(name);
}

/** A device write (HMM_DMIRROR_WRITE) of (p, v) run to its end: the value it wrote. */
function deviceWrite(sc: Scenario, name: string, p: number, v: number): number | null {
  sc.submit(name, p, v, true);
  sc.settle();
  return sc.deviceRead(name);
}

/** HMM_DMIRROR_MIGRATE_TO_DEV of one page run to its end: migrate_vma_setup's cpages. */
function migrateToDev(sc: Scenario, p: number, v: number): number {
  const e = sc.step('dmirror_migrate', p, v).find((x) => x.t === 'migrate_collect');
  sc.settle();
  return e && e.t === 'migrate_collect' ? e.cpages : -1;
}

/** A CPU load of a page a device holds exclusively: the restore (remove_device_exclusive_entry), settled, then the load. */
function cpuReadBackExclusive(sc: Scenario, p: number, v: number): number {
  if (sc.can('cpu_fault_exclusive', p, v)) {
    sc.step('cpu_fault_exclusive', p, v);
    sc.settle();
  }
  return sc.cpuRead(p, v);
}

/** A CPU load of a page in device memory: do_swap_page -> migrate_to_ram, settled, then the load. */
function cpuReadBack(sc: Scenario, p: number, v: number): number {
  if (sc.can('dmirror_devmem_fault', p, v)) {
    sc.step('dmirror_devmem_fault', p, v);
    sc.settle();
  }
  return sc.cpuRead(p, v);
}

describe('hmm-tests.c as a conformance suite (dmirror)', () => {
  it('open_close: open and close the device file', () => {
    const sc = dmirror();
    sc.step('register', 0);
    expect(sc.s.subs[0]!.live, 'mmu_interval_notifier_insert').toBe(true);
    sc.step('deregister', 0);
    sc.settle();
    expect(sc.s.regs[0]!.live).toBe(false);
    expect(sc.s.subs[0]!.live, 'mmu_interval_notifier_remove').toBe(false);
  });

  it('anon_read: the device reads what the CPU wrote, and an untouched page as zero, in one fault', () => {
    const sc = dmirror();
    sc.step('register', 0);
    const w = sc.cpuWrite(0, 1);
    expect(deviceRead(sc, 'r0', 0, 0), 'the page left untouched reads zero').toBe(0);
    expect(sc.faults('r0')).toBe(1);
    expect(deviceRead(sc, 'r1', 0, 1)).toBe(w);
    expect(sc.faults('r1')).toBe(1);
  });

  it('anon_write: the CPU reads what the device wrote, in one fault', () => {
    const sc = dmirror();
    sc.step('register', 0);
    const d = deviceWrite(sc, 'w', 0, 0);
    expect(d).not.toBeNull();
    expect(sc.faults('w')).toBe(1);
    expect(sc.cpuRead(0, 0)).toBe(d);
  });

  it('anon_read_multiple: each of several rounds reads the round\'s data', () => {
    const sc = dmirror();
    sc.step('register', 0);
    for (let c = 0; c < 3; c++) {
      const w = sc.cpuWrite(0, 0);
      expect(deviceRead(sc, `r${c}`, 0, 0), `round ${c}`).toBe(w);
    }
  });

  it('anon_read_prot: a device read of PROT_NONE memory fails with -EFAULT and reads nothing; the data is intact once readable again', () => {
    const sc = dmirror(protHmm);
    sc.step('register', 0);
    const w = [sc.cpuWrite(0, 0), sc.cpuWrite(0, 1)];
    mprotect(sc, 0, 0, 'none');
    mprotect(sc, 0, 1, 'none');
    sc.submit('r', 0, 0);
    sc.settle();
    expect(sc.errno('r'), 'hmm_vma_walk_test: no VM_READ').toBe('EFAULT');
    expect(sc.landed('r'), 'the device read nothing (the mirror buffer keeps its -i)').toBe(false);
    mprotect(sc, 0, 0, 'read');
    mprotect(sc, 0, 1, 'read');
    expect([sc.cpuRead(0, 0), sc.cpuRead(0, 1)]).toEqual(w);
  });

  it('anon_write_prot: a device write to PROT_READ memory fails with -EPERM and changes nothing; after mprotect(PROT_READ | PROT_WRITE) it succeeds in one fault', () => {
    const sc = dmirror(protHmm);
    mprotect(sc, 0, 0, 'read'); // mmap(PROT_READ), scaled: the page starts read-only
    sc.step('register', 0);
    expect(deviceRead(sc, 'r', 0, 0), 'a read of the read-only page').toBe(0);
    expect(sc.faults('r')).toBe(1);
    sc.submit('w', 0, 0, true);
    sc.settle();
    expect(sc.errno('w'), 'hmm_vma_fault: HMM_NEED_WRITE_FAULT without VM_WRITE').toBe('EPERM');
    expect(sc.landed('w')).toBe(false);
    expect(sc.cpuRead(0, 0), 'the CPU still reads zero').toBe(0);
    mprotect(sc, 0, 0, 'rw');
    const v = deviceWrite(sc, 'w2', 0, 0);
    expect(v).not.toBeNull();
    expect(sc.errno('w2')).toBeNull();
    expect(sc.faults('w2')).toBe(1);
    expect(sc.cpuRead(0, 0), 'the CPU reads what the device wrote').toBe(v);
  });

  it('exclusive_mprotect: after mprotect(PROT_READ) of a page the device holds exclusively, a device write fails with -EPERM', () => {
    const sc = dmirror(protHmm);
    sc.step('register', 0);
    const w = sc.cpuWrite(0, 0);
    sc.step('dmirror_exclusive', 0, 0);
    sc.settle();
    expect(sc.s.mms[0]!.ptes[0]!.exclusive, 'HMM_DMIRROR_EXCLUSIVE: cpages 1').toBe(DEV);
    expect(sc.s.dev.mirror[0]![0]!.frame, 'the device maps the page for its atomics').toBe(sc.s.mms[0]!.ptes[0]!.frame);
    mprotect(sc, 0, 0, 'read');
    expect(sc.s.dev.mirror[0]![0]!.frame, 'MMU_NOTIFY_PROTECTION_VMA: dmirror_do_update erased it').toBe(NONE);
    sc.submit('w', 0, 0, true);
    sc.settle();
    expect(sc.errno('w')).toBe('EPERM');
    expect(sc.landed('w')).toBe(false);
    expect(cpuReadBackExclusive(sc, 0, 0), 'the data is the CPU\'s').toBe(w);
  });

  it('anon_write_child: a device write through the child\'s own mirror copies on write; the parent\'s data is unchanged', () => {
    const sc = dmirror();
    const w = sc.cpuWrite(0, 0);
    sc.step('fork', 0);
    sc.settle();
    expect(sc.cpuRead(1, 0), 'the child sees the parent\'s values').toBe(w);
    sc.step('register', 1); // the child needs its own mirror of its own mm
    const d = deviceWrite(sc, 'cw', 1, 0);
    expect(sc.faults('cw')).toBe(1);
    expect(sc.cpuRead(1, 0), 'the child sees what the device wrote').toBe(d);
    expect(sc.cpuRead(0, 0), 'the parent\'s buffer did not change').toBe(w);
  });

  it('anon_write_child (migrate): after fork the child reads the parent\'s device-private data, and the device write copies on write', () => {
    const sc = dmirror();
    const w = sc.cpuWrite(0, 0);
    sc.step('register', 0);
    expect(migrateToDev(sc, 0, 0), 'cpages').toBe(1);
    sc.step('fork', 0);
    sc.settle();
    // copy_nonpresent_pte: the same device-private entry in both, read-only in both.
    expect(sc.s.mms[1]!.ptes[0]!.frame).toBe(sc.s.mms[0]!.ptes[0]!.frame);
    expect(snap(sc, 0, 0)).toBe(PROT_DEV_PRIVATE_LOCAL | PROT_READ);
    expect(snap(sc, 1, 0)).toBe(PROT_DEV_PRIVATE_LOCAL | PROT_READ);
    expect(cpuReadBack(sc, 1, 0), 'the child reads the data through migrate_to_ram').toBe(w);
    sc.step('register', 1);
    const d = deviceWrite(sc, 'cw', 1, 0);
    expect(sc.landed('cw')).toBe(true);
    expect(sc.cpuRead(1, 0)).toBe(d);
    expect(cpuReadBack(sc, 0, 0), 'the parent\'s buffer did not change').toBe(w);
  });

  it('anon_write_child_shared: a MAP_SHARED page is not copied on write: the parent sees the child\'s device write', () => {
    const sc = dmirror(sharedHmm);
    const w = sc.cpuWrite(0, 0);
    sc.step('fork', 0);
    sc.settle();
    expect(sc.cpuRead(1, 0)).toBe(w);
    sc.step('register', 1);
    const d = deviceWrite(sc, 'cw', 1, 0);
    expect(sc.faults('cw')).toBe(1);
    expect(sc.cpuRead(0, 0), 'the parent\'s buffer did change').toBe(d);
  });

  it('migrate: anonymous memory migrates to device-private memory, and the device reads the data there', () => {
    const sc = dmirror();
    const w0 = sc.cpuWrite(0, 0);
    const w1 = sc.cpuWrite(0, 1);
    sc.step('register', 0);
    expect(migrateToDev(sc, 0, 0)).toBe(1);
    expect(migrateToDev(sc, 0, 1)).toBe(1);
    for (const v of [0, 1]) {
      const f = sc.s.mms[0]!.ptes[v]!.frame;
      expect(sc.s.frames[f]!.kind, `v${v} is in device memory`).toBe('device-private');
      expect(snap(sc, 0, v)).toBe(PROT_DEV_PRIVATE_LOCAL | PROT_WRITE);
    }
    expect(deviceRead(sc, 'r0', 0, 0)).toBe(w0);
    expect(deviceRead(sc, 'r1', 0, 1)).toBe(w1);
  });

  it('migrate_fault: a CPU access faults a page back; migrating the mix of system and device pages again takes both', () => {
    const sc = dmirror();
    const w0 = sc.cpuWrite(0, 0);
    const w1 = sc.cpuWrite(0, 1);
    sc.step('register', 0);
    migrateToDev(sc, 0, 0);
    migrateToDev(sc, 0, 1);
    expect(cpuReadBack(sc, 0, 0), 'faulted back to system memory').toBe(w0);
    expect(snap(sc, 0, 0)).toBe(PROT_WRITE);
    expect(snap(sc, 0, 1)).toBe(PROT_DEV_PRIVATE_LOCAL | PROT_WRITE);
    expect(migrateToDev(sc, 0, 0), 'the system page migrates again').toBe(1);
    // The page already in device memory is not collected again (MIGRATE_VMA_SELECT_SYSTEM skips it).
    const again = sc.step('dmirror_migrate', 0, 1).find((x) => x.t === 'migrate_collect');
    expect(again && again.t === 'migrate_collect' ? again.skip : null).toBe('device-private');
    expect(deviceRead(sc, 'r0', 0, 0)).toBe(w0);
    expect(deviceRead(sc, 'r1', 0, 1)).toBe(w1);
  });

  it('migrate_shared: MAP_SHARED anonymous memory is not migrated (-ENOENT: no page collected)', () => {
    const sc = dmirror(sharedHmm);
    sc.step('register', 0);
    const e = sc.step('dmirror_migrate', 0, 0).find((x) => x.t === 'migrate_collect');
    expect(e && e.t === 'migrate_collect' ? [e.cpages, e.skip] : null).toEqual([0, 'shared']);
    expect(sc.s.invs.some((i) => i.live), 'nothing to migrate, nothing invalidated').toBe(false);
    expect(snap(sc, 0, 0)).toBe(PROT_WRITE);
  });

  it('migrate_multiple: to device memory and back by CPU faults, several times, the data intact', () => {
    const sc = dmirror();
    sc.step('register', 0);
    for (let c = 0; c < 3; c++) {
      const w = sc.cpuWrite(0, 0);
      expect(migrateToDev(sc, 0, 0), `round ${c}: cpages`).toBe(1);
      expect(deviceRead(sc, `r${c}`, 0, 0)).toBe(w);
      expect(cpuReadBack(sc, 0, 0)).toBe(w);
    }
  });

  it('migrate_partial_unmap_fault: unmap part of a migrated range, then fault the rest back', () => {
    const sc = dmirror();
    const w0 = sc.cpuWrite(0, 0);
    sc.cpuWrite(0, 1);
    sc.step('register', 0);
    migrateToDev(sc, 0, 0);
    migrateToDev(sc, 0, 1);
    const gone = sc.s.mms[0]!.ptes[1]!.frame;
    sc.step('munmap', 0, 1);
    sc.settle();
    expect(sc.s.frames[gone]!.free, 'the unmapped device page is freed (dmirror_devmem_free)').toBe(true);
    expect(cpuReadBack(sc, 0, 0)).toBe(w0);
  });

  it('anon_teardown: a device read racing munmap fails with -EFAULT once the VMA is gone', () => {
    const sc = dmirror();
    sc.step('register', 0);
    sc.submit('r', 0, 1);
    sc.step('dma_start', sc.job('r')); // the device faults
    sc.step('read_begin', sc.job('r'));
    sc.step('munmap', 0, 1); // the VMA is detached; the notifier has not run
    sc.step('range_fault', sc.job('r'));
    expect(sc.errno('r'), 'hmm_range_fault finds no VMA').toBe('EFAULT');
    sc.settle();
    expect(sc.landed('r')).toBe(false);
  });

  it('snapshot: per-page flags without faulting anything in (one device: the remote device page is out of scope)', () => {
    const sc = dmirror();
    sc.step('register', 0);
    sc.step('munmap', 0, 0); // a hole
    sc.settle();
    expect(snap(sc, 0, 0), 'no VMA').toBe(PROT_ERROR);
    expect(snap(sc, 0, 1), 'read-write').toBe(PROT_WRITE);
    sc.step('reclaim', 0, 1);
    sc.settle();
    expect(snap(sc, 0, 1), 'swapped out: not valid, not faulted in').toBe(PROT_NONE);
    sc.step('mmap', 0, 0);
    expect(migrateToDev(sc, 0, 0)).toBe(1);
    expect(snap(sc, 0, 0)).toBe(PROT_DEV_PRIVATE_LOCAL | PROT_WRITE);
    sc.step('fork', 0);
    sc.settle();
    expect(snap(sc, 0, 0), 'read-only after fork').toBe(PROT_DEV_PRIVATE_LOCAL | PROT_READ);
    expect(snap(sc, 1, 1), 'the child\'s swap entry').toBe(PROT_NONE);
    expect(sc.trace.filter((t) => t.startsWith('range_fault')).length, 'a snapshot faults nothing in').toBe(0);
  });

  it('anon_read (its zero pages): of a buffer made PROT_READ, a page never touched (pte_none) and a page the CPU read (the zero page) read zero on the device, the written page its data, one fault each', () => {
    const sc = dmirror(zeroProt);
    sc.step('register', 0);
    const w = sc.cpuWrite(0, 2); // the buffer initialised but for its first two pages
    for (const v of [0, 1, 2]) mprotect(sc, 0, v, 'read');
    expect(sc.cpuRead(0, 1), 'populate the CPU page table with a special zero page').toBe(0);
    expect(sc.s.mms[0]!.ptes[1]!.frame).toBe(sc.s.zeroPfn);
    expect(sc.s.mms[0]!.ptes[0]!.frame, 'page 0 stays pte_none').toBe(-1);
    expect(deviceRead(sc, 'r0', 0, 0), 'pte_none').toBe(0);
    expect(deviceRead(sc, 'r1', 0, 1), 'pfn_zero').toBe(0);
    expect(deviceRead(sc, 'r2', 0, 2)).toBe(w);
    expect([sc.faults('r0'), sc.faults('r1'), sc.faults('r2')]).toEqual([1, 1, 1]);
    expect(sc.s.dev.mirror[0]![0]!.frame, 'the read fault of pte_none mapped the zero page too').toBe(sc.s.zeroPfn);
  });

  it('snapshot (its zero page): a page made PROT_READ and read but never written is ZERO | READ; a page never touched is NONE', () => {
    const sc = dmirror(zeroProt);
    sc.step('register', 0);
    mprotect(sc, 0, 0, 'read'); // page 2 of the self-test: "will be read-only zero page"
    expect(sc.cpuRead(0, 0) + 3, 'val = *ptr + 3').toBe(3);
    expect(snap(sc, 0, 0), 'dmirror_mkentry: is_zero_pfn').toBe(PROT_ZERO | PROT_READ);
    expect(snap(sc, 0, 1), 'pte_none, nothing faulted in').toBe(PROT_NONE);
    const w = sc.cpuWrite(0, 2); // page 4 of the self-test: read-write, written
    expect(w).toBeGreaterThan(0);
    expect(snap(sc, 0, 2)).toBe(PROT_WRITE);
    expect(sc.trace.filter((t) => t.startsWith('range_fault')).length, 'a snapshot faults nothing in').toBe(0);
    expect(snap(sc, 0, 1), 'still untouched').toBe(PROT_NONE);
  });

  it('snapshot (its mprotect pages): a PROT_NONE VMA is an error, a page written then made PROT_READ is READ', () => {
    const sc = dmirror(protHmm);
    sc.step('register', 0);
    mprotect(sc, 0, 0, 'none'); // page 0 of the self-test: reserved PROT_NONE
    expect(snap(sc, 0, 0), 'hmm_vma_walk_test: HMM_PFN_ERROR').toBe(PROT_ERROR);
    sc.cpuWrite(0, 1); // page 3 of the self-test: written, then mprotect(PROT_READ)
    mprotect(sc, 0, 1, 'read');
    expect(snap(sc, 0, 1)).toBe(PROT_READ);
    expect(sc.trace.filter((t) => t.startsWith('range_fault')).length, 'a snapshot faults nothing in').toBe(0);
  });

  it('double_map (hmm2): both devices read the same read-only pages and both mirror them; migrated to device 1, device 0 reads the data back from system memory', () => {
    const sc = dmirror(hmm2);
    sc.step('register', 0); // FIXTURE_SETUP(hmm2): both devices' files open
    expect([sc.s.subs[0]!.live, sc.s.subs[1 * sc.s.mms.length]!.live], 'one interval notifier per device').toEqual([true, true]);
    const w = [sc.cpuWrite(0, 0), sc.cpuWrite(0, 1)];
    for (const v of [0, 1]) mprotect(sc, 0, v, 'read'); // "Make region read-only"
    for (const dev of [DEV, DEV1]) {
      for (const v of [0, 1]) {
        const name = `d${dev}r${v}`;
        expect(deviceReadOn(sc, dev, name, 0, v), `device ${dev} reads v${v}`).toBe(w[v]);
        expect(sc.faults(name), `device ${dev}, v${v}: one fault`).toBe(1);
      }
    }
    const pte = sc.s.mms[0]!.ptes;
    for (const v of [0, 1]) {
      expect(sc.s.dev.mirror[0]![v]!.frame, `device 0 mirrors v${v}`).toBe(pte[v]!.frame);
      expect(sc.s.dev1!.mirror[0]![v]!.frame, `device 1 mirrors v${v}`).toBe(pte[v]!.frame);
      expect(sc.s.dev1!.mirror[0]![v]!.writable, 'read-only').toBe(false);
    }
    // "Migrate pages to device 1 and try to read from device 0."
    for (const v of [0, 1]) expect(migrateTo(sc, DEV1, 0, v), `cpages of v${v}`).toBe(1);
    for (const v of [0, 1]) {
      const fr = sc.s.frames[pte[v]!.frame]!;
      expect([fr.kind, fr.owner], `v${v} in device 1's memory`).toEqual(['device-private', DEV1]);
      expect(sc.s.dev.mirror[0]![v]!.frame, 'device 1\'s migration erased device 0\'s translation (its callback ran: the range\'s owner is not its device)').toBe(NONE);
    }
    for (const v of [0, 1]) {
      const name = `again${v}`;
      expect(deviceReadOn(sc, DEV, name, 0, v), `device 0 reads v${v}`).toBe(w[v]);
      expect(sc.faults(name), 'one fault').toBe(1);
      const fr = sc.s.frames[pte[v]!.frame]!;
      expect(fr.kind, 'hmm_range_fault of device 0 migrated it back to system memory (device 1\'s migrate_to_ram)').toBe('system');
      expect(sc.s.dev.mirror[0]![v]!.frame, 'device 0 mirrors the page in system memory').toBe(pte[v]!.frame);
    }
    expect(sc.events('private_fault').length, 'each page met as the other device\'s DEVICE_PRIVATE page once').toBe(2);
  });

  it('migrate_mixed (hmm2): a PROT_NONE range and a hole are refused (-EINVAL); read-only and read-write pages migrate to device 1 (cpages 2); a page on device 1 is not migrated to device 0 (-ENOENT)', () => {
    const sc = dmirror(hmm2);
    sc.step('register', 0);
    /** HMM_DMIRROR_MIGRATE_TO_DEV on device 1's file: [cpages, why skipped, errno], run to its end. */
    const migrate1 = (v: number) => {
      const e = sc.step('dmirror_migrate1', 0, v).find((x) => x.t === 'migrate_collect');
      sc.settle();
      return e && e.t === 'migrate_collect' ? [e.cpages, e.skip, e.errno ?? null] : null;
    };
    // "Reserve a range of addresses": mmap(PROT_NONE), as mprotect(PROT_NONE) of both pages.
    mprotect(sc, 0, 0, 'none');
    mprotect(sc, 0, 1, 'none');
    // "Migrating a protected area should be an error": dmirror_migrate_to_device's vma_lookup finds a VMA
    // without VM_READ.
    for (const v of [0, 1]) expect(migrate1(v), `the PROT_NONE page v${v}`).toEqual([0, 'no-read', 'EINVAL']);
    // "Punch a hole after the first page address" (munmap), then "we expect an error if the vma doesn't
    // cover the range": vma_lookup of the hole finds none (and the page before it is still PROT_NONE).
    sc.step('munmap', 0, 1);
    sc.settle();
    expect(migrate1(1), 'the hole').toEqual([0, 'no-vma', 'EINVAL']);
    expect(migrate1(0), 'the PROT_NONE page before it').toEqual([0, 'no-read', 'EINVAL']);
    for (const v of [0, 1]) expect(sc.s.mms[0]!.ptes[v]!.frame === NONE || sc.s.frames[sc.s.mms[0]!.ptes[v]!.frame]!.kind === 'system', `nothing of v${v} migrated`).toBe(true);
    expect(sc.s.dev1!.mirror[0]!.every((e) => e.frame === NONE), "device 1's page table is empty").toBe(true);
    // Pages 3-5 of the self-test, on the model's two pages: v0 made read-write, written, then read-only;
    // v1 mapped again read-write (the hole refilled: mmap) and written.
    mprotect(sc, 0, 0, 'rw');
    sc.step('mmap', 0, 1);
    const w = [sc.cpuWrite(0, 0), sc.cpuWrite(0, 1)];
    mprotect(sc, 0, 0, 'read');
    // "Now try to migrate pages 2-5 to device 1": both pages of the scaled buffer.
    const cpages = migrateTo(sc, DEV1, 0, 0) + migrateTo(sc, DEV1, 0, 1);
    expect(cpages).toBe(2);
    for (const v of [0, 1]) expect(sc.s.frames[sc.s.mms[0]!.ptes[v]!.frame]!.owner, `v${v} on device 1`).toBe(DEV1);
    expect(snap(sc, 0, 0, DEV1), 'to device 1: its own page, read-only').toBe(PROT_DEV_PRIVATE_LOCAL | PROT_READ);
    expect(snap(sc, 0, 1, DEV1)).toBe(PROT_DEV_PRIVATE_LOCAL | PROT_WRITE);
    // "Page 5 won't be migrated to device 0 because it's on device 1."
    const e = sc.step('dmirror_migrate', 0, 1).find((x) => x.t === 'migrate_collect');
    expect(e && e.t === 'migrate_collect' ? [e.cpages, e.skip] : null, 'cpages 0: -ENOENT').toEqual([0, 'device-private']);
    expect(sc.s.frames[sc.s.mms[0]!.ptes[1]!.frame]!.owner, 'still on device 1').toBe(DEV1);
    for (const v of [0, 1]) expect(cpuReadBack(sc, 0, v), `the data of v${v}`).toBe(w[v]);
  });

  it('snapshot (hmm2): a page migrated to device 0 is DEV_PRIVATE_LOCAL | WRITE to device 0, one migrated to device 1 is NONE to it', () => {
    const sc = dmirror(hmm2);
    sc.step('register', 0);
    expect(migrateTo(sc, DEV, 0, 0), 'page 5 of the self-test, to device 0').toBe(1);
    expect(migrateTo(sc, DEV1, 0, 1), 'page 6, to device 1').toBe(1);
    expect(snap(sc, 0, 0)).toBe(PROT_DEV_PRIVATE_LOCAL | PROT_WRITE);
    expect(snap(sc, 0, 1), 'another device\'s private page: not valid without a fault (hmm_vma_handle_pte)').toBe(PROT_NONE);
    expect(sc.trace.filter((t) => t.startsWith('range_fault')).length, 'a snapshot faults nothing in').toBe(0);
  });

  it('hmm_cow_in_device: the parent\'s write to a copy-on-write device page migrates it back and copies it', () => {
    const sc = dmirror();
    const w = [sc.cpuWrite(0, 0), sc.cpuWrite(0, 1)];
    sc.step('register', 0);
    migrateToDev(sc, 0, 0);
    migrateToDev(sc, 0, 1);
    sc.step('fork', 0);
    sc.settle();
    for (const v of [0, 1]) {
      if (sc.can('dmirror_devmem_fault', 0, v)) {
        sc.step('dmirror_devmem_fault', 0, v);
        sc.settle();
      }
      sc.cpuWrite(0, v);
    }
    for (const v of [0, 1]) expect(snap(sc, 0, v), `v${v}`).toBe(PROT_WRITE);
    for (const v of [0, 1]) expect(sc.cpuRead(1, v), `the child keeps v${v}`).toBe(w[v]);
  });

  it('exclusive: the device maps a page for its atomics; a CPU access takes it back, revoking the device\'s access', () => {
    const sc = dmirror();
    sc.step('register', 0);
    const w = sc.cpuWrite(0, 0);
    sc.step('dmirror_exclusive', 0, 0);
    sc.settle();
    const pte = sc.s.mms[0]!.ptes[0]!;
    expect(pte.exclusive, 'a device-exclusive entry').toBe(DEV);
    expect(sc.s.dev.mirror[0]![0]!.frame, 'mapped for atomics').toBe(pte.frame);
    expect(snap(sc, 0, 0), 'not present to the CPU').toBe(PROT_NONE);
    expect(deviceRead(sc, 'r', 0, 0), 'what the device read').toBe(w);
    expect(sc.faults('r'), 'through its atomic mapping, without a fault').toBe(0);
    expect(sc.can('cpu_read', 0, 0), 'the CPU access faults first').toBe(false);
    const start = sc.step('cpu_fault_exclusive', 0, 0).find((e) => e.t === 'invalidate_start');
    expect(start && start.t === 'invalidate_start' ? [start.cause, start.owner] : null, 'MMU_NOTIFY_EXCLUSIVE, no owner').toEqual(['exclusive', NONE]);
    sc.settle();
    expect(sc.s.mms[0]!.ptes[0]!.exclusive).toBe(NONE);
    expect(sc.s.dev.mirror[0]![0]!.frame, 'HMM_DMIRROR_CHECK_EXCLUSIVE: atomic access revoked').toBe(NONE);
    expect(sc.cpuRead(0, 0)).toBe(w);
    const w2 = sc.cpuWrite(0, 0);
    expect(sc.cpuRead(0, 0)).toBe(w2);
  });

  it('exclusive_cow: fork restores the device-exclusive entry; both processes then copy on write', () => {
    const sc = dmirror();
    sc.step('register', 0);
    const w = sc.cpuWrite(0, 0);
    sc.step('dmirror_exclusive', 0, 0);
    sc.settle();
    sc.step('fork', 0);
    sc.settle();
    expect(sc.s.mms[0]!.ptes[0]!.exclusive, 'try_restore_exclusive_pte').toBe(NONE);
    expect(sc.s.dev.mirror[0]![0]!.frame, 'fork\'s invalidation unmapped it from the device').toBe(NONE);
    expect(sc.cpuRead(1, 0)).toBe(w);
    const c = sc.cpuWrite(1, 0);
    expect(sc.cpuRead(1, 0)).toBe(c);
    expect(sc.cpuRead(0, 0)).toBe(w);
    const p = sc.cpuWrite(0, 0);
    expect(sc.cpuRead(0, 0)).toBe(p);
    expect(sc.cpuRead(1, 0)).toBe(c);
  });

  it('the model refuses what dmirror cannot do: no migration without the device-private pool, none of a page mapped elsewhere', () => {
    const sc = dmirror('kernel-queue');
    sc.step('register', 0);
    expect(sc.can('dmirror_migrate', 0, 0), 'kernel-queue has no device memory').toBe(false);
    const hmm = dmirror();
    hmm.step('register', 0);
    hmm.step('fork', 0);
    hmm.settle();
    expect(hmm.can('dmirror_migrate', 0, 0), 'a copy-on-write shared page (simplification: mapped once only)').toBe(false);
    expect(hmm.s.frames.filter((f) => f.owner === DEV && f.kind === 'device-private').length, 'the pool').toBe(2);
    expect(hmm.s.dev.mirror[0]!.every((e) => e.frame === NONE)).toBe(true);
    // dmirror_migrate_to_device's -EINVAL changes nothing: offered only where user space may mprotect (the
    // migrate_mixed port), not on the hole munmap leaves in the hmm config.
    const hole = dmirror();
    hole.step('register', 0);
    hole.step('munmap', 0, 1);
    hole.settle();
    expect(hole.can('dmirror_migrate', 0, 1), 'no VMA: not offered in hmm').toBe(false);
  });
});
