// dmacheck merge DIR... [--out DIR]: the shards of one campaign (each DIR holds a summary.json and its
// counterexamples/) merged into one summary and one corpus (src/campaign/summary.ts).
import { parseArgs } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './usage.ts';
import { CORPUS_DIR, mergeSummaries, parseSummary, SUMMARY_FILE, type Summary } from '../campaign/summary.ts';

export const MERGE_USAGE = `dmacheck merge DIR... [--out DIR]

  Merge the summaries (DIR/${SUMMARY_FILE}) and counterexamples (DIR/${CORPUS_DIR}/) of shards of one
  campaign into --out (default: merged): counts summed, witnesses united, and per config and property
  the counterexample of the lowest-numbered unit that broke it (one file per finding). Shards of other
  campaigns, or a shard given twice, are refused. Exit: 0 no violation, 1 some, 2 bad usage or input.`;

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(MERGE_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`expected the shards' directories\n\n${MERGE_USAGE}`);
  const out = values.out ?? 'merged';
  const names = positionals.map((d) => join(d, SUMMARY_FILE));
  const xs: Summary[] = names.map((f) => {
    if (!existsSync(f)) throw new UsageError(`${f}: no such file (expected a directory written by dmacheck campaign --out DIR)`);
    try {
      return parseSummary(f, readFileSync(f, 'utf8'));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
  let merged;
  try {
    merged = mergeSummaries(xs, names);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { summary, from } = merged;
  // Check every file first: nothing is written from an incomplete input.
  const sources = summary.violations.map((v, i) => {
    const src = join(positionals[from[i]!]!, CORPUS_DIR, v.file);
    if (!existsSync(src)) throw new UsageError(`${names[from[i]!]}: violations: ${v.file} is listed but ${src} is missing`);
    return src;
  });
  mkdirSync(join(out, CORPUS_DIR), { recursive: true });
  summary.violations.forEach((v, i) => copyFileSync(sources[i]!, join(out, CORPUS_DIR, v.file)));
  writeFileSync(join(out, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n');
  const missing = Array.from({ length: summary.shards.of }, (_, i) => i + 1).filter((k) => !summary.shards.ran.includes(k));
  console.log(
    `merged ${xs.length} summar${xs.length > 1 ? 'ies' : 'y'} (shards ${summary.shards.ran.join(', ')} of ${summary.shards.of}${missing.length ? `; MISSING ${missing.join(', ')}` : ''}): ` +
      `${summary.total.units} units, ${summary.total.actions} actions, ${summary.violations.length} counterexample${summary.violations.length === 1 ? '' : 's'} in ${join(out, CORPUS_DIR)}/; ${join(out, SUMMARY_FILE)} written`,
  );
  for (const v of summary.violations) console.log(`  ${v.property} FAILS in ${v.config} (${v.units} units; first: unit ${v.unit}), ${v.length} steps: ${v.file}`);
  return summary.violations.length > 0 ? 1 : 0;
}
