// The fast-check explorer: model-based testing with fc.commands. One generic command, Step(choice),
// resolves its choice against the enabled actions at run time (explore/choose.ts), so a command is never
// skipped for being disabled; properties are checked after every command, in one place (the Checker).
import fc from 'fast-check';
import type { Checker, TransitionSystem } from './system.ts';
import { choose, swarmOff } from './choose.ts';

export interface FcOptions {
  runs: number;
  seed: number;
  maxCommands: number;
  /** fast-check's replay path, to reproduce a run exactly. */
  path?: string;
}

export interface FcStats {
  runs: number;
  /** Commands executed (an action applied). */
  executed: number;
  /** Commands generated but not executed: nothing was enabled, or an earlier one already failed. */
  skipped: number;
  ms: number;
}

export interface FcFailure<A, V> {
  actions: A[];
  violation: V;
  seed: number;
  path: string;
}

interface Run<S, A, E, V> {
  s: S;
  off: ReadonlySet<string>;
  checker: Checker<S, E, V>;
  actions: A[];
  failed: V | null;
}

class PropertyFailed extends Error {}

/**
 * Search with fast-check; on the first failure, fast-check shrinks it. With `focus`, the shrinking runs
 * check only what `focus(violation)` builds for the first violation (its property, say), not every
 * property: a shrink candidate is kept when it breaks that one, so the trace stays a counterexample of
 * the property first found, and the expensive checks (the progress oracle of a liveness property) run
 * only when that is the property shrunk.
 */
export function fcExplore<S, A, E, V>(
  sys: TransitionSystem<S, A, E>,
  newChecker: (s: S) => Checker<S, E, V>,
  opts: FcOptions,
  onReached?: (names: ReadonlySet<string>) => void,
  focus?: (first: V) => (s: S) => Checker<S, E, V>,
): { failure: FcFailure<A, V> | null; stats: FcStats } {
  const stats: FcStats = { runs: 0, executed: 0, skipped: 0, ms: 0 };
  let last: { actions: A[]; violation: V } | null = null;
  // After the first failure every run fast-check makes is a shrink candidate (endOnFailure: false).
  let checkerOf = newChecker;

  class Step implements fc.Command<object, Run<S, A, E, V>> {
    constructor(readonly choice: number) {}
    check() {
      return true;
    }
    run(_m: object, r: Run<S, A, E, V>) {
      const a = r.failed ? undefined : choose(sys.enabled(r.s), sys.kind, this.choice, r.off, sys.actor);
      if (a === undefined) {
        stats.skipped++;
        return;
      }
      stats.executed++;
      r.actions.push(a);
      const v = r.checker.check(r.s, sys.step(r.s, a));
      if (v) {
        r.failed = v;
        if (last === null && focus) checkerOf = focus(v);
        last = { actions: [...r.actions], violation: v };
        throw new PropertyFailed('property violated');
      }
    }
    toString() {
      return `Step(${this.choice})`;
    }
  }

  // Swarm testing over user actions: each run switches a random subset of them off.
  const swarmable = sys.kinds.filter((k) => k.actor === 'user').map((k) => k.kind);
  const cmds = fc.commands([fc.nat({ max: 0xffff }).map((c) => new Step(c))], { maxCommands: opts.maxCommands, size: 'max' });
  const t0 = performance.now();
  const result = fc.check(
    fc.property(fc.nat({ max: (1 << swarmable.length) - 1 }), cmds, (mask, cmds) => {
      stats.runs++;
      const s = sys.init();
      const checker = checkerOf(s);
      const run: Run<S, A, E, V> = { s, off: swarmOff(swarmable, mask), checker, actions: [], failed: null };
      try {
        fc.modelRun(() => ({ model: {}, real: run }), cmds);
      } finally {
        onReached?.(checker.reached);
      }
    }),
    { numRuns: opts.runs, seed: opts.seed, path: opts.path, endOnFailure: false },
  );
  stats.ms = performance.now() - t0;
  if (!result.failed || last === null) return { failure: null, stats };
  // `last` is from the final (shrunk) failing run fast-check executed.
  const l = last as { actions: A[]; violation: V };
  return { failure: { actions: l.actions, violation: l.violation, seed: opts.seed, path: result.counterexamplePath ?? '' }, stats };
}
