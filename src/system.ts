// The glue between the model and the harness: a model seen as a transition system with actors, a
// read-only view for properties, the progress oracle, and the monitor that checks properties after
// every step. Explorers use only the generic TransitionSystem interface.
import type { Model } from '../model/model.ts';
import { actorOf, driverEnabled, enabled, init, overridesWorldKind, stepInPlace } from '../model/model.ts';
import { ShapeCopier, clonePlain } from '../model/clone.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import type { ActorClass, CheckContext, Oracle, Property, View, Violation } from '../properties/types.ts';
import type { TransitionSystem } from './explore/system.ts';
import { reachable } from './explore/bfs.ts';
import { Codec, fingerprint } from './explore/codec.ts';
import { canonicalize, type CanonicalOptions } from '../model/canonical.ts';
import { waitsOf, type Wait } from '../model/waits.ts';
import { sortInvSlots, sortJobSlots, type InvIndexedMemory, type InvSymmetry, type JobIndexedMemory, type JobSymmetry } from '../model/symmetry.ts';

export function viewOf(m: Model, s: State): View {
  let ws: readonly Wait[] | null = null; // computed once, when a property asks
  const waits = () => (ws ??= waitsOf(m.strategy, s, { cfg: m.cfg, mutant: m.mutant, emit: () => {} }));
  return { frames: s.frames, mms: s.mms, subs: s.subs, invs: s.invs, dev: s.dev, ...(s.dev1 ? { dev1: s.dev1 } : {}), ...(s.zeroPfn !== undefined ? { zeroPfn: s.zeroPfn } : {}), peer: s.peer, jobs: s.jobs, queues: s.queues, regs: s.regs, nextValue: s.nextValue, forks: s.forks, fork: s.fork, cfg: m.cfg, waits };
}

export function stateKey(s: State): string {
  return JSON.stringify(s);
}

export function systemOf(m: Model): TransitionSystem<State, Action, ModelEvent> {
  const copier = new ShapeCopier();
  return {
    init: () => init(m),
    enabled: (s) => enabled(m, s),
    step: (s, a) => stepInPlace(m, s, a),
    clone: (s) => copier.clone(s),
    key: stateKey,
    actor: (a) => actorOf(m, a),
    kind: (a) => a.k,
    kinds: [...m.kinds.values()].map((k) => ({ kind: k.kind, actor: k.actor })),
    canonicalize: (s, anchor) => canonicalize(s, m.strategy, anchor ? { anchor } : {}),
  };
}

/** What the oracle needs of a model, computed once per model. */
interface OracleShape {
  klass: (a: Action) => number;
  sys: TransitionSystem<State, Action, ModelEvent>;
  /** The answers to named questions (see ORACLE_MEMO), by state fingerprint and question. */
  memo: Map<string, boolean>;
  codec: Codec;
  /** The fingerprint of the state asked about (reused: one per model, not one per question). */
  fp: Int32Array;
  /**
   * A driver-first dive may read the driver's actions alone (model.ts driverEnabled): the world emits no
   * action of a driver kind, so the first (or last) allowed driver action of enabled() is one of those.
   */
  driverFirst: boolean;
}

/**
 * The oracle's answers to questions that name their goal (ReachOptions.goal), kept per model: a walk, a
 * fast-check run and above all shrinking ask the same question in the same state again and again (measured:
 * 151,617 questions in the manifest's mirror-blocking-notifier / user-queue row, 26,644 distinct). The
 * answer is exact (a dive answers only yes, and only when it got there; the search is exhaustive), so it
 * is a function of the state and the question, and reusing it changes no verdict. States are keyed by the
 * 64-bit fingerprint of their encoding, as the exhaustive search keys them. Past this many answers the
 * memo starts again (memory stays bounded).
 */
const ORACLE_MEMO = 200_000;
const shapes = new WeakMap<Model, OracleShape>();

function shapeOf(m: Model): OracleShape {
  let sh = shapes.get(m);
  if (!sh) {
    const driverKinds = new Set(m.strategy.actionKinds.map((k) => k.kind));
    const classOfKind = new Map<string, number>();
    for (const k of m.kinds.values()) {
      // Classes: the driver's steps, the device's, the core mm's, user space's (only when asked for).
      classOfKind.set(k.kind, driverKinds.has(k.kind) ? 0 : k.actor === 'hardware' ? 1 : k.actor === 'user' ? 3 : 2);
    }
    sh = { klass: (a) => classOfKind.get(a.k) ?? 2, sys: systemOf(m), memo: new Map(), codec: new Codec(), fp: new Int32Array(2), driverFirst: !overridesWorldKind(m) };
    shapes.set(m, sh);
  }
  return sh;
}

// Dives: the driver's own steps first, or the device's first (the core mm's last); then a few
// pseudo-random ones (a fixed sequence: the oracle stays deterministic).
const DIVE_STEPS = 64;
const DIVES: readonly (readonly number[])[] = [
  [0, 1, 2, 3],
  [1, 0, 2, 3],
  [0, 1, 3, 2], // with user space: the driver, the device, then user space before the core mm
];

/**
 * The progress oracle (DESIGN.md §3): is a state where `done` holds reachable within `bound` actions of
 * the given actor classes (by default kernel and hardware: user space does nothing)? First a few cheap
 * dives (the driver's own steps first, or the device's; then pseudo-random ones); if none gets there,
 * an exhaustive search over every such schedule (explore/bfs.ts `reachable`), states fingerprinted; the answer
 * to a question that names its goal is kept (ORACLE_MEMO).
 */
export function oracleFor(m: Model, s: State): Oracle {
  const shape = shapeOf(m);
  let print: string | null = null; // the state's fingerprint, computed at the first named question
  const reach = explore(m, s, shape);
  return {
    reach(done, bound, actors = ['kernel', 'hardware'], opts = {}) {
      if (opts.goal === undefined) return reach(done, bound, actors, opts);
      if (print === null) {
        shape.codec.encode(s);
        fingerprint(shape.codec.buf, shape.codec.len, shape.fp);
        print = `${shape.fp[0]},${shape.fp[1]}`;
      }
      const retry = opts.retry === undefined ? '' : opts.retry === 'any' ? 'any' : `${opts.retry.proc}:${opts.retry.vpage ?? ''}`;
      const key = `${print}|${opts.goal}|${bound}|${actors.join(',')}|${opts.userCompletionsOnly === true ? 1 : 0}|${retry}`;
      const known = shape.memo.get(key);
      if (known !== undefined) return known;
      const ok = reach(done, bound, actors, opts);
      if (shape.memo.size >= ORACLE_MEMO) shape.memo.clear();
      shape.memo.set(key, ok);
      return ok;
    },
  };
}

/** The oracle's search itself, from `s`: dives, then the exhaustive search. */
function explore(m: Model, s: State, { klass, sys, driverFirst }: OracleShape): Oracle['reach'] {
  return (done, bound, actors = ['kernel', 'hardware'], opts = {}) => {
      if (done(viewOf(m, s))) return true;
      const completionsOnly = opts.userCompletionsOnly ?? false;
      const retry = opts.retry;
      const allowedAction = (a: Action) => {
        const k = m.kinds.get(a.k)!;
        if (!actors.includes(k.actor)) return false;
        if (completionsOnly && k.actor === 'user' && k.args[0] !== 'job') return false;
        // New work the kernel might start releases nothing in flight: only a retry asked for.
        if (k.starts && retry !== 'any' && (retry === undefined || a.a !== retry.proc || (retry.vpage !== undefined && a.b !== retry.vpage))) return false;
        return true;
      };
      // A dive's next step: the first allowed action of the class that `order` puts first (with `rev`,
      // the last of it: for user space, the job-level actions, such as signalling a user fence, before
      // the per-process ones); the pseudo-random dives pick any allowed action.
      const pick = (acts: Action[], order: readonly number[], rev: boolean, random: number): Action | null => {
        let best: Action | null = null;
        let bestRank = Infinity;
        let n = 0;
        for (const a of acts) {
          if (!allowedAction(a)) continue;
          if (random >= 0) {
            if (n++ === random) return a;
            continue;
          }
          const r = order[klass(a)]!;
          if (r < bestRank || (rev && r === bestRank)) {
            best = a;
            bestRank = r;
          }
        }
        if (random >= 0 && n > 0) return pick(acts, order, rev, random % n);
        return best;
      };
      // The first (or, with `rev`, the last) allowed action of the driver's own: what pick() chooses
      // when the driver's class ranks first and has one, read without listing the world's actions.
      const ownFirst = (acts: Action[], rev: boolean): Action | null => {
        let best: Action | null = null;
        for (const a of acts) {
          if (klass(a) !== 0 || !allowedAction(a)) continue;
          best = a;
          if (!rev) break;
        }
        return best;
      };
      let rnd = 0x9e3779b9;
      for (let i = 0; i < DIVES.length + 4; i++) {
        if (i === 2 && !actors.includes('user')) continue;
        const cur = sys.clone(s);
        const order = DIVES[i] ?? DIVES[0]!;
        const own = driverFirst && i < DIVES.length && order[0] === 0;
        // A dive is only a quick way to a yes: it stops after DIVE_STEPS; a no comes from the search below.
        for (let d = 0; d < Math.min(bound, DIVE_STEPS); d++) {
          rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
          const drv = own ? driverEnabled(m, cur) : undefined;
          const a = (drv ? ownFirst(drv, i === 2) : null) ?? pick(enabled(m, cur, drv), order, i === 2, i < DIVES.length ? -1 : rnd >>> 8);
          if (a === null) break;
          stepInPlace(m, cur, a);
          if (done(viewOf(m, cur))) return true;
        }
      }
      // Then every schedule: an exhaustive search (depth first when unbounded), states fingerprinted.
      return reachable(sys, s, (t) => done(viewOf(m, t)), bound, allowedAction);
  };
}

/** Checks a set of properties after every step; remembers which `sometimes` witnesses were reached. */
export class Monitor {
  private mons: unknown[];
  readonly reached = new Set<string>();

  constructor(
    private readonly m: Model,
    private readonly props: readonly Property<any>[],
    s: State,
    mons?: unknown[],
  ) {
    this.mons = mons ?? props.map((p) => p.init(viewOf(m, s)));
    this.first = clonePlain(this.mons);
  }

  /** Each monitor's memory at the start (a clone keeps its original's). */
  private first: unknown[];

  /**
   * With `defer`, check() leaves out the properties that judge only the state (Property.stateOnly: the
   * costly liveness ones, which ask the oracle) and checkState() checks them: an exhaustive search then
   * judges each distinct state once, not each transition into it.
   */
  private deferred = false;

  deferStateOnly(): this {
    this.deferred = true;
    return this;
  }

  /** The first violation of an always/eventually property after a step, or null. */
  check(s: State, events: readonly ModelEvent[]): Violation | null {
    return this.run(s, events, this.deferred ? 'others' : 'all');
  }

  /** The first violation of a deferred state-only property in `s` (a state the search had not met), or null. */
  checkState(s: State): Violation | null {
    return this.deferred ? this.run(s, [], 'stateOnly') : null;
  }

  private run(s: State, events: readonly ModelEvent[], which: 'all' | 'others' | 'stateOnly'): Violation | null {
    const m = this.m;
    let oracle: Oracle | null = null; // built only if a property asks
    // Goals reached in this state, with the actors that reached them: reached with fewer, reached with more.
    const reached: { goal: string; actors: readonly ActorClass[]; bound: number }[] = [];
    const reach: Oracle['reach'] = (done, bound, actors = ['kernel', 'hardware'], opts = {}) => {
      const goal = opts.goal;
      if (goal !== undefined && reached.some((r) => r.goal === goal && r.bound <= bound && r.actors.every((a) => actors.includes(a)))) return true;
      const ok = (oracle ??= oracleFor(m, s)).reach(done, bound, actors, opts);
      if (ok && goal !== undefined) reached.push({ goal, actors, bound });
      return ok;
    };
    const ctx: CheckContext = { view: viewOf(m, s), events, oracle: { reach } };
    for (let i = 0; i < this.props.length; i++) {
      const p = this.props[i]!;
      if (p.kind === 'sometimes') {
        if (which !== 'stateOnly' && !this.reached.has(p.id) && p.check(this.mons[i], ctx)) this.reached.add(p.id);
        continue;
      }
      if (which !== 'all' && (p.stateOnly === true) !== (which === 'stateOnly')) continue;
      const v = p.check(this.mons[i], ctx);
      if (v) return v;
    }
    return null;
  }

  /** The monitors' memory (plain data), to key a search node; with an argument, replace it (resume a node). */
  memory(replace?: unknown[]): unknown[] {
    if (replace) this.mons = replace;
    return this.mons;
  }

  /** The finite model: the state and the monitors' memory renumbered together (model/canonical.ts). */
  canonicalize(s: State): void {
    const props = this.props;
    // A witness already reached is checked no more: its memory is dead (back to its first value, which
    // keeps the node's shape for the encoder's fast path; shared, since nothing writes it again).
    for (let i = 0; i < props.length; i++) if (props[i]!.kind === 'sometimes' && this.reached.has(props[i]!.id)) this.mons[i] = this.first[i];
    canonicalize(s, this.m.strategy, (this.canonOpts ??= {
      extra: (c) => {
        for (let i = 0; i < props.length; i++) props[i]!.counters?.(this.mons[i], c);
      },
      observeValues: props.some((p) => p.observesValues),
    }));
    // Renumbering does not depend on the slots' order, so the slots are sorted after it. A reached
    // witness's memory is its shared first value: not relabelled (nothing reads it again).
    if (this.symmetry) {
      const mons = (this.slotMemory ??= props.map((p) => ({ mem: null, byJob: p.byJob ?? [], inKey: p.kind !== 'sometimes' })));
      sortJobSlots(s, this.symmetry, this.liveMemory(mons, (m) => m.byJob.length));
    }
    if (this.invSymmetry) {
      const mons = (this.invMemory ??= props.map((p) => ({ mem: null, byInv: p.byInv ?? [], inKey: p.kind !== 'sometimes' })));
      sortInvSlots(s, this.invSymmetry, this.liveMemory(mons, (m) => m.byInv.length));
    }
  }

  /** The monitors' memories that name slots (`slots` > 0), pointed at their current memory; a reached witness's left out. */
  private liveMemory<T extends { mem: unknown }>(mons: T[], slots: (m: T) => number): T[] {
    const live: T[] = [];
    for (let i = 0; i < this.props.length; i++) {
      if (slots(mons[i]!) === 0 || (this.mons[i] === this.first[i] && this.reached.has(this.props[i]!.id))) continue;
      mons[i]!.mem = this.mons[i];
      live.push(mons[i]!);
    }
    return live;
  }

  /** Job slots relabelled by canonicalize (model/symmetry.ts), or null: see relabelSlots. */
  private symmetry: JobSymmetry | null = null;
  private slotMemory: JobIndexedMemory[] | undefined;
  /** Invalidation slots relabelled by canonicalize, or null: see relabelSlots. */
  private invSymmetry: InvSymmetry | null = null;
  private invMemory: InvIndexedMemory[] | undefined;

  /**
   * Let canonicalize sort job slots and invalidation slots (symmetry reduction), each where the strategy
   * says where it stores them and every property with memory says which of it is per slot; otherwise
   * that kind of slot is left as it is.
   */
  relabelSlots(): this {
    const sym = this.m.strategy.jobSymmetry;
    if (sym && this.props.every((p, i) => p.byJob !== undefined || this.first[i] === null)) this.symmetry = sym;
    const isym = this.m.strategy.invSymmetry;
    if (isym && this.props.every((p, i) => p.byInv !== undefined || this.first[i] === null)) this.invSymmetry = isym;
    return this;
  }

  /** Whether canonicalize relabels job or invalidation slots: a trace is then rebuilt by matching nodes (explore/bfs.ts). */
  get symmetric(): boolean {
    return this.symmetry !== null || this.invSymmetry !== null;
  }

  /** Which kinds of slot canonicalize relabels. */
  get relabels(): { jobs: boolean; invalidations: boolean } {
    return { jobs: this.symmetry !== null, invalidations: this.invSymmetry !== null };
  }

  /** What two nodes of one trace must share: the state and the memory of the properties that decide verdicts (a witness's is left out). */
  matchKey(s: State): unknown {
    return [s, this.mons.filter((_, i) => this.props[i]!.kind !== 'sometimes')];
  }

  private canonOpts: CanonicalOptions | undefined;

  clone(s: State): Monitor {
    const c = new Monitor(this.m, this.props, s, clonePlain(this.mons));
    c.first = this.first;
    c.deferred = this.deferred;
    c.symmetry = this.symmetry;
    c.invSymmetry = this.invSymmetry;
    for (const r of this.reached) c.reached.add(r);
    return c;
  }
}
