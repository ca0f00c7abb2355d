// `dmacheck corpus-readme [DIR] [--check]`: write (or check) the index of a counterexample corpus.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusReadme, writeCorpusReadme } from '../counterexample/corpus-readme.ts';
import { UsageError } from './usage.ts';

export const CORPUS_README_USAGE = `dmacheck corpus-readme [DIR] [--check]

  Write DIR/README.md (default counterexamples/): one line per counterexample file, its verdict, the
  question it answers, its length and its expectation.

  --check   write nothing; exit 1 if DIR/README.md is not what would be written

  exit: 0 written (or up to date), 1 out of date (--check), 2 bad usage`;

export async function corpusReadmeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  if (values.help) {
    console.log(CORPUS_README_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}`);
  const dir = positionals[0] ?? 'counterexamples';
  if (!existsSync(dir)) throw new UsageError(`no directory '${dir}'`);
  if (values.check) {
    const path = join(dir, 'README.md');
    const now = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (now === corpusReadme(dir)) {
      console.log(`${path} is up to date`);
      return 0;
    }
    console.log(`${path} is out of date: run dmacheck corpus-readme ${dir}`);
    return 1;
  }
  console.log(`${writeCorpusReadme(dir)} written`);
  return 0;
}
