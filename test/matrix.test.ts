// The verdict matrix: deterministic for a seed, every failing cell backed by a counterexample that
// replays, every cell compared with the manifest, and docs/verdicts.md generated from it.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { computeMatrix, differences, matrixCells, mismatches, renderMarkdown, renderTable } from '../src/matrix.ts';
import { loadManifest } from '../src/verdicts.ts';
import { replayFile } from '../src/counterexample/replay.ts';
import { verdictsDoc } from '../src/report/verdicts-doc.ts';
import { strategies } from '../model/strategies/index.ts';
import { propertyById } from '../properties/index.ts';

// The matrix is compared with the manifest cell by cell in suites.test.ts, at the manifest's budget;
// here a small budget checks how the matrix is built, rendered and backed.
const budget = { runs: 60, maxCommands: 60, seed: 11 };

describe('the verdict matrix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmacheck-matrix-'));
  const m = computeMatrix(budget, loadManifest(), dir);

  it('covers every strategy in every one of its configs', () => {
    for (const s of strategies) for (const c of s.configs) expect(m.rows.some((r) => r.strategy === s.name && r.config === c), `${s.name}/${c}`).toBe(true);
  });

  it('gives the same rows twice for the same seed (each row is checked on its own)', () => {
    // A third of the rows, one of each strategy's configs: enough to see a nondeterminism, at a third of the cost.
    const first = new Map<string, string>();
    for (const r of m.rows) if (!first.has(r.strategy)) first.set(r.strategy, r.config);
    const only = (s: string, c: string): boolean => first.get(s) === c;
    const again = computeMatrix(budget, loadManifest(), null, undefined, undefined, only);
    expect(again.rows.length).toBe(first.size);
    expect(renderTable(again, true)).toBe(renderTable({ ...m, rows: m.rows.filter((r) => only(r.strategy, r.config)) }, true));
  });

  it('backs each failing cell with a counterexample that replays, and each holding cell with its budget', () => {
    for (const c of matrixCells(m)) {
      if (c.verdict === 'fails') {
        expect(c.counterexample).toBeDefined();
        const r = replayFile(join(dir, c.counterexample!.file));
        expect(r.ok, r.message).toBe(true);
      } else {
        // holds only with its premise reached; n/a only without.
        expect(c.premise!.reached, `${c.strategy}/${c.config}/${c.property}`).toBe(c.verdict === 'holds');
        expect(c.budget!.runs).toBeGreaterThanOrEqual(budget.runs);
      }
    }
    expect(renderMarkdown(m)).toMatch(/\*\*fails\*\* \[\d+ steps\]\(\.\.\/counterexamples\/[^)]+\.json\)/);
  });

  it('marks each cell that differs from the manifest', () => {
    for (const c of differences(m)) expect(renderTable(m)).toMatch(new RegExp(`!=${c.expected}|\\(new\\)`));
  });

  it('shows n/a apart from holds in the table, the JSON and the Markdown, naming the premise', () => {
    const row = m.rows.find((r) => r.strategy === 'peerdirect-revoke' && r.config === 'p2p-none')!;
    expect(row.cells.map((c) => c.verdict)).toEqual(row.cells.map(() => 'n/a'));
    const json = JSON.parse(JSON.stringify(m)) as typeof m;
    const cell = json.rows.find((r) => r.strategy === 'peerdirect-revoke' && r.config === 'p2p-none')!.cells.find((c) => c.property === 'p2p-topology')!;
    expect(cell).toMatchObject({ verdict: 'n/a', premise: { witness: 'sometimes-peer-memory-accessed', reached: false } });
    const md = renderMarkdown(m).split('\n').find((l) => l.startsWith('| peerdirect-revoke | p2p-none |'))!;
    expect(md).toContain('*n/a* (never reached `sometimes-peer-memory-accessed`)');
    expect(md).not.toContain('holds');
    const line = renderTable(m).split('\n').find((l) => l.startsWith('peerdirect-revoke') && l.includes('p2p-none'))!;
    expect(line).not.toContain('holds');
    expect(line.match(/n\/a/g)!.length).toBe(m.properties.length);
    expect(renderTable(m)).toContain('n/a: not violated, but the property\'s premise was never reached');
  });

  it('names the premise of each n/a cell the manifest says holds, and each witness not reached', () => {
    for (const x of mismatches(m)) {
      if (x.verdict === 'n/a' && x.expected === 'holds') expect(x.message).toContain(`its premise \`${propertyById(x.property!)!.premise}\``);
      if (x.property === undefined && x.witness) expect(x.message).toContain(`witness \`${x.witness}\` `);
    }
  });

  it('says in docs/verdicts.md that a claim on an n/a cell cannot be judged, naming the premise', () => {
    const claims = join(dir, 'claims.json');
    writeFileSync(claims, JSON.stringify({ claims: [{ seed: 'test', who: 'nobody', quote: 'a refused registration is safe', strategy: 'peerdirect-revoke', config: 'p2p-none', property: 'coherent-dma', claim: 'holds' }] }));
    const doc = verdictsDoc(m, dir, claims);
    expect(doc).toContain('Claims: 1; dmacheck agrees with 0, disagrees with 0, cannot judge 1');
    expect(doc).toContain('dmacheck: **coherent-dma n/a**: cannot judge the claim: its premise `sometimes-device-memory-invalidated`');
  });

  it('renders docs/verdicts.md with each claim beside the computed verdict', () => {
    const doc = verdictsDoc(m, dir);
    expect(doc).toMatch(/^# Verdicts/);
    expect(doc).toMatch(/Claims: \d+; dmacheck agrees with \d+, disagrees with \d+/);
    expect(doc).toContain('user-space can block the mmu notifier forever');
    expect(doc).toMatch(/dmacheck: \*\*\S+ (holds|fails)\*\*: (agrees|DISAGREES) with the claim/);
    expect(doc).toMatch(/Claims: \d+; dmacheck agrees with \d+, disagrees with \d+, cannot judge \d+ \(n\/a/);
    expect(doc).toContain('Premises: no-dma-after-free needs sometimes-device-memory-invalidated');
  });
});
