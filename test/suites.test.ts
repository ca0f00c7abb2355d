// Every strategy in every config against every property, compared with manifest.json: a correct design
// holds what the manifest says it holds over the budget; what a design gives up fails, with a short
// counterexample that replays; and the `sometimes` witnesses show the search reached the states that
// matter, so that nothing passes vacuously. The witnesses each design must reach are the manifest's
// (written by `check --update-manifest`), compared by the same code as `dmacheck check` and `matrix`.
import { describe, it, expect } from 'vitest';
import { strategies } from '../model/strategies/index.ts';
import { propertyById } from '../properties/index.ts';
import { checkDesign, configsOf, designMismatches, expectedVerdict, expectedWitnesses, loadManifest } from '../src/verdicts.ts';
import { runActions } from '../src/run.ts';
import { suiteBudget } from './budget.ts';

const manifest = loadManifest();

/** A known weakness's counterexample must stay short enough to read. */
const MAX_WEAKNESS_STEPS = 20;

describe('verdicts of the designs', () => {
  it('has a manifest entry for every strategy, config and property', () => {
    expect(manifest).not.toBeNull();
  });

  for (const s of strategies) {
    for (const cfg of configsOf(s)) {
      it(`${s.name} in ${cfg.name}: every verdict and witness equals the manifest's, failures replay`, () => {
        const d = checkDesign(s, cfg, suiteBudget);
        expect(expectedWitnesses(manifest, s.name, cfg.name), 'the manifest lists its witnesses').toBeDefined();
        expect(designMismatches(s.name, cfg.name, d.cells, d.result.reached, manifest).map((x) => x.message)).toEqual([]);
        for (const c of d.cells) {
          expect(c.verdict, `${c.property}`).toBe(expectedVerdict(manifest, s.name, cfg.name, c.property));
        }
        for (const f of d.result.failures) {
          expect(f.actions.length, `${f.property} counterexample length`).toBeLessThanOrEqual(MAX_WEAKNESS_STEPS);
          const r = runActions(d.model, f.actions, [propertyById(f.property)!]);
          expect(r.violation?.property).toBe(f.property);
          expect(r.step).toBe(f.actions.length - 1);
        }
      });
    }
  }

  it('shows the seeds\' claims: ODP follows the VMA, a pin does not; a pin keeps DMA off freed memory; the blocking notifier waits on user space', () => {
    const v = (s: string, c: string, p: string) => expectedVerdict(manifest, s, c, p);
    for (const c of ['kernel-queue', 'user-queue']) {
      expect(v('odp-mirror', c, 'coherent-dma')).toBe('holds');
      expect(v('odp-mirror', c, 'bounded-notifier')).toBe('holds');
      expect(v('pin-longterm', c, 'coherent-dma')).toBe('fails');
      expect(v('pin-longterm', c, 'no-dma-after-free')).toBe('holds');
      expect(v('pin-longterm', c, 'isolation')).toBe('holds');
      expect(v('pin-longterm', c, 'pins-balanced')).toBe('holds');
    }
    expect(v('pin-longterm', 'kernel-queue-fork-2021', 'isolation')).toBe('fails');
    expect(v('mirror-blocking-notifier', 'kernel-queue', 'bounded-notifier')).toBe('holds');
    expect(v('mirror-blocking-notifier', 'user-queue', 'bounded-notifier')).toBe('fails');
  });
});
