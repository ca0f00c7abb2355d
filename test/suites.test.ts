// Every strategy in every config against every property, compared with manifest.json: a correct design
// holds what the manifest says it holds over the budget; what a design gives up fails, with a short
// counterexample that replays; and the `sometimes` witnesses show the search reached the states that
// matter, so that nothing passes vacuously. The witnesses each design must reach are the manifest's
// (written by `check --update-manifest`), compared by the same code as `dmacheck check` and `matrix`.
import { describe, it, expect, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strategies, strategyByName } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import { propertyById, verdictProperties, witnesses } from '../properties/index.ts';
import { checkDesign, configsOf, designMismatches, expectedVerdict, expectedWitnesses, loadManifest, runMutant, type Manifest, type Mismatch } from '../src/verdicts.ts';
import { runActions } from '../src/run.ts';
import { cli } from './helpers.ts';
import { deep, suiteBudget } from './budget.ts';
import { blockingDesigns, designVerdicts } from './design-verdicts.ts';

const manifest = loadManifest();


describe('verdicts of the designs', () => {
  it('has a manifest entry for every strategy, config and property', () => {
    expect(manifest).not.toBeNull();
  });

  // The designs of the P2P configs run in test/suites-p2p.test.ts, and the blocking designs (the slowest
  // rows, their oracle searches) in test/suites-blocking.test.ts: the files spread over the two workers.
  designVerdicts(strategies.filter((s) => !s.configs.some((c) => configByName(c)?.topology) && !blockingDesigns.includes(s.name)).map((s) => s.name));

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


/** The committed manifest with one change, written to a temporary file. */
function manifestWith(change: (m: Manifest) => void): string {
  const m = structuredClone(manifest!);
  change(m);
  const path = join(mkdtempSync(join(tmpdir(), 'dmacheck-manifest-')), 'manifest.json');
  writeFileSync(path, JSON.stringify(m));
  return path;
}

describe('no vacuous cell', () => {
  const peerdirect = strategyByName('peerdirect-revoke')!;

  it('every verdict property names a premise, and the premise is a sometimes witness', () => {
    for (const p of verdictProperties) {
      expect(p.premise, p.id).toBeDefined();
      expect(witnesses.find((w) => w.id === p.premise)?.kind, `${p.id}'s premise ${p.premise}`).toBe('sometimes');
    }
  });

  it('a cell whose premise is unreachable is n/a: peerdirect-revoke in p2p-none, where registration is refused', () => {
    const d = checkDesign(peerdirect, configByName('p2p-none')!, suiteBudget);
    expect(d.result.failures).toEqual([]);
    for (const c of d.cells) {
      const premise = propertyById(c.property)!.premise!;
      expect(d.result.reached.has(premise), `${c.property}'s premise ${premise}`).toBe(false);
      expect(c.verdict, c.property).toBe('n/a');
    }
  });

  it('and a cell whose premise is reached is not: peerdirect-revoke in p2p-switch holds no-dma-after-free and p2p-topology', () => {
    const d = checkDesign(peerdirect, configByName('p2p-switch')!, suiteBudget);
    for (const id of ['no-dma-after-free', 'coherent-dma', 'p2p-topology']) {
      expect(d.result.reached.has(propertyById(id)!.premise!), id).toBe(true);
      expect(d.cells.find((c) => c.property === id)!.verdict, id).toBe('holds');
    }
  });

  it('check exits 0 when the run equals the manifest, and 1 naming the witness when the manifest says holds for a cell whose premise was not reached', async () => {
    const args = ['check', '--strategy', 'peerdirect-revoke', '--config', 'p2p-none'];
    const ok = await cli(...args);
    expect(ok.code, ok.all).toBe(0);
    expect(ok.all).toMatch(/n\/a \(premise never reached\): .*coherent-dma \(sometimes-device-memory-invalidated\)/);
    const bad = manifestWith((m) => {
      m.verdicts.find((v) => v.strategy === 'peerdirect-revoke' && v.config === 'p2p-none' && v.property === 'coherent-dma')!.verdict = 'holds';
    });
    const r = await cli(...args, '--manifest', bad);
    expect(r.code, r.all).toBe(1);
    expect(r.all).toContain('peerdirect-revoke / p2p-none / coherent-dma: n/a, manifest says holds: its premise `sometimes-device-memory-invalidated`');
  });

  it('check exits 1 naming the witness when a witness the manifest lists for the design is not reached', async () => {
    const bad = manifestWith((m) => {
      m.witnesses!.find((w) => w.strategy === 'peerdirect-revoke' && w.config === 'p2p-none')!.reached.push('sometimes-p2p-dma');
    });
    const r = await cli('check', '--strategy', 'peerdirect-revoke', '--config', 'p2p-none', '--manifest', bad);
    expect(r.code, r.all).toBe(1);
    expect(r.all).toContain('peerdirect-revoke / p2p-none: witness `sometimes-p2p-dma`');
  });

  it('check --manifest names a bad file and exits 2', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dmacheck-manifest-')), 'manifest.json');
    writeFileSync(path, JSON.stringify({ verdicts: [{ strategy: 'odp-mirror', config: 'kernel-queue', property: 'coherent-dma', verdict: 'vacuous' }] }));
    const r = await cli('check', '--strategy', 'peerdirect-revoke', '--config', 'p2p-none', '--manifest', path);
    expect(r.code).toBe(2);
    expect(r.all).toMatch(/--manifest: .*verdicts\.0\.verdict/);
  });

  it('a mutant is held to the properties its design does not fail: peerdirect-revoke\'s no-topology-check is killed in p2p-none by p2p-topology, n/a for the design', () => {
    expect(expectedVerdict(manifest, 'peerdirect-revoke', 'p2p-none', 'p2p-topology')).toBe('n/a');
    const r = runMutant(peerdirect, 'no-topology-check', suiteBudget, manifest, configByName('p2p-none')!);
    expect(r.kill?.failure.property).toBe('p2p-topology');
  });
});
