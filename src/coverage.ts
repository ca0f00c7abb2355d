// Coverage, as TLC and P report it: how often each action kind ran in the explorer's runs, in how many
// of the states visited it was enabled (never enabled: a whole part of the design the runs never
// exercised), and which `sometimes` witnesses were reached and at what depth (the fewest steps into a run).
// It observes the transition system and the checkers an explorer is given, so it counts the explorer's
// own steps only (never the progress oracle's searches), and changes nothing the explorer decides.
import type { Checker, TransitionSystem } from './explore/system.ts';

export interface KindCoverage {
  kind: string;
  actor: string;
  /** Times an action of this kind was applied. */
  ran: number;
  /** Visited states in which some action of this kind was enabled. */
  enabledIn: number;
}

export interface CoverageReport {
  runs: number;
  steps: number;
  /** Visited states (the explorer's calls to `enabled`). */
  states: number;
  /** The longest run, in steps. */
  maxDepth: number;
  kinds: KindCoverage[];
  neverEnabled: string[];
  /** Enabled at some point but never chosen. */
  neverRan: string[];
  witnesses: { id: string; reached: boolean; depth: number | null }[];
}

export class Coverage {
  private ran = new Map<string, number>();
  private enabledIn = new Map<string, number>();
  private depthOf = new Map<string, number>();
  private runs = 0;
  private steps = 0;
  private states = 0;
  private depth = 0;
  private maxDepth = 0;

  /** The system with every init, enabled and step counted. */
  system<S, A, E>(sys: TransitionSystem<S, A, E>): TransitionSystem<S, A, E> {
    return {
      ...sys,
      init: () => {
        this.runs++;
        this.depth = 0;
        return sys.init();
      },
      enabled: (s) => {
        const out = sys.enabled(s);
        this.states++;
        const seen = new Set<string>();
        for (const a of out) seen.add(sys.kind(a));
        for (const k of seen) this.enabledIn.set(k, (this.enabledIn.get(k) ?? 0) + 1);
        return out;
      },
      step: (s, a) => {
        this.steps++;
        this.depth++;
        if (this.depth > this.maxDepth) this.maxDepth = this.depth;
        const k = sys.kind(a);
        this.ran.set(k, (this.ran.get(k) ?? 0) + 1);
        return sys.step(s, a);
      },
    };
  }

  /** The checker, with the depth at which each witness is first reached recorded. */
  checker<S, E, V>(c: Checker<S, E, V>): Checker<S, E, V> {
    const self = this;
    return {
      check(s, events) {
        const before = c.reached.size;
        const v = c.check(s, events);
        if (c.reached.size !== before) {
          for (const id of c.reached) {
            const d = self.depthOf.get(id);
            if (d === undefined || self.depth < d) self.depthOf.set(id, self.depth);
          }
        }
        return v;
      },
      get reached() {
        return c.reached;
      },
      ...(c.canonicalize ? { canonicalize: (s: S) => c.canonicalize!(s) } : {}),
    };
  }

  report(kinds: readonly { kind: string; actor: string }[], witnesses: readonly string[]): CoverageReport {
    const ks = kinds.map((k) => ({ kind: k.kind, actor: k.actor, ran: this.ran.get(k.kind) ?? 0, enabledIn: this.enabledIn.get(k.kind) ?? 0 }));
    return {
      runs: this.runs,
      steps: this.steps,
      states: this.states,
      maxDepth: this.maxDepth,
      kinds: ks,
      neverEnabled: ks.filter((k) => k.enabledIn === 0).map((k) => k.kind),
      neverRan: ks.filter((k) => k.enabledIn > 0 && k.ran === 0).map((k) => k.kind),
      witnesses: witnesses.map((id) => ({ id, reached: this.depthOf.has(id), depth: this.depthOf.get(id) ?? null })),
    };
  }
}

export function renderCoverage(r: CoverageReport): string {
  const lines = [`  coverage: ${r.runs} runs, ${r.steps} steps, ${r.states} states visited, the longest run ${r.maxDepth} steps`];
  const w = Math.max(...r.kinds.map((k) => k.kind.length), 4);
  lines.push(`    ${'action'.padEnd(w)}  ${'actor'.padEnd(8)} ${'ran'.padStart(8)} ${'enabled in'.padStart(11)}`);
  for (const k of r.kinds) lines.push(`    ${k.kind.padEnd(w)}  ${k.actor.padEnd(8)} ${String(k.ran).padStart(8)} ${String(k.enabledIn).padStart(11)}`);
  lines.push(`    never enabled: ${r.neverEnabled.join(', ') || 'none'}`);
  if (r.neverRan.length) lines.push(`    enabled but never run: ${r.neverRan.join(', ')}`);
  const reached = r.witnesses.filter((x) => x.reached);
  const missed = r.witnesses.filter((x) => !x.reached);
  lines.push(`    witnesses reached (fewest steps): ${reached.map((x) => `${x.id} (${x.depth})`).join(', ') || 'none'}`);
  lines.push(`    witnesses never reached: ${missed.map((x) => x.id).join(', ') || 'none'}`);
  return lines.join('\n');
}
