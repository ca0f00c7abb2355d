// `dmacheck/vitest`: check a strategy from a user's own test file in one call. The call runs the
// fast-check explorer on the strategy (or one of its mutants) in each of its configs against the
// properties it claims; on a violation it writes the shrunk counterexample (for `dmacheck replay`) and
// throws an error whose message is the explained trace, so the test fails with it. It needs nothing of
// vitest itself: a throw fails a test in any runner.
//
//   import { checkStrategy, checkMutants } from 'dmacheck/vitest';
//   it('holds what it claims', () => { checkStrategy(myDriver); });
//   it('each planted bug is caught', () => { checkMutants(myDriver); });
import type { Strategy } from '../model/strategy.ts';
import { makeModel, type Model } from '../model/model.ts';
import { configByName } from '../model/configs.ts';
import { propertyById, verdictProperties, witnesses } from '../properties/index.ts';
import type { Property } from '../properties/types.ts';
import { checkModel, defaultBudget, type Budget, type Failure } from './check.ts';
import { runActions } from './run.ts';
import { explain, renderText } from './counterexample/explain.ts';
import { saveCounterexample, toCounterexample } from './counterexample/save.ts';

/** What a design claims: property ids in every config, or per config name. */
export type Claims = readonly string[] | { readonly [config: string]: readonly string[] };

export interface CheckOptions<M extends string = string> {
  /**
   * The properties the design claims to hold. Default: every safety and bounded-liveness property of the
   * verdict table; no capability (migratable, transparent, oom-reclaimable), which a design may give up.
   */
  claims?: Claims;
  /** The configs to check in (default: the strategy's own). */
  configs?: readonly string[];
  /** Check this mutant instead of the correct design (checkMutants does it for each). */
  mutant?: M | null;
  /** fast-check runs, commands per run, seed (default: the project's, 1000 x 100, seed 1). */
  budget?: Partial<Budget>;
  /** Where a counterexample is written (default `out`, relative to the working directory); null: nowhere. */
  out?: string | null;
  /** `sometimes` properties (witness ids) each config must reach, or the check fails as vacuous. */
  reach?: readonly string[];
}

export interface ConfigReport {
  config: string;
  holds: string[];
  failures: { property: string; steps: number; file: string | null; text: string }[];
  /** The witnesses (sometimes-*) the search reached. */
  reached: string[];
}

/** A failed check: the message is the explained counterexample; `reports` has every config's result. */
export class StrategyCheckError extends Error {
  constructor(
    message: string,
    readonly reports: ConfigReport[],
  ) {
    super(message);
    this.name = 'StrategyCheckError';
  }
}

/** The default claims: the verdict table's properties that are not capabilities. */
export const defaultClaims: readonly string[] = verdictProperties.filter((p) => !p.capability).map((p) => p.id);

function claimed(claims: Claims | undefined, config: string, who: string): Property<any>[] {
  const ids = claims === undefined ? defaultClaims : Array.isArray(claims) ? claims : ((claims as Record<string, readonly string[]>)[config] ?? []);
  return ids.map((id) => {
    const p = propertyById(id);
    if (!p || p.kind === 'sometimes') {
      throw new Error(`${who}: claims: unknown property '${id}' (one of: ${verdictProperties.map((x) => x.id).join(', ')})`);
    }
    return p;
  });
}

function who(s: Strategy<any, any, any>, mutant: string | null | undefined): string {
  return mutant ? `${s.name} (mutant ${mutant})` : s.name;
}

/** Explain a failure as the numbered trace a person reads. */
export function explainFailure(m: Model, f: Failure): string {
  const r = runActions(m, f.actions, [propertyById(f.property)!], true);
  return renderText(explain(r.trace, r.violation, r.step));
}

/** Check every config; returns the reports (nothing thrown). `firstOnly`: stop at the first failure. */
export function checkConfigs<D, M extends string, K extends string>(strategy: Strategy<D, M, K>, opts: CheckOptions<M> = {}, firstOnly = false): ConfigReport[] {
  const s: Strategy = strategy;
  const budget: Budget = { ...defaultBudget, ...opts.budget };
  const out = opts.out === undefined ? 'out' : opts.out;
  const mutant = opts.mutant ?? null;
  const name = who(s, mutant);
  const reports: ConfigReport[] = [];
  for (const c of opts.configs ?? s.configs) {
    const cfg = configByName(c);
    if (!cfg) throw new Error(`${name}: configs: unknown config '${c}'`);
    const props = claimed(opts.claims, c, name);
    const m = makeModel(s, cfg, mutant);
    const r = checkModel(m, [...props, ...witnesses], budget, firstOnly);
    reports.push({
      config: c,
      holds: r.holds,
      reached: [...r.reached],
      failures: r.failures.map((f) => ({
        property: f.property,
        steps: f.actions.length,
        file: out === null ? null : saveCounterexample(out, toCounterexample(m, f, 'fast-check')),
        text: explainFailure(m, f),
      })),
    });
  }
  return reports;
}

function render(name: string, reports: readonly ConfigReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    for (const f of r.failures) {
      lines.push(`${name} in ${r.config}: ${f.property} FAILS in ${f.steps} steps`);
      if (f.file) lines.push(`  counterexample: ${f.file}  (npx dmacheck replay ${f.file})`);
      lines.push(f.text.replace(/^/gm, '  '));
    }
  }
  return lines.join('\n');
}

/**
 * Check that `strategy` (or `opts.mutant`) holds every property it claims in each of its configs.
 * Throws a StrategyCheckError, whose message is the explained counterexample, on the first config with a
 * failure; returns the reports when everything holds.
 */
export function checkStrategy<D, M extends string, K extends string>(strategy: Strategy<D, M, K>, opts: CheckOptions<M> = {}): ConfigReport[] {
  const reports = checkConfigs(strategy, opts);
  const name = who(strategy, opts.mutant);
  if (reports.some((r) => r.failures.length > 0)) throw new StrategyCheckError(render(name, reports), reports);
  for (const id of opts.reach ?? []) {
    const missing = reports.filter((r) => !r.reached.includes(id)).map((r) => r.config);
    if (missing.length > 0) throw new StrategyCheckError(`${name}: never reached ${id} in ${missing.join(', ')}: the check is vacuous there`, reports);
  }
  return reports;
}

export interface MutantKill {
  mutant: string;
  /** The config and the claimed property that caught it, or null if it survived. */
  config: string | null;
  property: string | null;
  steps: number;
  file: string | null;
}

/**
 * Check that each of the strategy's mutants (its planted bugs) breaks a property the design claims, in
 * some config. Throws a StrategyCheckError naming the survivors; returns how each was caught.
 */
export function checkMutants<D, M extends string, K extends string>(strategy: Strategy<D, M, K>, opts: Omit<CheckOptions<M>, 'mutant'> = {}): MutantKill[] {
  const kills: MutantKill[] = [];
  for (const mu of strategy.mutants) {
    let kill: MutantKill = { mutant: mu.name, config: null, property: null, steps: 0, file: null };
    for (const c of opts.configs ?? strategy.configs) {
      const f = checkConfigs(strategy, { ...opts, configs: [c], mutant: mu.name }, true)[0]!.failures[0];
      if (f) {
        kill = { mutant: mu.name, config: c, property: f.property, steps: f.steps, file: f.file };
        break;
      }
    }
    kills.push(kill);
  }
  const survivors = kills.filter((k) => k.property === null);
  if (survivors.length > 0) {
    throw new StrategyCheckError(
      `${strategy.name}: ${survivors.length} mutant(s) survived the budget, no claimed property caught them: ${survivors.map((k) => k.mutant).join(', ')}`,
      [],
    );
  }
  return kills;
}
