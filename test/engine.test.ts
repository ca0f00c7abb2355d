// The engine's shortcuts keep every answer: the compiled copier copies exactly, the frontier's packed
// entries read back exactly, a depth-first search proves what the breadth-first one proves, and a
// property that says it judges only the state (Property.stateOnly) does, so that an exhaustive search
// may check it once per distinct state.
import { describe, it, expect } from 'vitest';
import { driverEnabled, enabled, init, overridesWorldKind, stepInPlace } from '../model/model.ts';
import { ShapeCopier, clonePlain } from '../model/clone.ts';
import { strategies } from '../model/strategies/index.ts';
import { configs, proofConfig } from '../model/configs.ts';
import { makeModel } from '../model/model.ts';
import { allProperties, optInProperties, verdictProperties } from '../properties/index.ts';
import { TokenArena } from '../src/explore/codec.ts';
import { oracleFor, viewOf } from '../src/system.ts';
import { proveModel } from '../src/prove.ts';
import { bfsExplore } from '../src/explore/bfs.ts';
import { systemOf, Monitor } from '../src/system.ts';
import { model } from './helpers.ts';

/** A fixed pseudo-random sequence (the tests stay deterministic). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
}

describe('the compiled copier', () => {
  it('copies every state of a walk exactly, sharing nothing with the original', () => {
    const m = model('queue-preempt', 'user-queue');
    const copier = new ShapeCopier();
    const s = init(m);
    const rnd = lcg(7);
    for (let i = 0; i < 400; i++) {
      const acts = enabled(m, s);
      stepInPlace(m, s, acts[rnd() % acts.length]!);
      const c = copier.clone(s);
      expect(c).toEqual(s);
      c.frames[0]!.gen += 1;
      c.jobs[0]!.state = 'failed';
      expect(s.frames[0]!.gen).not.toBe(c.frames[0]!.gen);
    }
  });

  it('copies a value of another shape by the generic path', () => {
    const copier = new ShapeCopier();
    copier.clone({ a: [1, 2], b: { c: 1 } });
    const odd = { a: [1, 2, 3], b: { c: [4] } };
    expect(copier.clone(odd)).toEqual(odd);
  });

  it('refuses a record that gained a key, which would be lost in a copy', () => {
    const copier = new ShapeCopier();
    copier.clone({ a: 1 });
    expect(() => copier.clone({ a: 1, b: 2 })).toThrow(/gained, lost or reordered a key/);
  });
});

describe('the frontier', () => {
  it('reads back every entry exactly, whatever differs between neighbours', () => {
    const arena = new TokenArena(64, 256);
    const rnd = lcg(3);
    const entries: Int32Array[] = [];
    for (let i = 0; i < 500; i++) {
      const n = 1 + (rnd() % 40);
      const prev = entries[entries.length - 1];
      const t = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const r = rnd() % 10;
        // Mostly the neighbour's token, sometimes small or huge changes, negative ones too.
        t[k] = prev !== undefined && k < prev.length && r < 7 ? prev[k]! : r === 9 ? (rnd() | 0) : (rnd() % 200) - 100;
      }
      entries.push(t);
      arena.push(i * 3 - 700, t, n);
    }
    const back: { tag: number; t: number[] }[] = [];
    arena.forEach((tag, t, n) => back.push({ tag, t: [...t.subarray(0, n)] }));
    expect(back).toEqual(entries.map((t, i) => ({ tag: i * 3 - 700, t: [...t] })));
  });
});

describe("the oracle's driver-first dives", () => {
  // They read the driver's actions alone (driverEnabled) and take the first allowed one of the driver's
  // kinds, which is what the whole list would give only if the driver's actions are its tail, in the
  // same order, and the world's part holds none of the driver's kinds.
  it("read the driver's actions as the tail of enabled(), with no driver kind before it, along walks of every strategy in every config", () => {
    let states = 0;
    for (const st of strategies) {
      const own = new Set(st.actionKinds.map((k) => k.kind));
      for (const c of st.configs) {
        const m = makeModel(st, configs.find((x) => x.name === c)!);
        expect(overridesWorldKind(m), `${st.name} declares a kind the world has`).toBe(false);
        const rnd = lcg(11);
        const s = init(m);
        for (let i = 0; i < 40; i++) {
          const all = enabled(m, s);
          const drv = driverEnabled(m, s);
          expect(all.slice(all.length - drv.length), `${st.name} in ${c}, step ${i}`).toEqual(drv);
          expect(all.slice(0, all.length - drv.length).some((a) => own.has(a.k)), `${st.name} in ${c}: the world emits a driver kind`).toBe(false);
          states++;
          if (all.length === 0) break;
          stepInPlace(m, s, all[rnd() % all.length]!);
        }
      }
    }
    expect(states).toBeGreaterThan(1000);
  });
});

describe('depth-first search', () => {
  it('proves what breadth-first search proves and fails what it fails, over the whole space', () => {
    const m = makeModel(strategies.find((s) => s.name === 'pin-longterm')!, proofConfig(configs.find((c) => c.name === 'kernel-queue')!));
    const props = verdictProperties.filter((p) => !p.observesValues);
    const bfs = proveModel(m, props, { maxStates: 1_000_000, order: 'breadth' });
    const dfs = proveModel(m, props, { maxStates: 1_000_000, order: 'depth' });
    const verdicts = (r: typeof bfs) => ({
      proved: r.proved.map((p) => `${p.property}:${p.premiseReached}`).sort(),
      fails: r.failures.map((f) => f.property).sort(),
      unfinished: r.unfinished.length,
    });
    expect(verdicts(dfs)).toEqual(verdicts(bfs));
    expect(bfs.failures.length).toBeGreaterThan(0);
    // Breadth-first gives the shortest counterexamples; depth-first's are no shorter.
    for (const f of dfs.failures) expect(f.actions.length).toBeGreaterThanOrEqual(bfs.failures.find((g) => g.property === f.property)!.actions.length);
  });

  it('takes no depth bound', () => {
    const m = model('pin-per-job', 'kernel-queue');
    expect(() => bfsExplore(systemOf(m), (s) => new Monitor(m, [], s), { maxDepth: 5, maxStates: 100, order: 'depth' })).toThrow(/no depth bound/);
  });
});

describe('properties that judge only the state', () => {
  const stateOnly = [...allProperties, ...optInProperties].filter((p) => p.stateOnly);

  it('are the liveness properties that ask the oracle about what is waited on, and the kernel-object lifetime check', () => {
    expect(stateOnly.map((p) => p.id).sort()).toEqual(['bounded-notifier', 'no-deadlock', 'no-hung-task', 'no-kernel-use-after-free', 'nonblocking-invalidate']);
  });

  it('give the same verdict without the events or their memory, along walks of every strategy', () => {
    let judged = 0;
    for (const strategy of strategies) {
      for (const name of strategy.configs) {
        const m = makeModel(strategy, proofConfig(configs.find((c) => c.name === name)!));
        const rnd = lcg(11);
        for (let w = 0; w < 3; w++) {
          const s = init(m);
          const mems = stateOnly.map((p) => p.init(viewOf(m, s)));
          for (let i = 0; i < 25; i++) {
            const acts = enabled(m, s);
            if (acts.length === 0) break;
            const events = stepInPlace(m, s, acts[rnd() % acts.length]!);
            stateOnly.forEach((p, k) => {
              const oracle = oracleFor(m, s);
              const withAll = p.check(mems[k], { view: viewOf(m, clonePlain(s)), events, oracle });
              const alone = p.check(p.init(viewOf(m, s)), { view: viewOf(m, clonePlain(s)), events: [], oracle });
              expect(alone?.clause ?? null).toBe(withAll?.clause ?? null);
              judged++;
            });
          }
        }
      }
    }
    expect(judged).toBeGreaterThan(1000);
  });
});
