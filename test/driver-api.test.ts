// The API a user's driver is written and checked with: defineStrategy, runActions' state and events,
// and the one-call check of dmacheck/vitest.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineStrategy, NONE, DEV, makeModel, configByName, runActions, replayFile, ownDeviceMemory, deviceAlloc, mm, init, type State } from '../src/index.ts';
import { checkStrategy, checkMutants, StrategyCheckError, defaultClaims } from '../src/vitest.ts';
import { odpMirror } from '../model/strategies/odp-mirror.ts';
import { pinLongterm } from '../model/strategies/pin-longterm.ts';
import { act } from './helpers.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'dmacheck-api-'));
const budget = { runs: 200, maxCommands: 60 };

describe('defineStrategy', () => {
  const base = {
    name: 'plain-check',
    summary: 's',
    from: 'test',
    device: { kind: 'gpu' as const, recoverable: false },
    configs: ['kernel-queue'],
    mutants: [],
    needsRegistration: false,
    actionKinds: [],
    enabled() {},
    apply() {},
  };

  it('fills the hooks it is not given: a submitted job goes straight to the hardware', () => {
    const s = defineStrategy({ ...base, init: (): { n: number } => ({ n: 0 }) });
    const m = makeModel(s, configByName('kernel-queue')!);
    const r = runActions(m, [act('submit', 0, 0)]);
    expect(r.state.jobs[0]!.state).toBe('ready');
    expect((r.state as State<{ n: number }>).drv.n).toBe(0);
  });

  it.each([
    [() => ({ m: new Map() }), /drv\.m as a Map object/],
    [() => ({ f: () => 1 }), /drv\.f as a function/],
    [() => ({ a: [1, undefined] }), /drv\.a\[1\] as undefined/],
    [() => ({ x: NaN }), /drv\.x = NaN: expected a finite number/],
  ])('refuses driver state that is not plain data (%#)', (init, msg) => {
    const s = defineStrategy({ ...base, init: init as () => never });
    expect(() => makeModel(s, configByName('kernel-queue')!) && runActions(makeModel(s, configByName('kernel-queue')!), [])).toThrow(msg);
  });
});

describe('device memory of the device under test', () => {
  it('ownDeviceMemory hands the VRAM frames to DEV; deviceAlloc takes one; putFrame frees it with a new generation', () => {
    const s = init(makeModel(odpMirror, configByName('p2p-switch')!));
    const vram = ownDeviceMemory(s);
    expect(vram).toHaveLength(configByName('p2p-switch')!.scope.vram!);
    for (const f of vram) expect(s.frames[f]).toMatchObject({ owner: DEV, kind: 'device-private', free: true });
    const f = deviceAlloc(s, 7);
    expect(vram).toContain(f);
    expect(s.frames[f]).toMatchObject({ owner: DEV, kind: 'device-private', free: false, value: 7, refcount: 1 });
    const gen = s.frames[f]!.gen;
    mm.putFrame(s.frames[f]!);
    expect(s.frames[f]).toMatchObject({ free: true, owner: DEV, gen: gen + 1 });
    // With every VRAM frame taken, there is none left.
    for (const _ of vram) deviceAlloc(s, 0);
    expect(deviceAlloc(s, 0)).toBe(NONE);
  });
});

describe('runActions', () => {
  it('returns the final state and what each action emitted', () => {
    const m = makeModel(pinLongterm, configByName('kernel-queue')!);
    const r = runActions(m, [act('register', 0), act('gup_fast_recheck', 0), act('munmap', 0, 0)]);
    expect(r.events).toHaveLength(3);
    expect(r.events[2]!.map((e) => e.t)).toContain('invalidate_start');
    expect(r.state.regs[0]!.live).toBe(true);
    expect(r.state.dev.mirror[0]![0]!.frame).not.toBe(NONE);
  });
});

describe('checkStrategy (dmacheck/vitest)', () => {
  it('passes a correct design on its default claims, which leave the capabilities out', () => {
    expect(defaultClaims).not.toContain('oom-reclaimable');
    // odp-mirror gives up oom-reclaimable (the manifest says so) and holds everything else.
    const reports = checkStrategy(odpMirror, { configs: ['kernel-queue'], budget, out: null });
    expect(reports[0]!.failures).toEqual([]);
    expect(reports[0]!.holds).toEqual(expect.arrayContaining(['no-dma-after-free', 'coherent-dma', 'bounded-notifier']));
    // Claimed, a capability is checked like the rest.
    expect(() => checkStrategy(odpMirror, { configs: ['kernel-queue'], claims: ['oom-reclaimable'], budget: { runs: 1000, maxCommands: 100 }, out: null })).toThrow(/oom-reclaimable FAILS/);
  });

  it('fails with the explained counterexample, written where replay finds it', () => {
    const out = tmp();
    let err: unknown;
    try {
      checkStrategy(pinLongterm, { configs: ['kernel-queue'], claims: ['coherent-dma'], budget, out });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StrategyCheckError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^pin-longterm in kernel-queue: coherent-dma FAILS in 3 steps/);
    expect(msg).toMatch(/1 {2}user {5}register\(p0\)/);
    expect(msg).toMatch(/✗ coherent-dma \[/);
    const [file] = readdirSync(out);
    expect(file).toBe('pin-longterm--kernel-queue--coherent-dma.json');
    expect(msg).toContain(`npx dmacheck replay ${join(out, file!)}`);
    expect(replayFile(join(out, file!)).ok).toBe(true);
  });

  it('names an unknown claim', () => {
    expect(() => checkStrategy(odpMirror, { claims: ['no-such-property'], out: null })).toThrow(/odp-mirror: claims: unknown property 'no-such-property'/);
  });

  it('checkMutants fails naming the mutants no claimed property catches', () => {
    // get-user-pages breaks isolation (fork cannot see a GUP reference), which is not claimed here; and
    // pin-without-longterm shows only in zone-movable, ro-pin-zero-page only in zero-page, neither checked
    // here. unpin-before-dma-lands needs more than this small budget in kernel-queue since the registration
    // takes gup_fast's re-check as a step of its own (a fork may come): it is caught in the next test.
    const run = () => checkMutants(pinLongterm, { configs: ['kernel-queue'], claims: ['pins-balanced', 'no-dma-after-free'], budget, out: null });
    expect(run).toThrow(/pin-longterm: 4 mutant\(s\) survived the budget, no claimed property caught them: unpin-before-dma-lands, get-user-pages, ro-pin-zero-page, pin-without-longterm$/);
  });

  it('checkMutants says which claimed property caught each mutant, and where', () => {
    // get-user-pages needs a fork (a step per page, model/fork.ts) and the COW break after it: more runs.
    // (Not kernel-queue-fork-2021: the correct design fails isolation there, so a claim of it would not hold.)
    const kills = checkMutants(pinLongterm, { configs: ['kernel-queue', 'zone-movable', 'zero-page'], claims: ['pins-balanced', 'no-dma-after-free', 'isolation', 'movable-offlinable', 'no-lost-write'], budget: { ...budget, runs: 1000 }, out: null });
    expect(kills.map((k) => [k.mutant, k.config, k.property])).toEqual([
      // The small budget of the test above does not reach it; at 1000 runs zone-movable's search does
      // (kernel-queue's did until the register ioctl's gup_fast could run during a fork, which changed the
      // enabled actions and with them the search's path).
      ['unpin-before-dma-lands', 'zone-movable', 'no-dma-after-free'],
      ['put-page-not-unpin', 'kernel-queue', 'pins-balanced'],
      ['get-user-pages', 'kernel-queue', 'no-lost-write'],
      ['ro-pin-zero-page', 'zero-page', 'no-lost-write'],
      ['pin-without-longterm', 'zone-movable', 'movable-offlinable'],
    ]);
  });
});
