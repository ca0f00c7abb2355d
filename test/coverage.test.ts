// Coverage, as TLC and P report it: what a "holds" rests on.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, model } from './helpers.ts';
import { checkModel } from '../src/check.ts';
import { Coverage } from '../src/coverage.ts';
import { verdictProperties, witnesses } from '../properties/index.ts';

describe('coverage of a check', () => {
  const m = model('odp-mirror', 'kernel-queue');
  const cov = new Coverage();
  const r = checkModel(m, [...verdictProperties, ...witnesses], { runs: 60, maxCommands: 40, seed: 1 }, false, cov);
  const rep = cov.report([...m.kinds.values()], witnesses.map((w) => w.id));
  it('counts the runs and steps the explorer took, per action kind', () => {
    expect(rep.runs).toBe(r.stats.runs);
    expect(rep.steps).toBe(r.stats.executed);
    expect(rep.kinds.reduce((n, k) => n + k.ran, 0)).toBe(rep.steps);
    expect(rep.kinds.find((k) => k.kind === 'register')!.ran).toBeGreaterThan(0);
  });
  it('names the kinds never enabled: a kernel-queue config never runs user_signal, odp-mirror no dax_move', () => {
    expect(rep.neverEnabled).toContain('user_signal');
    expect(rep.neverEnabled).toContain('dax_move');
    for (const k of rep.kinds) if (k.ran > 0) expect(k.enabledIn, k.kind).toBeGreaterThan(0);
  });
  it('reports each witness the check reached, at a depth within the runs', () => {
    const reached = rep.witnesses.filter((w) => w.reached).map((w) => w.id).sort();
    expect(reached).toEqual([...r.reached].filter((id) => id.startsWith('sometimes-')).sort());
    for (const w of rep.witnesses) if (w.reached) expect(w.depth!).toBeGreaterThan(0), expect(w.depth!).toBeLessThanOrEqual(rep.maxDepth);
    expect(rep.witnesses.find((w) => w.id === 'sometimes-dax-moved')!.reached).toBe(false);
  });
});

describe('dmacheck check --coverage and --json', () => {
  it('prints the coverage, and --json carries it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dmacheck-cov-'));
    const t = await cli('check', '--strategy', 'pin-per-job', '--config', 'kernel-queue', '--runs', '40', '--coverage', '--out', out);
    expect(t.out).toMatch(/coverage: \d+ runs, \d+ steps/);
    expect(t.out).toMatch(/never enabled: .*user_signal/);
    expect(t.out).toMatch(/witnesses reached \(fewest steps\): .*\(\d+\)/);
    const j = await cli('check', '--strategy', 'pin-per-job', '--config', 'kernel-queue', '--runs', '40', '--json', '--out', out);
    const doc = JSON.parse(j.out);
    expect(doc.checks).toHaveLength(1);
    expect(doc.checks[0].coverage.kinds.length).toBeGreaterThan(10);
    expect(doc.checks[0].coverage.neverEnabled).toContain('user_signal');
    expect(doc.exit).toBe(j.code);
  });
  it('--coverage counts walks too, and is refused for an exhaustive search, which has no runs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dmacheck-cov-walk-'));
    const w = await cli('check', '--strategy', 'pin-per-job', '--config', 'kernel-queue', '--explorer', 'walk', '--runs', '20', '--coverage', '--out', out);
    expect(w.out).toMatch(/coverage: \d+ runs, \d+ steps/);
    expect(w.out).toMatch(/never enabled: .*user_signal/);
    const r = await cli('check', '--strategy', 'pin-per-job', '--explorer', 'bfs', '--coverage');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--coverage counts the runs of fast-check or of walks/);
  });
});
