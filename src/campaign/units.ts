// Run a range of a campaign's units on one model and fold what they found into a Tally: how many units,
// walks, actions; per property, how many units broke it and the raw trace of the lowest-numbered one;
// the witnesses reached. Tallies merge associatively and commutatively (sums, minima, unions), so the
// order in which workers or shards finish changes nothing.
import type { Model } from '../../model/model.ts';
import type { Action, State } from '../../model/types.ts';
import type { ModelEvent } from '../../model/events.ts';
import type { Property, Violation } from '../../properties/types.ts';
import { Monitor, systemOf } from '../system.ts';
import { walkExplore, type WalkStats } from '../explore/walk.ts';
import { fcExplore } from '../explore/fastcheck.ts';
import { fcSeed, type CampaignExplorer, type UnitRange } from './spec.ts';

/** The first unit (lowest number) that broke a property, as its explorer found it. */
export interface FirstHit {
  unit: number;
  actions: Action[];
  /** The walk's seed string (`seed#u`), or fast-check's numeric seed. */
  seed: string | number;
  /** fast-check's replay path ('' for walks). */
  path: string;
}

export interface PropertyTally {
  /** Units that broke it. */
  units: number;
  first: FirstHit;
}

export interface Tally {
  units: number;
  walks: number;
  actions: number;
  deadEnds: number;
  /** By property id. */
  hits: Record<string, PropertyTally>;
  reached: string[];
}

export function emptyTally(): Tally {
  return { units: 0, walks: 0, actions: 0, deadEnds: 0, hits: {}, reached: [] };
}

/** `a` with `b` folded in (a new value; neither is changed). */
export function mergeTally(a: Tally, b: Tally): Tally {
  const hits: Record<string, PropertyTally> = { ...a.hits };
  for (const [id, h] of Object.entries(b.hits)) {
    const o = hits[id];
    hits[id] = o ? { units: o.units + h.units, first: o.first.unit <= h.first.unit ? o.first : h.first } : h;
  }
  return {
    units: a.units + b.units,
    walks: a.walks + b.walks,
    actions: a.actions + b.actions,
    deadEnds: a.deadEnds + b.deadEnds,
    hits,
    reached: [...new Set([...a.reached, ...b.reached])].sort(),
  };
}

export interface UnitOptions {
  explorer: CampaignExplorer;
  seed: string;
  maxSteps: number;
}

function hit(t: Tally, v: Violation, first: FirstHit): void {
  const o = t.hits[v.property];
  if (!o) t.hits[v.property] = { units: 1, first };
  else {
    o.units++;
    if (first.unit < o.first.unit) o.first = first;
  }
}

/** Run units r.lo..r.hi-1 of the model (r.config is the caller's business). */
export function runUnits(m: Model, props: readonly Property<any>[], r: UnitRange, o: UnitOptions): Tally {
  const t = emptyTally();
  const sys = systemOf(m);
  const reached = new Set<string>();
  const onReached = (names: ReadonlySet<string>) => names.forEach((x) => reached.add(x));
  const newChecker = (s: State) => new Monitor(m, props, s);
  if (o.explorer === 'walk') {
    // Walks u, u+1, ... run in one call until one breaks a property; then on from the next.
    for (let u = r.lo; u < r.hi; ) {
      const { failure, stats } = walkExplore<State, Action, ModelEvent, Violation>(sys, newChecker, { seed: `${o.seed}#${u}`, walks: r.hi - u, maxSteps: o.maxSteps }, onReached);
      add(t, stats);
      if (failure) hit(t, failure.violation, { unit: u + stats.walks - 1, actions: failure.actions, seed: failure.seed, path: '' });
      if (stats.walks === 0) break;
      u += stats.walks;
    }
  } else {
    for (let u = r.lo; u < r.hi; u++) {
      const seed = fcSeed(o.seed, u);
      const { failure, stats } = fcExplore<State, Action, ModelEvent, Violation>(sys, newChecker, { runs: 1, seed, maxCommands: o.maxSteps }, onReached, (v) => {
        // Shrinking checks the property that broke and the safety ones (as src/check.ts does).
        const shrinkProps = props.filter((p) => p.id === v.property || p.kind !== 'eventually');
        return (s) => new Monitor(m, shrinkProps, s);
      });
      t.walks += 1;
      t.actions += stats.executed;
      if (failure) hit(t, failure.violation, { unit: u, actions: failure.actions, seed: failure.seed, path: failure.path });
    }
  }
  t.units = r.hi - r.lo;
  t.reached = [...reached].sort();
  return t;
}

function add(t: Tally, st: WalkStats): void {
  t.walks += st.walks;
  t.actions += st.actions;
  t.deadEnds += st.deadEnds;
}
