// Symmetry reduction over job slots (model/symmetry.ts): for every strategy that says where it stores job
// slots, the sorted form of a state must have the same successors as the state itself (up to sorting),
// with the same verdicts, and every relabelling of a state must sort to the same form. Checked along
// seeded random walks at a scope with three job slots; then the reduction is measured (states with and
// without it, pinned) and its counterexamples replay.
import { describe, it, expect } from 'vitest';
import seedrandom from 'seedrandom';
import { enabled, init, makeModel, stepInPlace, type Model } from '../model/model.ts';
import { strategies, strategyByName } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import { clonePlain } from '../model/clone.ts';
import { relabelJobSlots } from '../model/symmetry.ts';
import { verdictProperties, propertyById } from '../properties/index.ts';
import { Monitor } from '../src/system.ts';
import { proveModel } from '../src/prove.ts';
import { runActions } from '../src/run.ts';
import type { Config, State } from '../model/types.ts';

// Each step compares every successor of a state with every successor of its sorted form: walks are few.
const WALKS = 6;
const STEPS = 30;

const withJobs = (c: Config, jobs: number): Config => ({ ...c, scope: { ...c.scope, jobs } });

/** The sorted canonical form of (state, monitors) and the verdict the step into it gave, as one string. */
function sorted(m: Model, s: State, mon: Monitor, verdict: string | null): string {
  const c = clonePlain(s);
  const cm = mon.clone(c);
  cm.canonicalize(c);
  return JSON.stringify([verdict, c, cm.memory()]);
}

/** Every successor of (s, mon), each in sorted canonical form with the verdict its step gave. */
function successors(m: Model, s: State, mon: Monitor): string[] {
  return enabled(m, s)
    .map((a) => {
      const x = clonePlain(s);
      const mx = mon.clone(x);
      const v = mx.check(x, stepInPlace(m, x, a));
      return sorted(m, x, mx, v?.property ?? null);
    })
    .sort();
}

const symmetric = strategies.filter((s) => s.jobSymmetry);

describe('symmetry over job slots', () => {
  it('is claimed by some strategies, and turned on only where every property with memory says which of it is per slot', () => {
    expect(symmetric.map((s) => s.name).length).toBeGreaterThanOrEqual(3);
    const m = makeModel(strategyByName('odp-mirror')!, configByName('kernel-queue')!);
    expect(new Monitor(m, verdictProperties, init(m)).relabelJobs().symmetric).toBe(true);
    const noSay = { ...propertyById('transparent')!, byJob: undefined };
    expect(new Monitor(m, [noSay], init(m)).relabelJobs().symmetric).toBe(false);
    const m2 = makeModel(strategyByName('peerdirect-revoke')!, configByName('kernel-queue')!);
    expect(strategyByName('peerdirect-revoke')!.jobSymmetry).toBeUndefined();
    expect(new Monitor(m2, verdictProperties, init(m2)).relabelJobs().symmetric).toBe(false);
  });

  for (const s of symmetric) {
    it(`keeps ${s.name}'s futures in each of its configs with 3 job slots: the sorted form has the same successors and verdicts, and every relabelling sorts alike`, () => {
      let relabelled = 0;
      for (const cname of s.configs) {
        const m = makeModel(s, withJobs(configByName(cname)!, 3));
        const rng = seedrandom(`symmetry ${s.name} ${cname}`);
        let compared = 0;
        for (let w = 0; w < WALKS; w++) {
          const a = init(m);
          // The liveness properties judge a state alone (stateOnly): sorted alike, judged alike; left out here for time.
          let ma = new Monitor(m, verdictProperties, a).deferStateOnly().relabelJobs();
          for (let i = 0; i < STEPS; i++) {
            const c = clonePlain(a);
            const mc = ma.clone(c);
            mc.canonicalize(c);
            const plain = clonePlain(a);
            new Monitor(m, verdictProperties, plain, clonePlain(ma.memory())).canonicalize(plain);
            if (JSON.stringify(plain.jobs) !== JSON.stringify(c.jobs)) relabelled++;
            // The state and its sorted form: the same successors, up to sorting, with the same verdicts.
            expect(successors(m, c, mc), `step ${i} of walk ${w}`).toEqual(successors(m, a, ma));
            // A relabelling of the state (a rotation of its slots) sorts to the same form.
            const r = clonePlain(a);
            const mr = ma.clone(r);
            const perm = a.jobs.map((_, k) => (k + 1) % a.jobs.length);
            const mem = mr.memory();
            relabelJobSlots(r, s.jobSymmetry!, verdictProperties.map((p, k) => ({ mem: mem[k], byJob: p.byJob ?? [], inKey: true })).filter((x) => x.byJob.length > 0), perm);
            expect(sorted(m, r, mr, null), `a relabelling at step ${i} of walk ${w}`).toBe(sorted(m, a, ma, null));
            if (JSON.stringify(r.jobs) !== JSON.stringify(a.jobs)) relabelled++; // the rotation moved a job
            compared++;
            const acts = enabled(m, a);
            if (acts.length === 0) break;
            const act = acts[Math.floor(rng() * acts.length)]!;
            // After a violation the monitors start afresh from the state (a broken monitor's memory is
            // half updated), and the walk goes on: a design that fails early still reaches states with jobs.
            if (ma.check(a, stepInPlace(m, a, act))) ma = new Monitor(m, verdictProperties, a).deferStateOnly().relabelJobs();
          }
          ma = new Monitor(m, verdictProperties, init(m)).deferStateOnly().relabelJobs();
        }
        expect(compared, cname).toBeGreaterThan(WALKS * 5);
      }
      // The check means something only if the walks met states whose slots the sort reorders, or whose
      // rotation moved a job (in some config: mirror-blocking-notifier's user-queue walks never get a job).
      expect(relabelled).toBeGreaterThan(0);
    });
  }
});

describe('the reduction, measured', () => {
  // One page, two frames, two job slots: small enough to search twice in the suite.
  const cfg = withJobs({ ...configByName('kernel-queue')!, scope: { ...configByName('kernel-queue')!.scope, procs: 1, vpages: 1, frames: 2, invalidations: 1 } }, 2);
  const props = ['no-dma-after-free', 'coherent-dma', 'isolation'].map((id) => propertyById(id)!);

  it('proves the same properties of pin-per-job with 2 job slots in fewer states (pinned)', () => {
    const m = makeModel(strategyByName('pin-per-job')!, cfg);
    const withSym = proveModel(m, props, { maxStates: 2_000_000 });
    const without = proveModel(m, props, { maxStates: 2_000_000, symmetry: false });
    expect(withSym.proved.map((p) => p.property)).toEqual(without.proved.map((p) => p.property));
    expect(withSym.proved.every((p) => p.symmetric)).toBe(true);
    expect(without.proved.some((p) => p.symmetric)).toBe(false);
    // Two job slots: one state of each pair that differs only by which slot holds which job.
    expect({ with: withSym.proved[0]!.states, without: without.proved[0]!.states }).toEqual({ with: 15813, without: 30885 });
  });

  it('gives a mutant a shortest counterexample of the same length, which replays, with or without it', () => {
    const m = makeModel(strategyByName('pin-per-job')!, cfg, 'unpin-at-handoff');
    const killer = [propertyById('no-dma-after-free')!];
    const withSym = proveModel(m, killer, { maxStates: 2_000_000 });
    const without = proveModel(m, killer, { maxStates: 2_000_000, symmetry: false });
    expect(withSym.failures.length).toBeGreaterThan(0);
    expect(withSym.failures.map((f) => [f.property, f.actions.length])).toEqual(without.failures.map((f) => [f.property, f.actions.length]));
    for (const f of withSym.failures) {
      const r = runActions(m, f.actions, [propertyById(f.property)!]);
      expect(r.violation?.property, f.property).toBe(f.property);
    }
  });
});
