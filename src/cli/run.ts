// `dmacheck run FILE...`: run scenarios written by hand (docs/scenarios.md), every property checked at
// every step, and judge their expectations.
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runScenarioFile, type ScenarioResult } from '../scenario/run.ts';
import { ScenarioError } from '../scenario/call.ts';
import { renderText } from '../explain/render-text.ts';
import { renderHtml } from '../explain/render-html.ts';
import { renderMarkdown } from '../explain/render-markdown.ts';
import { renderJson } from '../explain/render-json.ts';
import { UsageError } from './usage.ts';
import { useColour } from './tty.ts';

export const RUN_USAGE = `dmacheck run FILE... [--html OUT] [--markdown] [--json]

  Run each scenario file (docs/scenarios.md: a header, steps as calls such as submit(p0, v1) as j,
  settle, and expectations), checking every property at every step, and judge its expectations. A
  property that breaks with no expectation naming it fails the scenario (a capability is reported).

  --html OUT   write each run's HTML report: OUT is the file for one scenario, a directory for several
  --markdown   print Markdown with a Mermaid sequence diagram instead of the terminal text
  --json       print one JSON document { runs: [...], summary }

  exit: 0 every expectation held, 1 some did not, 2 a scenario that does not parse or cannot run (an
        action not enabled, a slot that does not exist) or bad usage`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { html: { type: 'string' }, markdown: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('give one or more scenario files');
  const colour = useColour();
  const runs: { file: string; result: ScenarioResult | null; error: string | null }[] = [];
  for (const file of positionals) {
    let result: ScenarioResult;
    try {
      result = runScenarioFile(file);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      console.error(`error: ${e.message}`);
      runs.push({ file, result: null, error: e.message });
      continue;
    }
    runs.push({ file, result, error: null });
    const x = result.explanation;
    const title = result.scenario.title || basename(file);
    const verdict = `${result.ok ? 'as expected' : 'NOT as expected'}: ${title}`;
    const shown = { ...x, verdict, question: `${x.strategy}${x.mutant ? ` (mutant ${x.mutant})` : ''} in ${x.config}: ${result.expectations.map((r) => `${r.ok ? '✓' : '✗'} ${r.text}`).join('; ')}` };
    if (values.html !== undefined) {
      const path = positionals.length === 1 ? values.html : join(values.html, basename(file).replace(/\.[^.]*$/, '') + '.html');
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, renderHtml(shown, { ok: result.ok, message: verdict }));
      if (!values.json && !values.markdown) console.error(`${path} written`);
    }
    if (values.json) continue;
    if (values.markdown) {
      console.log(renderMarkdown(shown));
      continue;
    }
    console.log(`${file}: ${title}\n  ${x.strategy}${x.mutant ? ` (mutant ${x.mutant})` : ''} in ${x.config}`);
    console.log(renderText(x, { colour }));
    for (const r of result.expectations) console.log(`  ${r.ok ? 'ok ' : 'NOT'} ${r.line ? `line ${r.line}: ` : ''}${r.text}: ${r.detail}`);
    console.log(`${result.ok ? 'ok' : 'NOT as expected'}: ${file}\n`);
  }
  const errors = runs.filter((r) => r.error).length;
  const failed = runs.filter((r) => r.result && !r.result.ok).length;
  const ok = runs.length - errors - failed;
  if (values.json) {
    console.log(JSON.stringify({
      runs: runs.map((r) => ({ file: r.file, error: r.error, ok: r.result?.ok ?? false, expectations: r.result?.expectations ?? [], explanation: r.result ? renderJson(r.result.explanation) : null })),
      summary: { files: runs.length, ok, failed, errors },
    }, null, 2));
  } else {
    console.log(`ran ${runs.length} scenario(s): ${ok} as expected, ${failed} not as expected, ${errors} that could not run`);
  }
  return errors > 0 ? 2 : failed > 0 ? 1 : 0;
}
