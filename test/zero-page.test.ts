// The shared zero page (config zero-page, model/zero-page.ts): a read fault of an untouched anonymous page
// maps the zero page read-only and allocates nothing (do_anonymous_page); a write allocates a zeroed page
// and never reuses the zero page (wp_page_copy); hmm_range_fault faults through the same path, and a
// snapshot reports the zero page as HMM_DMIRROR_PROT_ZERO | READ; a long-term pin with FOLL_WRITE never
// takes it. The configs without Config.zeroPage keep their state shape. The hmm-tests.c asserts about the
// zero page are in test/hmm-selftests.test.ts.
import { describe, it, expect } from 'vitest';
import { configByName, configs } from '../model/configs.ts';
import { init, makeModel } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { NONE } from '../model/types.ts';
import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_ZERO, snapshotPage } from '../model/hmm.ts';
import { propertyById } from '../properties/index.ts';
import { heldProperties, loadManifest } from '../src/verdicts.ts';
import { defaultBudget } from '../src/check.ts';
import { runActions } from '../src/run.ts';
import { Scenario } from './hmm-scenario.ts';
import { act, failsAtEnd, holdsOver, model } from './helpers.ts';

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
});
