import { parseArgs } from 'node:util';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultBudget, type Budget } from '../check.ts';
import { loadManifest } from '../verdicts.ts';
import { computeMatrix, mismatches, renderMarkdown, renderTable } from '../matrix.ts';
import { verdictsDoc } from '../report/verdicts-doc.ts';
import { intArg, UsageError } from './usage.ts';
import { reportDifferences } from './check.ts';
import { progress } from './progress.ts';
import { tableStrategies } from '../registry.ts';
import { configsOf } from '../verdicts.ts';
import { writeCorpusReadme } from '../counterexample/corpus-readme.ts';

export const MATRIX_USAGE = `dmacheck matrix [--markdown | --json] [--runs N] [--seed X] [--out DIR | --update-corpus] [--docs FILE]

  The strategy x property verdict table, every failing cell backed by a counterexample file.

  --out DIR         where the counterexamples are written (default out/)
  --update-corpus   write them to counterexamples/ (the tracked corpus) and regenerate its README.md
  --docs FILE       also write the verdict document (docs/verdicts.md), linking the corpus: needs --update-corpus
  --markdown        print the table as Markdown; --json as JSON (stdout is then the table alone)

  exit: 0 every verdict equals the manifest's and every design reached its witnesses, 1 otherwise, 2 bad usage`;

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
      'update-corpus': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(MATRIX_USAGE);
    return 0;
  }
  const corpus = values['update-corpus'] ?? false;
  if (corpus && values.out !== undefined) throw new UsageError('--update-corpus writes to counterexamples/: leave out --out');
  if (values.docs !== undefined && !corpus) throw new UsageError('--docs links the counterexamples of the corpus: add --update-corpus');
  const budget: Budget = {
    ...defaultBudget,
    runs: intArg('--runs', values.runs, defaultBudget.runs),
    seed: intArg('--seed', values.seed, defaultBudget.seed, -(2 ** 31)),
  };
  const out = corpus ? 'counterexamples' : (values.out ?? 'out');
  const t0 = performance.now();
  const bar = progress('matrix', tableStrategies().reduce((n, s) => n + configsOf(s).length, 0));
  const m = computeMatrix(budget, loadManifest(), out, (r) => bar.tick(`${r.strategy} in ${r.config}`));
  bar.done();
  if (corpus) console.error(`${writeCorpusReadme(out)} written`);
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
