// Symmetry reduction over job slots and invalidation slots (model/symmetry.ts): for every strategy that
// says where it stores them, the sorted form of a state must have the same successors as the state itself
// (up to sorting), with the same verdicts, and every relabelling of a state must sort to the same form.
// Checked along seeded random walks at a scope with three job slots and three invalidation slots; then
// the reduction is measured (states with and without it, pinned) and its counterexamples replay.
import { describe, it, expect } from 'vitest';
import seedrandom from 'seedrandom';
import { enabled, init, makeModel, stepInPlace, type Model } from '../model/model.ts';
import { strategies, strategyByName } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import { clonePlain } from '../model/clone.ts';
import { relabelInvSlots, relabelJobSlots } from '../model/symmetry.ts';
import { verdictProperties, propertyById } from '../properties/index.ts';
import { Monitor } from '../src/system.ts';
import { proveModel } from '../src/prove.ts';
import { runActions } from '../src/run.ts';
import type { Config, State } from '../model/types.ts';

// Each step compares every successor of a state with every successor of its sorted form: walks are few
// (DMACHECK_DEEP=1: three times as many).
const WALKS = process.env.DMACHECK_DEEP === '1' ? 12 : 4;
const STEPS = 30;

const withJobs = (c: Config, jobs: number, invalidations = c.scope.invalidations): Config => ({ ...c, scope: { ...c.scope, jobs, invalidations } });

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

const symmetric = strategies.filter((s) => s.jobSymmetry || s.invSymmetry);

describe('symmetry over job and invalidation slots', () => {
  it('is claimed by some strategies, and turned on only where every property with memory says which of it is per slot', () => {
    expect(strategies.filter((s) => s.jobSymmetry).length).toBeGreaterThanOrEqual(3);
    expect(strategies.filter((s) => s.invSymmetry).length).toBeGreaterThanOrEqual(3);
    const m = makeModel(strategyByName('odp-mirror')!, configByName('kernel-queue')!);
    expect(new Monitor(m, verdictProperties, init(m)).relabelSlots().relabels).toEqual({ jobs: true, invalidations: true });
    // A property with memory that does not say which of it is per job slot (or per invalidation slot) turns that kind off.
    const noJobs = { ...propertyById('transparent')!, byJob: undefined };
    expect(new Monitor(m, [noJobs], init(m)).relabelSlots().relabels).toEqual({ jobs: false, invalidations: true });
    const noInvs = { ...propertyById('notifier-bookkeeping')!, byInv: undefined };
    expect(new Monitor(m, [noInvs], init(m)).relabelSlots().relabels).toEqual({ jobs: true, invalidations: false });
    const m2 = makeModel(strategyByName('peerdirect-revoke')!, configByName('kernel-queue')!);
    expect(strategyByName('peerdirect-revoke')!.jobSymmetry).toBeUndefined();
    expect(new Monitor(m2, verdictProperties, init(m2)).relabelSlots().symmetric).toBe(false);
  });

  for (const s of symmetric) {
    const jobs = s.jobSymmetry !== undefined;
    const invs = s.invSymmetry !== undefined;
    it(`keeps ${s.name}'s futures in each of its configs with ${[jobs ? '3 job slots' : '', invs ? '3 invalidation slots' : ''].filter(Boolean).join(' and ')}: the sorted form has the same successors and verdicts, and every relabelling sorts alike`, () => {
      let relabelled = 0;
      let invsRelabelled = 0;
      for (const cname of s.configs) {
        const c = configByName(cname)!;
        const m = makeModel(s, withJobs(c, jobs ? 3 : c.scope.jobs, invs ? 3 : undefined));
        const rng = seedrandom(`symmetry ${s.name} ${cname}`);
        let compared = 0;
        for (let w = 0; w < WALKS; w++) {
          const a = init(m);
          // The liveness properties judge a state alone (stateOnly): sorted alike, judged alike; left out here for time.
          let ma = new Monitor(m, verdictProperties, a).deferStateOnly().relabelSlots();
          for (let i = 0; i < STEPS; i++) {
            const c = clonePlain(a);
            const mc = ma.clone(c);
            mc.canonicalize(c);
            const plain = clonePlain(a);
            new Monitor(m, verdictProperties, plain, clonePlain(ma.memory())).canonicalize(plain);
            if (JSON.stringify(plain.jobs) !== JSON.stringify(c.jobs)) relabelled++;
            if (JSON.stringify(plain.invs) !== JSON.stringify(c.invs)) invsRelabelled++;
            // The state and its sorted form: the same successors, up to sorting, with the same verdicts.
            expect(successors(m, c, mc), `step ${i} of walk ${w}`).toEqual(successors(m, a, ma));
            // A relabelling of the state (a rotation of its slots) sorts to the same form.
            const r = clonePlain(a);
            const mr = ma.clone(r);
            const perm = a.jobs.map((_, k) => (k + 1) % a.jobs.length);
            const mem = mr.memory();
            if (jobs) relabelJobSlots(r, s.jobSymmetry!, verdictProperties.map((p, k) => ({ mem: mem[k], byJob: p.byJob ?? [], inKey: true })).filter((x) => x.byJob.length > 0), perm);
            if (invs) {
              const rot = a.invs.map((_, k) => (k + 1) % a.invs.length);
              relabelInvSlots(r, s.invSymmetry!, verdictProperties.map((p, k) => ({ mem: mem[k], byInv: p.byInv ?? [], inKey: true })).filter((x) => x.byInv.length > 0), rot);
              if (JSON.stringify(r.invs) !== JSON.stringify(a.invs)) invsRelabelled++; // the rotation moved an invalidation
            }
            expect(sorted(m, r, mr, null), `a relabelling at step ${i} of walk ${w}`).toBe(sorted(m, a, ma, null));
            if (JSON.stringify(r.jobs) !== JSON.stringify(a.jobs)) relabelled++; // the rotation moved a job
            compared++;
            const acts = enabled(m, a);
            if (acts.length === 0) break;
            const act = acts[Math.floor(rng() * acts.length)]!;
            // After a violation the monitors start afresh from the state (a broken monitor's memory is
            // half updated), and the walk goes on: a design that fails early still reaches states with jobs.
            if (ma.check(a, stepInPlace(m, a, act))) ma = new Monitor(m, verdictProperties, a).deferStateOnly().relabelSlots();
          }
          ma = new Monitor(m, verdictProperties, init(m)).deferStateOnly().relabelSlots();
        }
        expect(compared, cname).toBeGreaterThan(WALKS * 5);
      }
      // The check means something only if the walks met states whose slots the sort reorders, or whose
      // rotation moved a job (in some config: mirror-blocking-notifier's user-queue walks never get a job).
      if (jobs) expect(relabelled).toBeGreaterThan(0);
      if (invs) expect(invsRelabelled).toBeGreaterThan(0);
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

  // Two processes, each forking or unmapping at once: two invalidations in flight, in either slot.
  const forkCfg = { ...configByName('kernel-queue-fork-2021')!, scope: { ...configByName('kernel-queue-fork-2021')!.scope, procs: 2, vpages: 1, frames: 1, jobs: 1, invalidations: 2 } };

  it('proves pin-per-job with 2 invalidation slots in fewer states (pinned), and a mutant fails as shortly', () => {
    const ndaf = [propertyById('no-dma-after-free')!];
    const m = makeModel(strategyByName('pin-per-job')!, forkCfg);
    const withSym = proveModel(m, ndaf, { maxStates: 2_000_000 });
    const without = proveModel(m, ndaf, { maxStates: 2_000_000, symmetry: false });
    expect(withSym.proved.map((p) => p.property)).toEqual(['no-dma-after-free']);
    expect(without.proved.map((p) => p.property)).toEqual(['no-dma-after-free']);
    // Two invalidation slots (one job slot: nothing to sort there): an invalidation of p0 in slot 1 and
    // one of p1 in slot 0 is the state with the two swapped.
    expect({ with: withSym.proved[0]!.states, without: without.proved[0]!.states }).toEqual({ with: 11327, without: 17364 });
    const mu = makeModel(strategyByName('pin-per-job')!, forkCfg, 'unpin-at-handoff');
    const a = proveModel(mu, ndaf, { maxStates: 2_000_000 });
    const b = proveModel(mu, ndaf, { maxStates: 2_000_000, symmetry: false });
    expect(a.failures.map((f) => [f.property, f.actions.length])).toEqual([['no-dma-after-free', 6]]);
    expect(b.failures.map((f) => [f.property, f.actions.length])).toEqual([['no-dma-after-free', 6]]);
    expect(runActions(mu, a.failures[0]!.actions, ndaf).violation?.property).toBe('no-dma-after-free');
  });
});
