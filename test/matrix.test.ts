// The verdict matrix: deterministic for a seed, every failing cell backed by a counterexample that
// replays, every cell compared with the manifest, and docs/verdicts.md generated from it.
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { computeMatrix, differences, matrixCells, renderMarkdown, renderTable } from '../src/matrix.ts';
import { loadManifest } from '../src/verdicts.ts';
import { replayFile } from '../src/counterexample/replay.ts';
import { verdictsDoc } from '../src/report/verdicts-doc.ts';
import { strategies } from '../model/strategies/index.ts';

// The matrix is compared with the manifest cell by cell in suites.test.ts, at the manifest's budget;
// here a small budget checks how the matrix is built, rendered and backed.
const budget = { runs: 60, maxCommands: 60, seed: 11 };

describe('the verdict matrix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmacheck-matrix-'));
  const m = computeMatrix(budget, loadManifest(), dir);

  it('covers every strategy in every one of its configs', () => {
    for (const s of strategies) for (const c of s.configs) expect(m.rows.some((r) => r.strategy === s.name && r.config === c), `${s.name}/${c}`).toBe(true);
  });

  it('gives the same table twice for the same seed', () => {
    const again = computeMatrix(budget, loadManifest(), null);
    expect(renderTable(again, true)).toBe(renderTable(m, true));
  });

  it('backs each failing cell with a counterexample that replays, and each holding cell with its budget', () => {
    for (const c of matrixCells(m)) {
      if (c.verdict === 'fails') {
        expect(c.counterexample).toBeDefined();
        const r = replayFile(join(dir, c.counterexample!.file));
        expect(r.ok, r.message).toBe(true);
      } else {
        expect(c.budget!.runs).toBeGreaterThanOrEqual(budget.runs);
      }
    }
    expect(renderMarkdown(m)).toMatch(/\*\*fails\*\* \[\d+ steps\]\(\.\.\/counterexamples\/[^)]+\.json\)/);
  });

  it('marks each cell that differs from the manifest', () => {
    for (const c of differences(m)) expect(renderTable(m)).toMatch(new RegExp(`!=${c.expected}|\\(new\\)`));
  });

  it('renders docs/verdicts.md with each claim beside the computed verdict', () => {
    const doc = verdictsDoc(m, dir);
    expect(doc).toMatch(/^# Verdicts/);
    expect(doc).toMatch(/Claims: \d+; dmacheck agrees with \d+, disagrees with \d+/);
    expect(doc).toContain('user-space can block the mmu notifier forever');
    expect(doc).toMatch(/dmacheck: \*\*\S+ (holds|fails)\*\*: (agrees|DISAGREES) with the claim/);
  });
});
