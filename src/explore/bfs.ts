// Exhaustive search (DESIGN.md §4) over distinct nodes, up to a depth or a state budget: breadth-first,
// so that the first violation found is on a shortest trace, or depth-first, for memory. A node is
// (state, checker memory): the properties' monitors remember things (no-lost-write's reference memory),
// so two equal states with different monitor memory are different nodes. Nodes are keyed by a 64-bit
// fingerprint of a generic encoding (explore/codec.ts); the frontier is kept packed, each entry as its
// difference from the one before, and decoded back when expanded. The checks a checker says judge only
// the state (checkState) run once per distinct node, not per transition. Generic over the
// TransitionSystem: nothing of the kernel here. A checker that relabels interchangeable slots when it
// canonicalises (BranchingChecker.symmetric: a symmetry reduction) stores one node per orbit; its traces
// are rebuilt by matching nodes (rebuildTrace), since a node's action indices are those of a relabelling.
import { Codec, FingerprintSet, TokenArena, fingerprint } from './codec.ts';
import { ShapeCopier } from '../../model/clone.ts';
import type { Checker, TransitionSystem } from './system.ts';

/** A checker whose memory can be read and replaced, so that a search may branch (src/system.ts Monitor). */
export interface BranchingChecker<S, E, V> extends Checker<S, E, V> {
  /** The memory (plain data); with an argument, replace it first. */
  memory(replace?: unknown[]): unknown[];
  /**
   * The checks that judge only a state, which check() left out: called once per distinct node, on
   * its canonical form (after canonicalize), when the search first stores it.
   */
  checkState?(s: S): V | null;
  /**
   * canonicalize also relabels interchangeable slots (a symmetry reduction): a stored node is then one
   * representative of the states a trace reaches, and a trace is rebuilt by matching each step's
   * successor with it (matchKey: what two nodes must share), not by replaying action indices.
   */
  readonly symmetric?: boolean;
  matchKey?(s: S): unknown;
}

export interface BfsOptions {
  /** Explore traces of at most this many actions. */
  maxDepth: number;
  /** Stop once this many distinct nodes are stored. */
  maxStates: number;
  /** Stop after this many milliseconds (checked once per expanded node). */
  timeMs?: number;
  /**
   * Breadth-first (the default: the first violation found is on a shortest trace) or depth-first (for
   * memory: the stack is a path's siblings, not a layer; unbounded depth only).
   */
  order?: 'breadth' | 'depth';
  /** Told how far the search got, every few thousand transitions (a command's progress bar). */
  onProgress?: (p: SearchProgress) => void;
}

export interface SearchProgress {
  states: number;
  transitions: number;
  depth: number;
}

/** Transitions between two progress reports. */
const PROGRESS_EVERY = 4096;

export interface BfsStats {
  /** Distinct nodes (state, checker memory) stored, the initial one included. */
  states: number;
  /** Transitions taken (each checked). */
  transitions: number;
  /** The deepest layer that holds a stored node. */
  depth: number;
  /** Every node reachable within maxDepth was explored (or the whole space, if `closed`). */
  exhausted: boolean;
  /** The reachable space is finite and was explored completely (a layer added nothing new). */
  closed: boolean;
  /** Bytes of the visited set (fingerprint table and the parent links), and of the frontier at its largest. */
  visitedBytes: number;
  frontierBytes: number;
  /** The frontier's entries (packed states) at its largest layer, and the bytes they took. */
  frontierEntries: number;
  frontierUsedBytes: number;
  /** Probability that two distinct nodes shared a fingerprint (and one went unexplored). */
  collisionOdds: number;
  /** The checker relabelled interchangeable slots: `states` counts one state of each orbit. */
  symmetric: boolean;
  ms: number;
}

export interface BfsFailure<A, V> {
  /** A shortest trace to the violation. */
  actions: A[];
  violation: V;
}

/** Growable Int32 column. */
class Column {
  a = new Int32Array(1 << 12);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
}

export function bfsExplore<S, A, E, V>(
  sys: TransitionSystem<S, A, E>,
  newChecker: (s: S) => BranchingChecker<S, E, V>,
  opts: BfsOptions,
  onReached?: (names: ReadonlySet<string>) => void,
): { failure: BfsFailure<A, V> | null; stats: BfsStats } {
  const t0 = performance.now();
  const deadline = opts.timeMs === undefined ? Infinity : t0 + opts.timeMs;
  const codec = new Codec();
  const copier = new ShapeCopier();
  const seen = new FingerprintSet(1 << 16);
  const fp = new Int32Array(2);
  // Per stored node: its parent's index and the index of the action among the parent's enabled ones.
  const parent = new Column();
  const via = new Column();
  const root = sys.init();
  const checker = newChecker(root);
  checker.canonicalize?.(root);
  const stats: BfsStats = {
    states: 0, transitions: 0, depth: 0, exhausted: false, closed: false, visitedBytes: 0, frontierBytes: 0, frontierEntries: 0, frontierUsedBytes: 0, collisionOdds: 0, symmetric: checker.symmetric === true, ms: 0,
  };
  const node: [unknown, unknown[]] = [root, checker.memory()];
  codec.encode(node);
  fingerprint(codec.buf, codec.len, fp);
  seen.add(fp[0]!, fp[1]!);
  parent.push(-1);
  via.push(-1);

  /** The trace to node `i` then action `k` of it, rebuilt by replaying the action indices. */
  const traceTo = (i: number, k: number): A[] => {
    const idx: number[] = [k];
    for (let j = i; j > 0; j = parent.a[j]!) idx.push(via.a[j]!);
    idx.reverse();
    if (checker.symmetric) return rebuildTrace(sys, newChecker, idx);
    const s = sys.init();
    const out: A[] = [];
    for (const x of idx) {
      const a = sys.enabled(s)[x]!;
      out.push(a);
      sys.step(s, a);
    }
    return out;
  };

  let failure: BfsFailure<A, V> | null = null;
  let stopped = false;

  /**
   * Expand node `i` (its tokens `t`, at `depth`): check every successor, store the new ones (`store`
   * gets the new node's index, its tokens in codec.buf[0..len) and its depth). Sets `failure` or
   * `stopped` when the search must end.
   */
  const expand = (i: number, t: Int32Array, depth: number, store: (j: number, len: number, depth: number) => void): void => {
    if (performance.now() > deadline) {
      stopped = true;
      return;
    }
    const decoded = codec.decode(t) as [S, unknown[]];
    const acts = sys.enabled(decoded[0]);
    for (let k = 0; k < acts.length; k++) {
      // A fresh copy of the node for each action (a copier compiled for the node's shape: cheaper
      // than decoding again); the last one takes the decoded node itself.
      const [s, mem] = k === acts.length - 1 ? decoded : copier.clone(decoded);
      checker.memory(mem);
      if (++stats.transitions % PROGRESS_EVERY === 0) opts.onProgress?.({ states: seen.size, transitions: stats.transitions, depth: stats.depth });
      const v = checker.check(s, sys.step(s, acts[k]!));
      if (v !== null) {
        const actions = traceTo(i, k);
        // Through a symmetry reduction the node's slots are a relabelling of the trace's: the violation is
        // taken again from the trace, so that it names the slots a replay shows.
        failure = { actions, violation: checker.symmetric ? (lastViolation(sys, newChecker, actions) ?? v) : v };
        return;
      }
      checker.canonicalize?.(s);
      node[0] = s;
      node[1] = checker.memory();
      codec.encode(node);
      fingerprint(codec.buf, codec.len, fp);
      if (!seen.add(fp[0]!, fp[1]!)) continue;
      const w = checker.checkState?.(s) ?? null;
      if (w !== null) {
        // Judged on the canonical form; the violation is taken again from the state the trace reaches,
        // so that its values are those a replay shows (the same verdict: the two have one future).
        const actions = traceTo(i, k);
        const real = sys.init();
        for (const a of actions) sys.step(real, a);
        failure = { actions, violation: checker.checkState!(real) ?? w };
        return;
      }
      parent.push(i);
      via.push(k);
      stats.depth = Math.max(stats.depth, depth + 1);
      store(parent.n - 1, codec.len, depth + 1);
      if (seen.size >= opts.maxStates) {
        stopped = true;
        return;
      }
    }
  };

  let unexplored: number;
  if (opts.order === 'depth') {
    // Depth-first, for memory: the stack holds a path's unexplored siblings, not a whole layer. Every
    // reachable node is still checked (so a closed search proves the same), but a counterexample is a
    // path of the search tree, not a shortest one; and a depth bound would leave out nodes first met
    // deep, so this order takes none.
    if (opts.maxDepth !== Infinity) throw new Error('a depth-first search takes no depth bound (a node first met deep would be cut off where it is also reachable shallow)');
    const stack: { i: number; depth: number; t: Int32Array }[] = [{ i: 0, depth: 0, t: codec.buf.slice(0, codec.len) }];
    let most = 1;
    let mostBytes = 0;
    while (stack.length > 0 && !failure && !stopped) {
      const top = stack.pop()!;
      expand(top.i, top.t, top.depth, (j, len, d) => stack.push({ i: j, depth: d, t: codec.buf.slice(0, len) }));
      if (stack.length > most) {
        most = stack.length;
        mostBytes = stack.reduce((b, e) => b + e.t.byteLength, 0);
      }
    }
    stats.frontierEntries = most;
    stats.frontierUsedBytes = mostBytes;
    stats.frontierBytes = mostBytes;
    unexplored = stack.length;
    stats.closed = !failure && !stopped && unexplored === 0;
  } else {
    let frontier = new TokenArena();
    frontier.push(0, codec.buf, codec.len);
    let depth = 0;
    while (frontier.count > 0 && depth < opts.maxDepth && !failure && !stopped) {
      const next = new TokenArena();
      const lastLayer = depth + 1 === opts.maxDepth;
      const store = (j: number, len: number): void => {
        if (!lastLayer) next.push(j, codec.buf, len);
      };
      frontier.forEach((i, t) => {
        if (!failure && !stopped) expand(i, t, depth, store);
      });
      stats.frontierBytes = Math.max(stats.frontierBytes, frontier.bytes() + next.bytes());
      if (next.count > stats.frontierEntries) {
        stats.frontierEntries = next.count;
        stats.frontierUsedBytes = next.usedBytes();
      }
      frontier = next;
      depth++;
    }
    unexplored = frontier.count;
    stats.closed = !failure && !stopped && unexplored === 0 && stats.depth < depth;
  }
  stats.states = seen.size;
  stats.exhausted = !failure && !stopped;
  stats.visitedBytes = seen.bytes() + parent.a.byteLength + via.a.byteLength;
  stats.collisionOdds = seen.collisionOdds();
  stats.ms = performance.now() - t0;
  onReached?.(checker.reached);
  return { failure, stats };
}

/**
 * The trace whose i-th action is the `idx[i]`-th action enabled in the i-th node of a search that relabels
 * slots (BranchingChecker.symmetric). The nodes are followed again (their canonical forms), and beside
 * them the states the actions really reach: at each step, the real action taken is the one whose
 * successor has the same canonical form as the node's (a relabelling of it, so one exists).
 */
function rebuildTrace<S, A, E, V>(sys: TransitionSystem<S, A, E>, newChecker: (s: S) => BranchingChecker<S, E, V>, idx: readonly number[]): A[] {
  const copier = new ShapeCopier();
  const codec = new Codec();
  const fp = new Int32Array(2);
  const real0 = sys.init();
  const root = sys.init();
  const chk = newChecker(root);
  let real: [S, unknown[]] = [real0, copier.clone(chk.memory())];
  chk.canonicalize?.(root);
  let node: [S, unknown[]] = [root, chk.memory()];
  /** The fingerprint of `n`'s canonical form (a copy), then of what it must share with a node. */
  const canonicalPrint = (n: [S, unknown[]]): string => {
    const [c, mem] = copier.clone(n);
    chk.memory(mem);
    chk.canonicalize?.(c);
    codec.encode(chk.matchKey ? chk.matchKey(c) : [c, mem]);
    fingerprint(codec.buf, codec.len, fp);
    return `${fp[0]},${fp[1]}`;
  };
  /** The node after action `a`, and whether the step broke a property (the real step must break one too). */
  const after = (n: [S, unknown[]], a: A): { next: [S, unknown[]]; broke: boolean } => {
    const next = copier.clone(n);
    chk.memory(next[1]);
    const broke = chk.check(next[0], sys.step(next[0], a)) !== null;
    return { next, broke };
  };
  const out: A[] = [];
  for (let t = 0; t < idx.length; t++) {
    const a = sys.enabled(node[0])[idx[t]!]!;
    const { next, broke } = after(node, a);
    const want = canonicalPrint(next);
    let found: [S, unknown[]] | null = null;
    for (const b of sys.enabled(real[0])) {
      // Two actions may reach one canonical state while only one breaks a property on the way (an event).
      const { next: r, broke: rb } = after(real, b);
      if (rb === broke && canonicalPrint(r) === want) {
        out.push(b);
        found = r;
        break;
      }
    }
    if (!found) throw new Error(`bfs: the trace cannot be rebuilt through the symmetry reduction at step ${t + 1}: no action of the state reached has the node's canonical form (a strategy's jobSymmetry leaves out where it stores a job slot)`);
    real = found;
    const [c, mem] = copier.clone(next);
    chk.memory(mem);
    chk.canonicalize?.(c);
    node = [c, mem];
  }
  return out;
}

/** The violation a fresh checker reports at the last step of `actions` (none before it: the search passed them). */
function lastViolation<S, A, E, V>(sys: TransitionSystem<S, A, E>, newChecker: (s: S) => BranchingChecker<S, E, V>, actions: readonly A[]): V | null {
  const s = sys.init();
  const chk = newChecker(s);
  let v: V | null = null;
  for (const a of actions) v = chk.check(s, sys.step(s, a));
  return v;
}

/** A search of the progress oracle that stores more states than this stops with an error, never a guess. */
export const REACHABLE_LIMIT = 2_000_000;

/**
 * The progress oracle's question, on the same machinery: is a state where `done` holds reachable from
 * `from` within `bound` steps of the actions `allow` admits? Depth first with no bound, breadth first
 * with one; each distinct state expanded once (keyed by the fingerprint of its encoding); `from` is not
 * changed.
 */
export function reachable<S, A, E>(
  sys: TransitionSystem<S, A, E>,
  from: S,
  done: (s: S) => boolean,
  bound: number,
  allow: (a: A) => boolean,
): boolean {
  if (done(from)) return true;
  const codec = new Codec();
  const seen = new FingerprintSet(256);
  const fp = new Int32Array(2);
  // States are keyed by their canonical form anchored on `from`, so that a goal comparing with values
  // read in `from` is decided alike for every state of one key; the search goes on from the states as
  // they are.
  const keyOf = (s: S) => {
    let k = s;
    if (sys.canonicalize) {
      k = sys.clone(s);
      sys.canonicalize(k, from);
    }
    codec.encode(k);
    fingerprint(codec.buf, codec.len, fp);
  };
  keyOf(from);
  seen.add(fp[0]!, fp[1]!);
  const tooMany = () =>
    new Error(`the progress oracle's search passed ${REACHABLE_LIMIT} states without an answer: the part of the space it searches does not look finite (a driver counter without a canonical form? see Strategy.counters)`);
  if (bound === Infinity) {
    // With no bound (every shipped config) the answer is whether the goal is in the reachable part at
    // all, so the order of the search does not matter: depth first, each state's actions taken one at a
    // time, gets to a far goal without first expanding every state nearer (measured: the restore of a
    // process's queues in queue-preempt / kernel-queue, 6.4 s breadth first, 0.5 s depth first). A bound
    // needs breadth first, below: a state first met on a long path may lie on a short one too.
    const stack: { s: S; acts: A[]; i: number }[] = [{ s: from, acts: sys.enabled(from), i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.acts.length) {
        stack.pop();
        continue;
      }
      const a = top.acts[top.i++]!;
      if (!allow(a)) continue;
      const t = sys.clone(top.s);
      sys.step(t, a);
      if (done(t)) return true;
      keyOf(t);
      if (seen.add(fp[0]!, fp[1]!)) stack.push({ s: t, acts: sys.enabled(t), i: 0 });
      if (seen.size > REACHABLE_LIMIT) throw tooMany();
    }
    return false;
  }
  let layer: S[] = [from];
  for (let d = 0; d < bound && layer.length > 0; d++) {
    const next: S[] = [];
    for (const s of layer) {
      for (const a of sys.enabled(s)) {
        if (!allow(a)) continue;
        const t = sys.clone(s);
        sys.step(t, a);
        if (done(t)) return true;
        keyOf(t);
        if (seen.add(fp[0]!, fp[1]!)) next.push(t);
        if (seen.size > REACHABLE_LIMIT) throw tooMany();
      }
    }
    layer = next;
  }
  return false;
}
