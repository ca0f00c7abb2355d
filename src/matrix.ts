// The verdict matrix: every strategy in every config where it applies, against every property. A failing
// cell names its saved counterexample (and its length); a holding cell shows the budget it survived; an
// n/a cell names the premise witness its run never reached. A holding cell also says whether it was
// proved at its config's proof scope (proofs.json, from `dmacheck prove`) or only survived the budget.
import { tableStrategies } from './registry.ts';
import { propertyById, verdictProperties } from '../properties/index.ts';
import type { Budget } from './check.ts';
import { saveCounterexample, toCounterexample } from './counterexample/save.ts';
import { fileNameOf } from './counterexample/format.ts';
import { loadProofs, proofOf, type ProofRecord } from './proofs.ts';
import { checkDesign, configsOf, designMismatches, expectedVerdict, expectedWitnesses, reachedList, type Cell, type DesignWitnesses, type Manifest, type Mismatch, type Verdict } from './verdicts.ts';

export interface MatrixCell extends Cell {
  /** For a failing cell: the counterexample file (relative to the output dir) and its length. */
  counterexample?: { file: string; steps: number };
  /** For a holding or n/a cell: what it survived. */
  budget?: { runs: number; actions: number };
  /** The property's premise witness, and whether this run reached it (not reached: the cell is n/a). */
  premise?: { witness: string; reached: boolean };
  /** What the manifest expects, if it has an entry. */
  expected?: Verdict;
  /** For a holding cell: proved in every state of this scope (proofs.json), if it was. */
  proof?: { scope: string; states: number };
  /**
   * For a cell that survived the budget: `dmacheck prove` found a counterexample at the proof scope
   * (proofs.json: its length), which the budget at the config's own scope did not reach. The cell is not
   * a "holds" anyone may rely on, and every rendering says so.
   */
  proofFails?: { scope: string; steps: number };
}

export interface MatrixRow {
  strategy: string;
  config: string;
  cells: MatrixCell[];
  /** The `sometimes` witnesses the run reached. */
  reached: string[];
  /** The witnesses the manifest says this design reaches here, if it lists them. */
  expectedWitnesses?: string[];
  /** Where the run disagrees with the manifest: verdicts, and witnesses not reached. */
  mismatches: Mismatch[];
}

export interface Matrix {
  properties: string[];
  rows: MatrixRow[];
  budget: Budget;
}

/**
 * Every strategy in every one of its configs at `budget` (or only the rows `only` admits: each row is
 * checked on its own, with its own seed, so a subset gives the same rows as the whole).
 */
export function computeMatrix(
  budget: Budget,
  man: Manifest | null,
  out: string | null,
  onRow?: (r: MatrixRow) => void,
  proofs: readonly ProofRecord[] = loadProofs(),
  only?: (strategy: string, config: string) => boolean,
): Matrix {
  const rows: MatrixRow[] = [];
  for (const s of tableStrategies()) {
    for (const cfg of configsOf(s)) {
      if (only && !only(s.name, cfg.name)) continue;
      const d = checkDesign(s, cfg, budget);
      const cells: MatrixCell[] = d.cells.map((c) => {
        const f = d.result.failures.find((x) => x.property === c.property);
        const cx = f ? toCounterexample(d.model, f, 'fast-check') : null;
        if (cx && out) saveCounterexample(out, cx);
        const expected = expectedVerdict(man, c.strategy, c.config, c.property);
        const premise = propertyById(c.property)?.premise;
        const proof = proofOf(proofs, c.strategy, c.config, c.property);
        return {
          ...(c.verdict === 'holds' && proof?.verdict === 'proved' ? { proof: { scope: proof.scope, states: proof.states } } : {}),
          ...(c.verdict !== 'fails' && proof?.verdict === 'fails' ? { proofFails: { scope: proof.scope, steps: proof.states } } : {}),
          ...c,
          ...(expected ? { expected } : {}),
          ...(cx ? { counterexample: { file: fileNameOf(cx), steps: cx.actions.length } } : { budget: { runs: d.result.stats.runs, actions: d.result.stats.executed } }),
          ...(premise ? { premise: { witness: premise, reached: d.result.reached.has(premise) } } : {}),
        };
      });
      const want = expectedWitnesses(man, s.name, cfg.name);
      const row: MatrixRow = {
        strategy: s.name,
        config: cfg.name,
        cells,
        reached: reachedList(d.result.reached),
        ...(want ? { expectedWitnesses: want } : {}),
        mismatches: designMismatches(s.name, cfg.name, cells, d.result.reached, man),
      };
      rows.push(row);
      onRow?.(row);
    }
  }
  return { properties: verdictProperties.map((p) => p.id), rows, budget };
}

export function matrixCells(m: Matrix): MatrixCell[] {
  return m.rows.flatMap((r) => r.cells);
}

/** Cells whose verdict differs from the manifest (or that it lacks). */
export function differences(m: Matrix): MatrixCell[] {
  return matrixCells(m).filter((c) => c.expected !== c.verdict);
}

/** Every disagreement with the manifest: verdicts (an n/a naming its premise) and witnesses not reached. */
export function mismatches(m: Matrix): Mismatch[] {
  return m.rows.flatMap((r) => r.mismatches);
}

/** What each row reached, for the manifest. */
export function matrixWitnesses(m: Matrix): DesignWitnesses[] {
  return m.rows.map((r) => ({ strategy: r.strategy, config: r.config, reached: r.reached }));
}

const short = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n));

function cellText(c: MatrixCell, withBudget: boolean): string {
  // n/a in lower case and without a budget, so that it reads apart from a holding cell at a glance.
  let t =
    c.verdict === 'fails'
      ? propertyById(c.property)?.capability
        ? `gives-up(${c.counterexample?.steps})` // a capability the design trades away, not a bug
        : `FAILS(${c.counterexample?.steps})`
      : c.verdict === 'n/a'
        ? 'n/a'
        : c.proofFails
          ? `holds/prove-FAILS(${c.proofFails.steps})`
          : `${c.proof ? 'PROVED' : 'holds'}${withBudget && c.budget ? ` ${short(c.budget.runs)}r/${short(c.budget.actions)}a${c.proof ? `/${short(c.proof.states)}s` : ''}` : ''}`;
  if (c.expected !== undefined && c.expected !== c.verdict) t += ` !=${c.expected}`;
  if (c.expected === undefined) t += ' (new)';
  return t;
}

/** The table for a terminal: one row per strategy and config, then what n/a means. */
export function renderTable(m: Matrix, withBudget = false): string {
  const header = ['strategy', 'config', ...m.properties];
  const rows = m.rows.map((r) => [r.strategy, r.config, ...m.properties.map((p) => cellText(r.cells.find((c) => c.property === p)!, withBudget))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [fmt(header), ...rows.map(fmt)];
  lines.push('', 'PROVED: holds in every state of the config\'s proof scope (dmacheck prove), and survived the budget at its own scope; holds: survived the budget only');
  if (matrixCells(m).some((c) => c.proofFails)) lines.push('holds/prove-FAILS(N): survived the budget, but dmacheck prove finds an N-step counterexample at the proof scope: it does not hold');
  lines.push(`gives-up: a capability (${m.properties.filter((p) => propertyById(p)?.capability).join(', ')}) the design trades away, shown by a counterexample: not a bug`);
  if (matrixCells(m).some((c) => c.verdict === 'n/a')) lines.push(`n/a: not violated, but the property's premise was never reached: ${premiseLegend(m)}`);
  return lines.join('\n');
}

/** Each property's premise witness, for the legend under a table. */
export function premiseLegend(m: Matrix): string {
  return m.properties
    .map((p) => [p, propertyById(p)?.premise] as const)
    .filter(([, w]) => w !== undefined)
    .map(([p, w]) => `${p} needs ${w}`)
    .join('; ');
}

/** The table in Markdown: failing cells link their counterexample, holding cells show their budget. */
export function renderMarkdown(m: Matrix, linkBase = '../counterexamples/'): string {
  const lines = [`| strategy | config | ${m.properties.join(' | ')} |`, `|---|---|${m.properties.map(() => '---').join('|')}|`];
  for (const r of m.rows) {
    const cells = m.properties.map((p) => {
      const c = r.cells.find((x) => x.property === p)!;
      if (c.verdict === 'fails') {
        const what = propertyById(c.property)?.capability ? '*gives up*' : '**fails**';
        return `${what} [${c.counterexample!.steps} steps](${linkBase}${c.counterexample!.file})`;
      }
      if (c.verdict === 'n/a') return `*n/a* (never reached \`${c.premise?.witness}\`)`;
      const survived = `${short(c.budget!.runs)} runs, ${short(c.budget!.actions)} actions`;
      if (c.proofFails) return `**fails at the proof scope**: \`dmacheck prove\` finds a ${c.proofFails.steps}-step counterexample at ${c.proofFails.scope} (the budget, ${survived}, did not reach it)`;
      return c.proof ? `**proved** (all ${short(c.proof.states)} states of ${c.proof.scope}; ${survived})` : `holds (survived ${survived}; not proved)`;
    });
    lines.push(`| ${r.strategy} | ${r.config} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
