// The three explorers over one model agree: what one kills at the default scope the others kill too;
// none reports a violation of a property the correct design holds; exhaustive search gives the shortest
// trace; a seed string reproduces a walk. Budgets are small: speed is measured in bench/, not here.
import { describe, it, expect } from 'vitest';
import { enabled, init, stepInPlace, formatAction } from '../model/model.ts';
import { propertyById, witnesses } from '../properties/index.ts';
import type { Property } from '../properties/types.ts';
import { checkModel } from '../src/check.ts';
import { Monitor, oracleFor, systemOf, viewOf } from '../src/system.ts';
import { bfsCheck, walkCheck } from '../src/explore-model.ts';
import { bfsExplore, reachable } from '../src/explore/bfs.ts';
import { walkExplore, walkSeed } from '../src/explore/walk.ts';
import { Codec, fingerprint } from '../src/explore/codec.ts';
import type { Checker, TransitionSystem } from '../src/explore/system.ts';
import { act, model, play } from './helpers.ts';

const props = (...ids: string[]): Property<any>[] => ids.map((id) => propertyById(id)!);

const walkBudget = { seed: 'explorers-test', walks: 2000, maxSteps: 120 };

describe('the explorers agree on mutants', () => {
  const cases = [
    { strategy: 'pin-longterm', mutant: 'put-page-not-unpin', property: 'pins-balanced', shortest: 3, depth: 6 },
    // register, gup_fast_recheck (a fork may come), ...: with the extra step seed 5's 200 runs miss it, seed 4's find it.
    { strategy: 'pin-longterm', mutant: 'unpin-before-dma-lands', property: 'no-dma-after-free', shortest: 8, depth: 9, seed: 4 },
  ];
  for (const c of cases) {
    it(`${c.strategy}/${c.mutant} breaks ${c.property} under walks, fast-check and exhaustive search, whose trace is shortest`, () => {
      const m = model(c.strategy, 'kernel-queue', c.mutant);
      const p = props(c.property);
      const walk = walkCheck(m, p, walkBudget);
      expect(walk.failures.map((f) => f.property)).toEqual([c.property]);
      // (seed 5: with the OOM killer in the world, seed 1's 200 runs no longer reach the 7-step trace)
      const fc = checkModel(m, p, { runs: 200, maxCommands: 40, seed: c.seed ?? 5 });
      expect(fc.failures.map((f) => f.property)).toEqual([c.property]);
      const bfs = bfsCheck(m, p, { maxDepth: c.depth, maxStates: 400_000 });
      expect(bfs.failures.map((f) => f.property)).toEqual([c.property]);
      const shortest = bfs.failures[0]!.actions.length;
      expect(shortest).toBe(c.shortest);
      expect(shortest).toBeLessThanOrEqual(walk.failures[0]!.actions.length);
      expect(shortest).toBeLessThanOrEqual(fc.failures[0]!.actions.length);
    });
  }

  it('odp-mirror/no-read-retry is killed by walks and by fast-check, and exhaustive search finds nothing shorter than depth 6', () => {
    const m = model('odp-mirror', 'kernel-queue', 'no-read-retry');
    const p = props('coherent-dma');
    const walk = walkCheck(m, p, walkBudget);
    expect(walk.failures.map((f) => f.property)).toEqual(['coherent-dma']);
    expect(checkModel(m, p, { runs: 300, maxCommands: 40, seed: 1 }).failures.map((f) => f.property)).toEqual(['coherent-dma']);
    // The bug needs a fault to race an invalidation: no trace of 6 actions shows it.
    const bfs = bfsCheck(m, p, { maxDepth: 6, maxStates: 400_000 });
    expect(bfs.stats.exhausted).toBe(true);
    expect(bfs.failures).toEqual([]);
    expect(walk.failures[0]!.actions.length).toBeGreaterThan(6);
  });
});

describe('no explorer reports a violation of what the correct design holds', () => {
  const held = ['no-dma-after-free', 'coherent-dma', 'no-lost-write', 'isolation', 'no-fatal-device-fault', 'pins-balanced', 'bounded-notifier'];
  const m = model('odp-mirror', 'kernel-queue');
  const p = [...props(...held), ...witnesses];

  it('walks: odp-mirror in kernel-queue holds all seven properties and reaches the interesting states', () => {
    const r = walkCheck(m, p, { seed: 'holds', walks: 150, maxSteps: 150 });
    expect(r.failures.map((f) => `${f.property}: ${f.actions.map((a) => formatAction(m, a)).join('; ')}`)).toEqual([]);
    expect(r.holds.sort()).toEqual([...held].sort());
    expect(r.stats.actions).toBeGreaterThan(10_000);
    expect(r.reached).toContain('sometimes-invalidate-during-dma');
    expect(r.reached).toContain('sometimes-fault-retried');
  });

  it('exhaustive search: odp-mirror in kernel-queue holds all seven properties in every trace of 5 actions', () => {
    const r = bfsCheck(m, p, { maxDepth: 5, maxStates: 200_000 });
    expect(r.failures).toEqual([]);
    expect(r.holds.sort()).toEqual([...held].sort());
    expect(r.stats.exhausted).toBe(true);
    expect(r.stats.depth).toBe(5);
    expect(r.stats.states).toBeGreaterThan(1000);
  });

  it('fast-check: odp-mirror in kernel-queue holds all seven properties', () => {
    const r = checkModel(m, p, { runs: 400, maxCommands: 40, seed: 3 });
    expect(r.failures).toEqual([]);
    expect(r.holds.sort()).toEqual([...held].sort());
    // The runs did run: 400 of them, about half their commands on average, and they reached DMA, migration
    // and a retried fault (not a DMA during an invalidation: that needs the suites' longer runs).
    expect(r.stats.runs).toBe(400);
    expect(r.stats.executed).toBeGreaterThan(400 * 15);
    for (const w of ['sometimes-dma-landed', 'sometimes-migrated', 'sometimes-fault-retried']) expect([...r.reached]).toContain(w);
  });
});

describe('seeded walks reproduce', () => {
  const m = model('odp-mirror', 'kernel-queue', 'no-read-retry');
  const p = props('coherent-dma');

  it('the same seed string gives the same result, and another seed another walk', () => {
    const a = walkCheck(m, p, { seed: 'nightly-2026-12-01', walks: 300, maxSteps: 150 });
    const b = walkCheck(m, p, { seed: 'nightly-2026-12-01', walks: 300, maxSteps: 150 });
    expect(a.failures.length, 'the walks kill the mutant').toBe(1);
    expect(b.failures.map((f) => f.actions)).toEqual(a.failures.map((f) => f.actions));
    expect(b.failures[0]!.seed).toBe(a.failures[0]!.seed);
    expect(b.stats.actions).toBe(a.stats.actions);
    const c = walkCheck(m, p, { seed: 'nightly-2026-12-02', walks: 300, maxSteps: 150 });
    expect(c.stats.actions === a.stats.actions && c.failures[0]?.seed === a.failures[0]?.seed).toBe(false);
  });

  it("a failing walk's own seed string replays that walk alone, step for step", () => {
    const sys = systemOf(m);
    const opts = { seed: 'nightly-2026-12-01', walks: 300, maxSteps: 150 };
    const first = walkExplore(sys, (s) => new Monitor(m, p, s), opts).failure!;
    expect(first, 'the walks kill the mutant').not.toBeNull();
    expect(first.seed).toMatch(/^nightly-2026-12-01#\d+$/);
    const again = walkExplore(sys, (s) => new Monitor(m, p, s), { ...opts, seed: first.seed, walks: 1 }).failure!;
    expect(again.actions).toEqual(first.actions);
    expect(again.seed).toBe(first.seed);
    expect(walkSeed('nightly-2026-12-01#17', 3)).toBe('nightly-2026-12-01#20');
  });
});

/** A toy system with nothing of the kernel: two counters mod 3, and a property that breaks at (2, 2). */
function counters(): TransitionSystem<number[], string, string> {
  return {
    init: () => [0, 0],
    enabled: () => ['a', 'b'],
    step: (s, a) => {
      const i = a === 'a' ? 0 : 1;
      s[i] = (s[i]! + 1) % 3;
      return [a];
    },
    clone: (s) => [...s],
    key: (s) => s.join(','),
    actor: () => 'kernel',
    kind: (a) => a,
    kinds: [
      { kind: 'a', actor: 'kernel' },
      { kind: 'b', actor: 'user' },
    ],
  };
}

class ToyChecker implements Checker<number[], string, string> {
  reached = new Set<string>();
  private mem: unknown[] = [0];
  constructor(private readonly bad: boolean) {}
  check(s: number[], events: readonly string[]): string | null {
    this.mem = [(this.mem[0] as number) + events.length > 0 ? 1 : 0];
    return this.bad && s[0] === 2 && s[1] === 2 ? 'both at 2' : null;
  }
  memory(replace?: unknown[]): unknown[] {
    if (replace) this.mem = replace;
    return this.mem;
  }
}

describe('the explorers are generic over a transition system', () => {
  it('exhaustive search closes a finite space, counting its nodes exactly', () => {
    const r = bfsExplore(counters(), () => new ToyChecker(false), { maxDepth: 100, maxStates: 1000 });
    expect(r.failure).toBeNull();
    expect(r.stats.states).toBe(9 + 1); // 9 states with memory [1], and the initial node with memory [0]
    expect(r.stats.closed).toBe(true);
    expect(r.stats.depth).toBe(4);
  });

  it('exhaustive search finds a shortest trace to a violation, and walks find one too', () => {
    const r = bfsExplore(counters(), () => new ToyChecker(true), { maxDepth: 100, maxStates: 1000 });
    expect(r.failure!.actions.length).toBe(4);
    expect([...r.failure!.actions].sort()).toEqual(['a', 'a', 'b', 'b']);
    const w = walkExplore(counters(), () => new ToyChecker(true), { seed: 'toy', walks: 50, maxSteps: 50 });
    expect(w.failure!.violation).toBe('both at 2');
    expect(w.failure!.actions.length).toBeGreaterThanOrEqual(4);
  });

  it('a budget of states stops the search and says the scope was not exhausted', () => {
    const r = bfsExplore(counters(), () => new ToyChecker(false), { maxDepth: 100, maxStates: 5 });
    expect(r.stats.states).toBe(5);
    expect(r.stats.exhausted).toBe(false);
    expect(r.stats.closed).toBe(false);
  });
});

describe('the state encoding', () => {
  const m = model('odp-mirror', 'kernel-queue');

  it('decodes to an equal state, and equal states get equal fingerprints, along a walk', () => {
    const codec = new Codec();
    const s = init(m);
    const fp1 = new Int32Array(2);
    const fp2 = new Int32Array(2);
    for (let i = 0; i < 300; i++) {
      const acts = enabled(m, s);
      stepInPlace(m, s, acts[(i * 7) % acts.length]!);
      const node = [s, [{ ref: [[1, null]] }]];
      codec.encode(node);
      const tokens = codec.buf.slice(0, codec.len);
      fingerprint(tokens, tokens.length, fp1);
      const back = codec.decode(tokens);
      expect(back).toEqual(node);
      codec.encode(back);
      fingerprint(codec.buf, codec.len, fp2);
      expect([...fp2]).toEqual([...fp1]);
    }
    expect(codec.genericCount).toBe(0);
  });

  it('tells apart states that differ in one field, in records, arrays and the monitor memory', () => {
    const codec = new Codec();
    const key = (x: unknown) => (codec.encode(x), codec.buf.slice(0, codec.len).join(','));
    const s = init(m);
    const base = key([s, [null]]);
    const t = structuredClone(s);
    t.frames[3]!.gen++;
    expect(key([t, [null]])).not.toBe(base);
    expect(key([s, [{ ref: [[0]] }]])).not.toBe(base);
    const u = structuredClone(s);
    u.jobs[1]!.state = 'ready';
    expect(key([u, [null]])).not.toBe(base);
    expect(key([s, [null]])).toBe(base);
  });

  it('a value of another shape takes the generic path and still round-trips', () => {
    const codec = new Codec();
    codec.encode({ a: [1, 2], b: { c: true } });
    const odd = { a: [1, 2, 3], b: { c: 'x' } };
    codec.encode(odd);
    expect(codec.genericCount).toBe(1);
    expect(codec.decode(codec.buf.slice(0, codec.len))).toEqual(odd);
  });
});

describe('the progress oracle on the same machinery', () => {
  it('reachable() answers as oracleFor does for pending callbacks along walks', () => {
    const answers = new Set<string>();
    for (const [strategy, config] of [
      ['mirror-blocking-notifier', 'user-queue'],
      ['odp-mirror', 'kernel-queue'],
    ] as const) {
      const m = model(strategy, config);
      const sys = systemOf(m);
      const s = init(m);
      let asked = 0;
      for (let i = 0; i < 400 && asked < 40; i++) {
        const acts = enabled(m, s);
        if (acts.length === 0) break;
        stepInPlace(m, s, acts[(i * 13 + (i >> 3)) % acts.length]!);
        const inv = s.invs.findIndex((x) => x.live && x.cb.some((c) => c !== 255));
        if (inv < 0) continue;
        asked++;
        const done = (v: ReturnType<typeof viewOf>) => !v.invs[inv]!.live || v.invs[inv]!.cb.every((c) => c === 255);
        const want = oracleFor(m, s).reach(done, m.cfg.oracleBound);
        const got = reachable(sys, s, (t) => done(viewOf(m, t)), m.cfg.oracleBound, (a) => sys.actor(a) !== 'user');
        expect(got, `${strategy} step ${i}`).toBe(want);
        answers.add(`${strategy}: ${got}`);
      }
      expect(asked).toBeGreaterThan(5);
    }
    expect([...answers].sort()).toEqual(['mirror-blocking-notifier: true', 'odp-mirror: true']);
    // The walks only meet callbacks that can return; the answer 'no' too: a callback waiting on the fence
    // of a job that only user space completes (mirror-blocking-notifier, user queue).
    const m = model('mirror-blocking-notifier', 'user-queue');
    const faultIn = (slot: number) => [act('read_begin', slot), act('range_fault', slot), act('fault_commit', slot)];
    const { s } = play(m, [act('register', 0), ...faultIn(2), ...faultIn(3), act('submit', 0, 0), act('dma_start', 0), act('dma_land', 0), act('migrate', 0, 0)]);
    const done = (v: ReturnType<typeof viewOf>) => !v.invs[0]!.live || v.invs[0]!.cb.every((c) => c === 255);
    expect(oracleFor(m, s).reach(done, m.cfg.oracleBound)).toBe(false);
    const sys = systemOf(m);
    expect(reachable(sys, s, (t) => done(viewOf(m, t)), m.cfg.oracleBound, (a) => sys.actor(a) !== 'user')).toBe(false);
    // With user space allowed, the job completes and the callback returns.
    expect(oracleFor(m, s).reach(done, m.cfg.oracleBound, ['kernel', 'hardware', 'user'])).toBe(true);
  });
});
