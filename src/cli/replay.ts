import { loadCounterexample } from '../counterexample/load.ts';
import { replayFile } from '../counterexample/replay.ts';
import { UsageError } from './usage.ts';

/** Replay saved counterexamples; a bad file is reported (exit 2) and the others still run. */
export async function replayCommand(argv: string[]): Promise<number> {
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length === 0) throw new UsageError('give one or more counterexample files');
  let worst = 0;
  for (const file of files) {
    const r = replayFile(file);
    if (r.loadError) {
      console.error(`error: ${r.message}`);
      worst = 2;
      continue;
    }
    const { cx } = loadCounterexample(file);
    console.log(`${file}\n  ${cx.verdict}\n  ${cx.question}`);
    console.log(r.text);
    console.log(`${r.ok ? 'ok' : 'MISMATCH'}: ${r.message}\n`);
    if (!r.ok) worst = Math.max(worst, 1);
  }
  return worst;
}
