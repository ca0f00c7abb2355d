// Every mutant is killed by a property its correct design holds (never by its name), with a short
// shrunk counterexample that replays, the committed corpus holds its counterexample, and the correct
// design on the mutant's scenario does not break that property (test/mutant-controls.ts).
//
// The mutants are split over two test files (mutants-*.test.ts) so that the two workers share them; each
// test's cost is a budget of fast-check runs (suiteBudget), not a time.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Model } from '../model/model.ts';
import { sameAction } from '../model/model.ts';
import { strategies, strategyByName } from '../model/strategies/index.ts';
import type { Action } from '../model/types.ts';
import { propertyById } from '../properties/index.ts';
import { expectedVerdict, killMutant, loadManifest } from '../src/verdicts.ts';
import { runActions } from '../src/run.ts';
import { fileNameOf } from '../src/counterexample/format.ts';
import { deep, suiteBudget } from './budget.ts';
import { configByName } from '../model/configs.ts';
import { SUITE_LEAVES_OUT } from './design-verdicts.ts';

import { controls } from './mutant-controls.ts';
import { holdsOver, model, traceText } from './helpers.ts';

/** The committed corpus: its directory and its file names. */
const corpusDir = new URL('../counterexamples/', import.meta.url);
const corpus = readdirSync(corpusDir);

/**
 * The suite leaves the costly properties out of a mutant's kill search (measured: no-hung-task added 35
 * of 100 CPU seconds to the mutant test files) except for the mutants the committed corpus says one of
 * them kills (`dmacheck mutants` checks them all): their kill is still that property's.
 */
function leftOutFor(strategy: string, mutant: string): string[] {
  return SUITE_LEAVES_OUT.filter((p) => !corpus.some((f) => f.startsWith(`${strategy}--${mutant}--`) && f.endsWith(`--${p}.json`)));
}

/** Which strategies' mutants each test file kills. */
export const mutantGroups: Record<string, readonly string[]> = {
  notifiers: ['odp-mirror', 'mirror-blocking-notifier', 'queue-preempt'],
  'pins-and-p2p': ['pin-longterm', 'pin-per-job', 'peerdirect-revoke', 'dmabuf-static', 'dmabuf-dynamic', 'hmm-p2p'],
  'p2p-user': ['p2p-gup', 'p2p-vma-map', 'peerdirect-kill'],
  hmm: ['dmirror'],
};

/**
 * The config each mutant's committed counterexample was found in (by `dmacheck mutants`, which searches
 * every config of the strategy in order). The suite searches that config only: a mutant that survives
 * the configs before it would cost a whole budget in each (DMACHECK_DEEP=1 searches them all again).
 */
function corpusConfigs(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of corpus) {
    if (!f.endsWith('.json')) continue;
    const c = JSON.parse(readFileSync(new URL(f, corpusDir), 'utf8')) as { strategy?: string; mutant?: string | null; config?: string };
    if (c.mutant && c.strategy && c.config && !out.has(`${c.strategy}/${c.mutant}`)) out.set(`${c.strategy}/${c.mutant}`, c.config);
  }
  return out;
}

/** The longest shrunk counterexample we accept for a mutant (fork takes a step per page: model/fork.ts). */
const MAX_MUTANT_STEPS = 18;

/** The control run on the correct design (see test/mutant-controls.ts). */
function controlRun(key: string, design: Model, property: string, mutantTrace: readonly Action[]): void {
  const control = controls[key];
  expect(control, `${key} has no entry in test/mutant-controls.ts`).toBeDefined();
  const prop = [propertyById(property)!];
  const onDesign = runActions(design, mutantTrace, prop);
  if (control === 'same') {
    // The whole mutant trace runs on the correct design, and does not break the property there.
    holdsOver(design, mutantTrace, prop);
    return;
  }
  const c = control!;
  expect({ config: c.config, property: c.property }, `${key}: the control was written for another kill`).toEqual({ config: design.cfg.name, property });
  const blocked = onDesign.notEnabled?.action;
  expect(blocked, `${key}: the mutant trace runs on the correct design (${traceText(design, mutantTrace)}): mark it 'same'`).toBeDefined();
  // The same scenario up to the step the design does not take there, then the design's own way.
  const prefix = mutantTrace.slice(0, onDesign.ran);
  expect(traceText(design, c.trace.slice(0, prefix.length)), `${key}: the control trace starts as the mutant trace does`).toBe(traceText(design, prefix));
  holdsOver(design, c.trace, prop);
  if (c.refuses) {
    // The design never takes the mutant's step here: not enabled at the end of the control trace.
    expect(c.refuses.some((a) => sameAction(a, blocked!)), `${key}: refuses includes the blocked step ${traceText(design, [blocked!])}`).toBe(true);
    for (const a of c.refuses) {
      const r = runActions(design, [...c.trace, a], []);
      expect(r.notEnabled?.index, `${key}: the design takes ${traceText(design, [a])} after the control trace`).toBe(c.trace.length);
    }
  } else {
    // The design takes the step where the mutant broke the property, after the design's own wait.
    const last = mutantTrace.at(-1)!;
    expect(c.trace.some((a) => sameAction(a, last)), `${key}: the control trace takes the mutant's last step ${traceText(design, [last])}`).toBe(true);
  }
}

export function mutantSuite(group: string): void {
  const manifest = loadManifest();
  const found = deep ? new Map<string, string>() : corpusConfigs();
  describe(`mutants (${group})`, () => {
    for (const name of mutantGroups[group]!) {
      const s = strategyByName(name)!;
      it(`${s.name} ships at least three mutants, each naming its bug pattern and its control run`, () => {
        expect(s.mutants.length).toBeGreaterThanOrEqual(3);
        for (const m of s.mutants) {
          expect(m.pattern.length).toBeGreaterThan(20);
          expect(controls[`${s.name}/${m.name}`], `${s.name}/${m.name} in test/mutant-controls.ts`).toBeDefined();
        }
      });
      for (const mu of s.mutants) {
        it(`${s.name} / ${mu.name} is killed by a property the design holds, in a short replayable counterexample; the design survives its scenario`, () => {
          const where = found.get(`${s.name}/${mu.name}`);
          const k = killMutant(s, mu.name, suiteBudget, manifest, where === undefined ? undefined : configByName(where), leftOutFor(s.name, mu.name));
          expect(k, 'survived the budget').not.toBeNull();
          const { model: mutant, failure } = k!;
          // The design does not fail it there: 'holds', or 'n/a' where its premise is not reached (a mutant
          // may reach what the design never does, e.g. P2P where the topology allows none).
          expect(['holds', 'n/a'], `the manifest's verdict for ${s.name} in ${mutant.cfg.name}, ${failure.property}`).toContain(expectedVerdict(manifest, s.name, mutant.cfg.name, failure.property));
          expect(failure.actions.length).toBeLessThanOrEqual(MAX_MUTANT_STEPS);
          const r = runActions(mutant, failure.actions, [propertyById(failure.property)!]);
          expect(r.violation?.property).toBe(failure.property);
          expect(r.step).toBe(failure.actions.length - 1);
          controlRun(`${s.name}/${mu.name}`, model(s.name, mutant.cfg.name), failure.property, failure.actions);
          const file = new URL(`../counterexamples/${fileNameOf({ strategy: s.name, mutant: mu.name, config: mutant.cfg.name, property: { id: failure.property } as never })}`, import.meta.url);
          expect(existsSync(file), `committed counterexample ${file.pathname}`).toBe(true);
        });
      }
    }
  });
}

/** Every strategy's mutants are in exactly one group, and every control names a mutant that exists. */
export function mutantGroupsCoverAll(): void {
  it('every strategy is in exactly one mutant group, and every control names a shipped mutant', () => {
    const grouped = Object.values(mutantGroups).flat();
    expect([...grouped].sort()).toEqual(strategies.map((s) => s.name).sort());
    const shipped = strategies.flatMap((s) => s.mutants.map((m) => `${s.name}/${m.name}`));
    expect(Object.keys(controls).sort()).toEqual(shipped.sort());
  });
}
