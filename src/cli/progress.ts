// Progress of a long command: a bar on a terminal (cli-progress, on stderr), plain lines otherwise, so
// that a log shows how far a run got and stdout stays the command's output (a table, JSON).
import cliProgress from 'cli-progress';
import { interactive } from './tty.ts';

export interface Progress {
  /** One unit done; `what` names it ("odp-mirror in kernel-queue"). */
  tick(what: string): void;
  done(): void;
}

export function progress(label: string, total: number, quiet = false): Progress {
  if (quiet) return { tick: () => {}, done: () => {} };
  if (interactive()) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {what}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { what: '' });
    return { tick: (what) => bar.increment(1, { what }), done: () => bar.stop() };
  }
  let n = 0;
  const t0 = performance.now();
  return {
    tick: (what) => console.error(`${label}: ${++n}/${total} ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)`),
    done: () => {},
  };
}
