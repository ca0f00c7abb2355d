// Seeded random walks (DESIGN.md §4): long walks that pick among the enabled actions, checking every
// property after every step through a Checker; swarm testing (each walk switches a random subset of user
// action kinds off); every walk's parameters derive from a readable seed string. Generic over the
// TransitionSystem: nothing of the kernel here.
//
// Seeds: a campaign seed `nightly-2026-12-01` runs walks `nightly-2026-12-01#0`, `#1`, ...; each walk's
// own generator is seedrandom(its seed string), so `--seed nightly-2026-12-01#17 --walks 1` replays walk
// 17 of that campaign exactly, and `--seed nightly-2026-12-01#17` runs the campaign from walk 17 on.
import seedrandom from 'seedrandom';
import type { ActorClass, Checker, TransitionSystem } from './system.ts';

export type PickPolicy =
  /** Uniformly among the enabled actions. */
  | 'uniform'
  /** An actor class first, then a kind, then an instance, each uniformly (as explore/choose.ts does). */
  | 'layered';

export interface WalkOptions {
  /** Campaign seed, e.g. `nightly-2026-12-01`; a trailing `#N` starts at walk N. */
  seed: string;
  /** How many walks (at most). */
  walks: number;
  /** Steps per walk, at most: each walk draws its length in 1..maxSteps, unless `fixedLength`. */
  maxSteps: number;
  /** Every walk runs maxSteps (or to a dead end). Default false: short walks give short traces to shrink. */
  fixedLength?: boolean;
  /** Swarm testing: each walk switches a random subset of user action kinds off. Default true. */
  swarm?: boolean;
  /** Default 'layered'. */
  pick?: PickPolicy;
  /** Stop after this many milliseconds (soak runs), checked between walks and every 4096 steps. */
  timeMs?: number;
}

export interface WalkStats {
  walks: number;
  /** Actions applied (and checked). */
  actions: number;
  /** Walks that ended early because nothing was enabled. */
  deadEnds: number;
  ms: number;
}

export interface WalkFailure<A, V> {
  /** The walk's trace, up to and including the action after which the property broke. */
  actions: A[];
  violation: V;
  /** The walk's own seed string: `--seed <it> --walks 1` replays it. */
  seed: string;
  /** Kinds switched off in that walk. */
  off: string[];
}

/** Split `base#N` into its campaign and first walk index. */
export function parseSeed(seed: string): { base: string; start: number } {
  const m = /^(.*)#(\d+)$/.exec(seed);
  return m ? { base: m[1]!, start: Number(m[2]) } : { base: seed, start: 0 };
}

/** The seed string of walk `i` (counted from the campaign's first walk) of a campaign. */
export function walkSeed(seed: string, i: number): string {
  const { base, start } = parseSeed(seed);
  return `${base}#${start + i}`;
}

/**
 * A chooser over one transition system's kinds, allocation-free in the hot loop: kinds and actor classes
 * are numbered once, and each step counts what is enabled with stamps instead of building sets.
 */
class Picker<A> {
  private readonly kindId = new Map<string, number>();
  private readonly kindActor: number[] = [];
  private readonly kindStamp: Int32Array;
  private readonly kindCount: Int32Array;
  /** Per actor class: the distinct enabled kinds of this step, in order of first appearance. */
  private readonly groupKinds: Int32Array[];
  private readonly groupN = new Int32Array(3);
  private ids = new Int32Array(64);
  private stamp = 0;
  off: Uint8Array;

  constructor(
    private readonly sys: TransitionSystem<unknown, A, unknown>,
    private readonly policy: PickPolicy,
  ) {
    const actorIndex: Record<ActorClass, number> = { kernel: 0, hardware: 1, user: 2 };
    for (const k of sys.kinds) {
      if (this.kindId.has(k.kind)) continue;
      this.kindId.set(k.kind, this.kindActor.length);
      this.kindActor.push(actorIndex[k.actor]);
    }
    const n = this.kindActor.length;
    this.kindStamp = new Int32Array(n);
    this.kindCount = new Int32Array(n);
    this.groupKinds = [new Int32Array(n), new Int32Array(n), new Int32Array(n)];
    this.off = new Uint8Array(n);
  }

  idOf(kind: string): number {
    const id = this.kindId.get(kind);
    if (id === undefined) throw new Error(`action kind '${kind}' is not in the transition system's kinds`);
    return id;
  }

  /** Pick one of `acts` with a 32-bit random `r`; undefined if `acts` is empty. */
  pick(acts: readonly A[], r: number): A | undefined {
    const n = acts.length;
    if (n === 0) return undefined;
    if (this.ids.length < n) this.ids = new Int32Array(2 * n);
    const ids = this.ids;
    const off = this.off;
    let on = 0;
    for (let i = 0; i < n; i++) {
      const id = this.idOf(this.sys.kind(acts[i]!));
      ids[i] = id;
      if (off[id] === 0) on++;
    }
    // If every enabled action is switched off, the switch is ignored (as in explore/choose.ts).
    const useOff = on > 0 && on < n;
    if (this.policy === 'uniform') {
      let want = r % (useOff ? on : n);
      for (let i = 0; i < n; i++) if (!(useOff && off[ids[i]!] === 1) && want-- === 0) return acts[i];
      return undefined;
    }
    const st = ++this.stamp;
    const gn = this.groupN;
    gn[0] = gn[1] = gn[2] = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (useOff && off[id] === 1) continue;
      if (this.kindStamp[id] !== st) {
        this.kindStamp[id] = st;
        this.kindCount[id] = 0;
        const g = this.kindActor[id]!;
        this.groupKinds[g]![gn[g]!++] = id;
      }
      this.kindCount[id]!++;
    }
    const groups = (gn[0]! > 0 ? 1 : 0) + (gn[1]! > 0 ? 1 : 0) + (gn[2]! > 0 ? 1 : 0);
    let gi = r % groups;
    r = Math.floor(r / groups);
    let g = 0;
    for (; g < 3; g++) if (gn[g]! > 0 && gi-- === 0) break;
    const kid = this.groupKinds[g]![r % gn[g]!]!;
    r = Math.floor(r / gn[g]!);
    let want = r % this.kindCount[kid]!;
    for (let i = 0; i < n; i++) if (ids[i] === kid && want-- === 0) return acts[i];
    return undefined;
  }
}

/**
 * Run walks until one breaks a property, the walks run out, or the time does. Returns the first failure
 * (its full trace, for the caller to shrink) and the statistics.
 */
export function walkExplore<S, A, E, V>(
  sys: TransitionSystem<S, A, E>,
  newChecker: (s: S) => Checker<S, E, V>,
  opts: WalkOptions,
  onReached?: (names: ReadonlySet<string>) => void,
): { failure: WalkFailure<A, V> | null; stats: WalkStats } {
  const picker = new Picker(sys as TransitionSystem<unknown, A, unknown>, opts.pick ?? 'layered');
  const swarmable = sys.kinds.filter((k) => k.actor === 'user').map((k) => picker.idOf(k.kind));
  const swarmNames = sys.kinds.filter((k) => k.actor === 'user').map((k) => k.kind);
  const stats: WalkStats = { walks: 0, actions: 0, deadEnds: 0, ms: 0 };
  const t0 = performance.now();
  const deadline = opts.timeMs === undefined ? Infinity : t0 + opts.timeMs;
  const trace: A[] = [];
  let failure: WalkFailure<A, V> | null = null;
  for (let w = 0; w < opts.walks && failure === null; w++) {
    if (performance.now() > deadline) break;
    const seed = walkSeed(opts.seed, w);
    const rng = seedrandom(seed);
    picker.off.fill(0);
    const off: string[] = [];
    if (opts.swarm ?? true) {
      swarmable.forEach((id, i) => {
        if (rng() < 0.5) {
          picker.off[id] = 1;
          off.push(swarmNames[i]!);
        }
      });
    }
    const steps = opts.fixedLength ? opts.maxSteps : 1 + Math.floor(rng() * opts.maxSteps);
    stats.walks++;
    const s = sys.init();
    const checker = newChecker(s);
    trace.length = 0;
    for (let i = 0; i < steps; i++) {
      const a = picker.pick(sys.enabled(s), rng.int32() >>> 0);
      if (a === undefined) {
        stats.deadEnds++;
        break;
      }
      trace.push(a);
      stats.actions++;
      const v = checker.check(s, sys.step(s, a));
      if (v !== null) {
        failure = { actions: [...trace], violation: v, seed, off };
        break;
      }
      if ((i & 4095) === 4095 && performance.now() > deadline) break;
    }
    onReached?.(checker.reached);
  }
  stats.ms = performance.now() - t0;
  return { failure, stats };
}
