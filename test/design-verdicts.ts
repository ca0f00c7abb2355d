// Every design in every config against every property, compared with manifest.json (verdicts and
// witnesses, by the same code as `dmacheck check`); each failure replays and stays short. Shared by
// test/suites.test.ts and test/suites-p2p.test.ts, so that the two halves run on the two workers.
import { it, expect } from 'vitest';
import { strategyByName } from '../model/strategies/index.ts';
import { propertyById } from '../properties/index.ts';
import { checkDesign, configsOf, designMismatches, expectedWitnesses, loadManifest, type Mismatch } from '../src/verdicts.ts';
import { runActions } from '../src/run.ts';
import { deep, suiteBudget } from './budget.ts';

/** A known weakness's counterexample must stay short enough to read. */
export const MAX_WEAKNESS_STEPS = 20;

export function designVerdicts(names: readonly string[]): void {
  const manifest = loadManifest();
  for (const name of names) {
    const s = strategyByName(name)!;
    for (const cfg of configsOf(s)) {
      it(`${s.name} in ${cfg.name}: every verdict and witness equals the manifest's, failures replay`, () => {
        const d = checkDesign(s, cfg, suiteBudget);
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
