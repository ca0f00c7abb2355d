import { parseArgs } from 'node:util';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultBudget, type Budget } from '../check.ts';
import { loadManifest } from '../verdicts.ts';
import { computeMatrix, mismatches, renderMarkdown, renderTable } from '../matrix.ts';
import { verdictsDoc } from '../report/verdicts-doc.ts';
import { intArg } from './usage.ts';
import { reportDifferences } from './check.ts';

/**
 * The strategy x property verdict table. Failing cells are backed by counterexamples written to
 * counterexamples/ (or --out); exit 0 only when every verdict equals the manifest's and every design
 * reached the witnesses the manifest lists for it (a cell it says holds needs its premise reached).
 */
export async function matrixCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      markdown: { type: 'boolean' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      docs: { type: 'string' },
    },
    strict: true,
  });
  const budget: Budget = {
    ...defaultBudget,
    runs: intArg('--runs', values.runs, defaultBudget.runs),
    seed: intArg('--seed', values.seed, defaultBudget.seed, -(2 ** 31)),
  };
  const out = values.out ?? 'counterexamples';
  const t0 = performance.now();
  const m = computeMatrix(budget, loadManifest(), out);
  const seconds = (performance.now() - t0) / 1000;
  if (values.json) console.log(JSON.stringify(m, null, 2));
  else if (values.markdown) console.log(renderMarkdown(m));
  else console.log(renderTable(m, true));
  if (values.docs) {
    mkdirSync(dirname(values.docs), { recursive: true });
    writeFileSync(values.docs, verdictsDoc(m, out));
    console.error(`${values.docs} written`);
  }
  if (!values.json) console.error(`matrix: ${m.rows.length} rows x ${m.properties.length} properties in ${seconds.toFixed(1)} s`);
  return values.json || values.markdown ? (reportQuiet(m) ? 0 : 1) : reportDifferences(m, out);
}

/** With --json or --markdown, stdout is the table alone: the mismatches go to stderr. */
function reportQuiet(m: ReturnType<typeof computeMatrix>): boolean {
  const all = mismatches(m);
  for (const x of all) console.error(`mismatch: ${x.message}`);
  return all.length === 0;
}
