// The shared zero page (config zero-page, model/zero-page.ts): a read fault of an untouched anonymous page
// maps the zero page read-only and allocates nothing (do_anonymous_page); a write allocates a zeroed page
// and never reuses the zero page (wp_page_copy); hmm_range_fault faults through the same path, and a
// snapshot reports the zero page as HMM_DMIRROR_PROT_ZERO | READ; a long-term pin with FOLL_WRITE never
// takes it. The configs without Config.zeroPage keep their state shape. The hmm-tests.c asserts about the
// zero page are in test/hmm-selftests.test.ts.
import { describe, it, expect } from 'vitest';
import { configByName, configs, withScope } from '../model/configs.ts';
import { init, makeModel } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { NONE } from '../model/types.ts';
import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_ZERO, snapshotPage } from '../model/hmm.ts';
import { propertyById } from '../properties/index.ts';
import { heldProperties, loadManifest } from '../src/verdicts.ts';
import { defaultBudget } from '../src/check.ts';
import { runActions } from '../src/run.ts';
import { Scenario } from './hmm-scenario.ts';
import { act, failsAtEnd, holdsOver, model, play } from './helpers.ts';
import { allProperties } from '../properties/index.ts';

const cfg = configByName('zero-page')!;
const manifest = loadManifest();

function scenario(strategy = 'dmirror', mutant: string | null = null): Scenario {
  return new Scenario(strategy, cfg, heldProperties(strategyByName(strategy)!, cfg, defaultBudget, manifest), mutant);
}

/** The frames the page allocator has handed out (system RAM, the zero page excluded). */
const allocated = (sc: Scenario) => sc.s.frames.filter((f, i) => f.kind === 'system' && !f.free && i !== sc.s.zeroPfn).length;

describe('the zero page (zero-page)', () => {
  it('only the config with the zero page has it: the others keep their frames and populate at mmap', () => {
    for (const c of configs) {
      const s = init(makeModel(strategyByName('odp-mirror')!, c));
      expect(s.zeroPfn !== undefined, c.name).toBe(c.zeroPage === true);
      expect(s.frames.length, c.name).toBe(c.scope.frames + (c.scope.vram ?? 0) + (c.zeroPage ? 1 : 0));
      expect(s.mms[0]!.ptes.every((p) => p.frame !== NONE), `${c.name}: process 0 populated`).toBe(c.zeroPage !== true);
    }
  });

  it('a CPU read of an untouched page maps the zero page read-only and allocates nothing (do_anonymous_page)', () => {
    const sc = scenario();
    expect(snapshotPage(sc.s, 0, 0, 0), 'untouched: pte_none').toBe(PROT_NONE);
    expect(sc.cpuRead(0, 0)).toBe(0);
    const pte = sc.s.mms[0]!.ptes[0]!;
    expect(pte.frame).toBe(sc.s.zeroPfn);
    expect(pte.writable).toBe(false);
    expect(allocated(sc), 'no frame allocated').toBe(0);
    expect(sc.s.frames[sc.s.zeroPfn!]!.mapcount, 'pte_special: no mapcount').toBe(0);
    expect(sc.cpuRead(0, 1)).toBe(0);
    expect(sc.s.mms[0]!.ptes[1]!.frame, 'one zero page for every read').toBe(sc.s.zeroPfn);
  });

  it('a write to the zero page allocates a fresh zeroed page through an invalidation (wp_page_copy), and the zero page stays zero', () => {
    const sc = scenario();
    sc.cpuRead(0, 0);
    sc.cpuRead(0, 1);
    const first = sc.step('cpu_write', 0, 0);
    expect(first.some((e) => e.t === 'invalidate_start' && e.cause === 'cow'), 'do_wp_page never reuses the zero page').toBe(true);
    sc.settle();
    const w = sc.cpuWrite(0, 0);
    const pte = sc.s.mms[0]!.ptes[0]!;
    expect(pte.frame).not.toBe(sc.s.zeroPfn);
    expect(pte.writable).toBe(true);
    expect(sc.s.frames[sc.s.zeroPfn!]!.value, 'the zero page is never written').toBe(0);
    expect(sc.cpuRead(0, 0)).toBe(w);
    expect(sc.cpuRead(0, 1), 'the other page still reads the zero page').toBe(0);
    // A write to an untouched page allocates at once: no zero page, no invalidation.
    sc.step('munmap', 0, 1);
    sc.settle();
    sc.step('mmap', 0, 1);
    const direct = sc.step('cpu_write', 0, 1);
    expect(direct.some((e) => e.t === 'invalidate_start')).toBe(false);
    expect(direct.some((e) => e.t === 'cpu_write')).toBe(true);
  });

  it('hmm_range_fault: a device read faults the zero page in and reads zero; a device write faults a page of its own (HMM_PFN_REQ_WRITE)', () => {
    const sc = scenario();
    sc.step('register', 0);
    sc.submit('r', 0, 0);
    sc.settle();
    expect(sc.deviceRead('r')).toBe(0);
    expect(sc.s.mms[0]!.ptes[0]!.frame, 'the read fault mapped the zero page').toBe(sc.s.zeroPfn);
    expect(sc.s.dev.mirror[0]![0]!.frame, 'the device mirrors it').toBe(sc.s.zeroPfn);
    expect(sc.s.dev.mirror[0]![0]!.writable, 'read-only').toBe(false);
    expect(snapshotPage(sc.s, 0, 0, 0)).toBe(PROT_ZERO | PROT_READ);
    sc.submit('w', 0, 0, true);
    sc.settle();
    expect(sc.landed('w')).toBe(true);
    const pte = sc.s.mms[0]!.ptes[0]!;
    expect(pte.frame, 'the write fault copied the zero page').not.toBe(sc.s.zeroPfn);
    expect(sc.s.frames[sc.s.zeroPfn!]!.value, 'no device write reaches the zero page').toBe(0);
    expect(snapshotPage(sc.s, 0, 0, 0)).toBe(PROT_WRITE);
    expect(sc.cpuRead(0, 0), 'the CPU reads what the device wrote').toBe(sc.s.frames[pte.frame]!.value);
  });

  it('a FOLL_WRITE | FOLL_LONGTERM pin faults an untouched page in writable: the MR never holds the zero page', () => {
    const sc = scenario('pin-longterm');
    sc.step('register', 0);
    for (const v of [0, 1]) {
      const f = sc.s.mms[0]!.ptes[v]!.frame;
      expect(f).not.toBe(sc.s.zeroPfn);
      expect(sc.s.frames[f]!.pincount).toBe(1);
      expect(sc.s.dev.mirror[0]![v]!.writable).toBe(true);
    }
    const w = sc.cpuWrite(0, 0);
    sc.submit('r', 0, 0);
    sc.settle();
    expect(sc.deviceRead('r'), 'the device reads the CPU\'s write').toBe(w);
  });

  it('pin-longterm / ro-pin-zero-page: the read-only pin holds the zero page; no-lost-write sees the CPU\'s write go where the device never looks (7 steps)', () => {
    const mu = model('pin-longterm', 'zero-page', 'ro-pin-zero-page');
    const trace = [
      act('register', 0), act('cpu_write', 0, 0), act('invalidate_end', 0), act('cpu_write', 0, 0),
      act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0),
    ];
    const r = failsAtEnd(mu, trace, [propertyById('no-lost-write')!]);
    expect(r.violation!.message).toMatch(/read 0 .* latest write there was 1/);
    // The design on the same scenario: the pin faulted the page in writable, the first store writes it
    // (no copy), and the device reads it; the copy's invalidation it never starts is not enabled.
    const design = model('pin-longterm', 'zero-page');
    const d = runActions(design, trace, [propertyById('no-lost-write')!]);
    expect(d.notEnabled?.index, 'no copy-on-write on a page the pin faulted in for write').toBe(2);
    holdsOver(design, [act('register', 0), act('cpu_write', 0, 0), act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0)], [propertyById('no-lost-write')!]);
  });
  // The matrix config has one process (a second doubled odp-mirror's row: 3.2 s -> 6.7 s); the fork of a
  // zero-page PTE is driven here with two.
  it('fork copies a zero-page PTE as it is (copy_present_pte: no folio, no reference, no COW copy), read-only on both sides; a write in either breaks to a page of its own', () => {
    const m = makeModel(strategyByName('odp-mirror')!, withScope(cfg, { procs: 2 }));
    const before = [act('cpu_read', 0, 0), act('cpu_read', 0, 1), act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0)];
    const { s } = play(m, before);
    const z = s.zeroPfn!;
    for (const p of [0, 1]) {
      for (const pte of s.mms[p]!.ptes) {
        expect(pte.frame, `p${p}`).toBe(z);
        expect(pte.writable).toBe(false);
      }
    }
    expect(s.frames[z]!.mapcount, 'pte_special: no mapcount').toBe(0);
    expect(s.frames[z]!.refcount, 'only the kernel\'s own reference').toBe(1);
    expect(s.frames.filter((f, i) => f.kind === 'system' && !f.free && i !== z).length, 'nothing allocated').toBe(0);
    // The child writes: wp_page_copy gives it a zeroed page of its own; the parent keeps the zero page.
    const after = [...before, act('cpu_write', 1, 0), act('invalidate_end', 0), act('cpu_write', 1, 0), act('cpu_read', 0, 0), act('cpu_read', 1, 0), act('cpu_read', 1, 1)];
    const end = play(m, after).s;
    expect(end.mms[1]!.ptes[0]!.frame).not.toBe(z);
    expect(end.mms[1]!.ptes[0]!.writable).toBe(true);
    expect(end.mms[0]!.ptes[0]!.frame, 'the parent still reads the zero page').toBe(z);
    expect(end.mms[1]!.ptes[1]!.frame).toBe(z);
    holdsOver(m, after, allProperties.filter((q) => q.kind === 'always'));
  });

  it('a FOLL_LONGTERM pin of a mapped zero page copies it first (the write fault\'s wp_page_copy; FAULT_FLAG_UNSHARE for a read-only pin since 84209e87c696), then pins the fresh page', () => {
    const m = model('pin-longterm', 'zero-page');
    const steps = [act('cpu_read', 0, 0), act('register', 0)];
    const { s, events } = play(m, steps);
    expect(events.some((e) => e.t === 'invalidate_start' && e.cause === 'cow'), 'the zero page is never pinned as it is').toBe(true);
    expect(s.regs[0]!.opening).toBe(true);
    const done = play(m, [...steps, act('invalidate_end', 0), act('longterm_pin', 0)]).s;
    const z = done.zeroPfn!;
    for (const v of [0, 1]) {
      const f = done.mms[0]!.ptes[v]!.frame;
      expect(f, `v${v}`).not.toBe(z);
      expect(done.frames[f]!.pincount).toBe(1);
      expect(done.dev.mirror[0]![v]!.frame).toBe(f);
    }
    expect(done.frames[z]!.pincount, 'the zero page is not pinned').toBe(0);
    // The CPU's write lands in the pinned page, and the device reads it.
    holdsOver(m, [...steps, act('invalidate_end', 0), act('longterm_pin', 0), act('cpu_write', 0, 0), act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0)], allProperties.filter((q) => q.kind === 'always' && q.id !== 'coherent-dma' && q.id !== 'oom-reclaimable'));
  });
});
