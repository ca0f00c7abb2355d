// `dmacheck replay FILE...`: re-run saved counterexamples (or hand-written ones), print each explained,
// judge it by its expectation, end with a summary line. Exit 0 all as expected, 1 some mismatch, 2 a
// file that does not load (the others still run) or bad usage.
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { replayFile, type ReplayOutcome } from '../counterexample/replay.ts';
import { renderHtml } from '../explain/render-html.ts';
import { renderMarkdown } from '../explain/render-markdown.ts';
import { renderJson } from '../explain/render-json.ts';
import { UsageError } from './usage.ts';
import { useColour } from './tty.ts';

export const REPLAY_USAGE = `dmacheck replay FILE... [--html OUT] [--markdown] [--json] [--changes] [--all-properties]

  Re-run each counterexample file from its action list, check its property after every step, print the
  trace with every step's effects and the causal chain, and judge it by its expectation.

  --html OUT   write a self-contained HTML report (one file, no network): OUT is the file for one
               input, a directory (one NAME.html per input) for several
  --markdown   print Markdown with a Mermaid sequence diagram instead of the terminal text
  --json       print the explanations as one JSON document { replays: [...], summary }
  --changes    also print every field of the state each step changed
  --all-properties  check every property at every step, not only the file's, and name the others that
               break (the file is still judged by its own property)

  exit: 0 every file replays as it expects, 1 some does not, 2 a file that does not load or bad usage`;

export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      html: { type: 'string' },
      markdown: { type: 'boolean' },
      json: { type: 'boolean' },
      changes: { type: 'boolean' },
      'all-properties': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    console.log(REPLAY_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('give one or more counterexample files');
  if (values.markdown && values.json) throw new UsageError('--markdown and --json: choose one');
  const colour = useColour();
  const outcomes: ReplayOutcome[] = [];
  for (const file of positionals) {
    const r = replayFile(file, { colour, changes: values.changes ?? false, allProperties: values['all-properties'] ?? false });
    outcomes.push(r);
    if (r.loadError) {
      console.error(`error: ${r.message}`);
      continue;
    }
    const x = r.explanation!;
    if (values.html !== undefined) {
      const path = positionals.length === 1 ? values.html : join(values.html, basename(file).replace(/\.json$/, '') + '.html');
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, renderHtml(x, { ok: r.ok, message: r.message }));
      if (!values.json && !values.markdown) console.error(`${path} written`);
    }
    if (values.json) continue;
    if (values.markdown) {
      console.log(renderMarkdown(x, `${r.ok ? 'ok' : 'MISMATCH'}: ${r.message}`));
      continue;
    }
    console.log(`${file}\n  ${x.verdict ?? ''}\n  ${x.question ?? ''}`);
    console.log(r.text);
    console.log(`${r.ok ? 'ok' : 'MISMATCH'}: ${r.message}\n`);
  }
  const errors = outcomes.filter((r) => r.loadError).length;
  const mismatched = outcomes.filter((r) => !r.loadError && !r.ok).length;
  const ok = outcomes.length - errors - mismatched;
  const summary = `replayed ${outcomes.length} file(s): ${ok} as expected, ${mismatched} mismatch(es), ${errors} that did not load`;
  if (values.json) {
    console.log(JSON.stringify({
      replays: outcomes.map((r) => ({ file: r.file, ok: r.ok, message: r.message, loadError: r.loadError ? { field: r.loadError.field, expected: r.loadError.expected } : null, explanation: r.explanation ? renderJson(r.explanation) : null })),
      summary: { files: outcomes.length, ok, mismatched, errors },
    }, null, 2));
  } else {
    console.log(summary);
  }
  return errors > 0 ? 2 : mismatched > 0 ? 1 : 0;
}
