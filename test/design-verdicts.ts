// Every design in every config against every property (in `npm test` the rows inDefaultSuite names, with
// DMACHECK_DEEP=1 all), compared with manifest.json (verdicts and witnesses, by the same code as `dmacheck
// check`); each failure replays and stays short. Shared by test/suites*.test.ts, which spread over the workers.
import { it, expect } from 'vitest';
import { strategies, strategyByName } from '../model/strategies/index.ts';
import { allProperties, propertyById } from '../properties/index.ts';
import { checkDesign, configsOf, designMismatches, expectedWitnesses, loadManifest, type Mismatch } from '../src/verdicts.ts';
import { runActions } from '../src/run.ts';
import { deep, suiteBudget } from './budget.ts';

/** A known weakness's counterexample must stay short enough to read. */
export const MAX_WEAKNESS_STEPS = 20;

/**
 * The rows `npm test` re-derives at the manifest's budget: every strategy in its first config, and every
 * config with the first strategy (in table order) that runs in it, so that each design and each config is
 * checked (29 of the 50 rows). DMACHECK_DEEP=1 re-derives all of them, as `dmacheck check` does; the
 * suite's 3-minute limit does not hold all 50 (measured: 138 of its 369 CPU seconds were these rows).
 */
export function inDefaultSuite(strategy: string, config: string): boolean {
  if (deep) return true;
  const s = strategyByName(strategy)!;
  if (configsOf(s)[0]!.name === config) return true;
  return strategies.find((x) => configsOf(x).some((c) => c.name === config))!.name === strategy;
}

/**
 * The properties the default suite re-derives: all but no-hung-task, whose oracle questions cost the
 * manifest's 50 rows 85 CPU seconds of 213 (measured), past the suite's 3-minute limit; its cells stay
 * in the manifest and the matrix, `dmacheck check` always derives them, and DMACHECK_DEEP=1 here too.
 */
export const SUITE_LEAVES_OUT: readonly string[] = deep ? [] : ['no-hung-task'];
const suiteProperties = allProperties.filter((p) => !SUITE_LEAVES_OUT.includes(p.id));

export function designVerdicts(names: readonly string[]): void {
  const manifest = loadManifest();
  for (const name of names) {
    const s = strategyByName(name)!;
    for (const cfg of configsOf(s)) {
      if (!inDefaultSuite(s.name, cfg.name)) continue;
      it(`${s.name} in ${cfg.name}: every verdict and witness equals the manifest's, failures replay`, () => {
        const d = checkDesign(s, cfg, suiteBudget, suiteProperties);
        expect(expectedWitnesses(manifest, s.name, cfg.name), 'the manifest lists its witnesses').toBeDefined();
        // A deeper run (DMACHECK_DEEP=1) may reach a premise the manifest's budget did not: holds where the
        // manifest says n/a is then no mismatch.
        const deeper = (x: Mismatch) => deep && x.expected === 'n/a' && x.verdict === 'holds';
        expect(designMismatches(s.name, cfg.name, d.cells, d.result.reached, manifest).filter((x) => !deeper(x)).map((x) => x.message)).toEqual([]);
        for (const f of d.result.failures) {
          expect(f.actions.length, `${f.property} counterexample length`).toBeLessThanOrEqual(MAX_WEAKNESS_STEPS);
          const r = runActions(d.model, f.actions, [propertyById(f.property)!]);
          expect(r.violation?.property).toBe(f.property);
          expect(r.step).toBe(f.actions.length - 1);
        }
      });
    }
  }
}

/** The designs whose callbacks wait (their rows ask the progress oracle most): a suite file of their own. */
export const blockingDesigns: readonly string[] = ['mirror-blocking-notifier', 'queue-preempt'];
