// The manifest of expected verdicts (manifest.json) against what exists: every row names a known
// strategy, one of its configs and a verdict property, once; every cell has a row; every failing cell and
// every mutant has its committed counterexample. The check is shown to reject each kind of bad manifest.
import { describe, it, expect } from 'vitest';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest, ManifestSchema, type Manifest } from '../src/verdicts.ts';
import { manifestProblems } from './manifest-check.ts';

const corpus = new URL('../counterexamples/', import.meta.url).pathname;
const manifest = loadManifest()!;
const row = (strategy: string, config: string, property: string, verdict = 'holds') => ({ strategy, config, property, verdict }) as Manifest['verdicts'][number];
const withRows = (...rows: Manifest['verdicts']): Manifest => ({ ...manifest, verdicts: [...manifest.verdicts, ...rows] });

/** A copy of the corpus without the files named. */
function corpusWithout(...files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmacheck-corpus-'));
  for (const f of readdirSync(corpus)) if (f.endsWith('.json') && !files.includes(f)) copyFileSync(join(corpus, f), join(dir, f));
  return dir;
}

describe('manifest.json', () => {
  it('exists and parses', () => {
    expect(manifest.verdicts.length).toBeGreaterThan(100);
  });

  it('names only known cells, each once, covers every cell, and each failing cell and mutant has its counterexample', () => {
    expect(manifestProblems(manifest, corpus)).toEqual([]);
  });

  it('has verdicts from the schema only', () => {
    const allowed = ManifestSchema.shape.verdicts.element.shape.verdict.options as readonly string[];
    expect(allowed).toEqual(expect.arrayContaining(['holds', 'fails']));
    for (const v of manifest.verdicts) expect(allowed).toContain(v.verdict);
    expect(manifest.verdicts.some((v) => v.verdict === 'fails')).toBe(true);
  });
});

describe('the manifest check', () => {
  const n = manifest.verdicts.length;
  it.each([
    [row('no-such-driver', 'kernel-queue', 'coherent-dma'), /unknown strategy 'no-such-driver'/],
    [row('odp-mirror', 'no-such-config', 'coherent-dma'), /unknown config 'no-such-config'/],
    [row('odp-mirror', 'p2p-switch', 'coherent-dma'), /odp-mirror is not checked in config 'p2p-switch'/],
    [row('odp-mirror', 'kernel-queue', 'no-such-property'), /unknown property 'no-such-property'/],
    [row('odp-mirror', 'kernel-queue', 'sometimes-dma-landed'), /unknown property 'sometimes-dma-landed' \(not a verdict property\)/],
    [row('odp-mirror', 'kernel-queue', 'coherent-dma'), /duplicates row \d+/],
  ])('rejects a bogus row %j', (bogus, msg) => {
    const problems = manifestProblems(withRows(bogus), corpus);
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(new RegExp(`^manifest row ${n} `));
    expect(problems[0]).toMatch(msg);
  });

  it('notices a missing row', () => {
    const gone = manifest.verdicts[0]!;
    const problems = manifestProblems({ ...manifest, verdicts: manifest.verdicts.slice(1) }, corpus);
    expect(problems).toEqual([`no manifest row for ${gone.strategy} in ${gone.config}, ${gone.property}`]);
  });

  it('notices a deleted known-weakness file, naming it', () => {
    const weakness = manifest.verdicts.find((v) => v.verdict === 'fails')!;
    const file = `${weakness.strategy}--${weakness.config}--${weakness.property}.json`;
    const dir = corpusWithout(file);
    expect(manifestProblems(manifest, dir)).toEqual([`missing counterexample file ${join(dir, file)} for the failing cell ${weakness.strategy} in ${weakness.config}, ${weakness.property}`]);
  });

  it('notices a deleted mutant file, naming the mutant', () => {
    const file = readdirSync(corpus).find((f) => f.startsWith('odp-mirror--zap-without-wait--'))!;
    expect(file, 'the corpus holds zap-without-wait\'s counterexample').toMatch(/\.json$/);
    const problems = manifestProblems(manifest, corpusWithout(file));
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(/^missing counterexample file .*odp-mirror--zap-without-wait--<config>--<property>\.json for mutant odp-mirror\/zap-without-wait$/);
  });

  it('notices a known weakness whose cell the manifest says holds', () => {
    const weakness = manifest.verdicts.find((v) => v.verdict === 'fails')!;
    const flipped = { ...manifest, verdicts: manifest.verdicts.map((v) => (v === weakness ? { ...v, verdict: 'holds' as const } : v)) };
    expect(manifestProblems(flipped, corpus)).toEqual([`${weakness.strategy}--${weakness.config}--${weakness.property}.json: a known weakness for a cell the manifest says holds`]);
  });

  it('a verdict outside the schema is refused on load, naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmacheck-manifest-'));
    const path = join(dir, 'manifest.json');
    writeFileSync(path, JSON.stringify({ verdicts: [row('odp-mirror', 'kernel-queue', 'coherent-dma', 'maybe')] }));
    expect(() => loadManifest(path)).toThrow(new RegExp(`${path}: verdicts\\.0\\.verdict: `));
  });
});
