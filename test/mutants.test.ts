// Every mutant is killed by a property its correct design holds (never by its name), with a short
// shrunk counterexample that replays, and the committed corpus holds its counterexample.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { strategies } from '../model/strategies/index.ts';
import { propertyById } from '../properties/index.ts';
import { expectedVerdict, killMutant, loadManifest } from '../src/verdicts.ts';
import { runActions } from '../src/run.ts';
import { fileNameOf } from '../src/counterexample/format.ts';
import { suiteBudget } from './budget.ts';

const manifest = loadManifest();

/** The longest shrunk counterexample we accept for a mutant. */
const MAX_MUTANT_STEPS = 16;

describe('mutants', () => {
  for (const s of strategies) {
    it(`${s.name} ships at least three mutants, each naming its bug pattern`, () => {
      expect(s.mutants.length).toBeGreaterThanOrEqual(3);
      for (const m of s.mutants) expect(m.pattern.length).toBeGreaterThan(20);
    });
    for (const mu of s.mutants) {
      it(`${s.name} / ${mu.name} is killed by a property the design holds, in a short replayable counterexample`, () => {
        const k = killMutant(s, mu.name, suiteBudget, manifest);
        expect(k, 'survived the budget').not.toBeNull();
        const { model, failure } = k!;
        // Held to what the design does not fail: holds, or n/a (a premise the design never reaches, e.g. a
        // registration it refuses, which the mutant may reach).
        expect(expectedVerdict(manifest, s.name, model.cfg.name, failure.property)).not.toBe('fails');
        expect(failure.actions.length).toBeLessThanOrEqual(MAX_MUTANT_STEPS);
        const r = runActions(model, failure.actions, [propertyById(failure.property)!]);
        expect(r.violation?.property).toBe(failure.property);
        // The same trace on the correct design does not break that property.
        const design = { ...model, mutant: null };
        const onDesign = runActions(design, failure.actions, [propertyById(failure.property)!]);
        expect(onDesign.violation).toBeNull();
        const file = new URL(`../counterexamples/${fileNameOf({ strategy: s.name, mutant: mu.name, config: model.cfg.name, property: { id: failure.property } as never })}`, import.meta.url);
        expect(existsSync(file), `committed counterexample ${file.pathname}`).toBe(true);
      });
    }
  }
});
