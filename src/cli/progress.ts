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

/**
 * Progress of an exhaustive search, whose size is not known before it ends: on a terminal a bar against
 * the state budget (states, depth, states per second), otherwise a plain line every 10 s.
 */
export interface SearchBar {
  update(p: { states: number; depth: number }): void;
  done(): void;
}

export function searchProgress(label: string, maxStates: number, quiet = false): SearchBar {
  if (quiet) return { update: () => {}, done: () => {} };
  const t0 = performance.now();
  const rate = (states: number) => Math.round(states / Math.max(0.001, (performance.now() - t0) / 1000));
  if (interactive()) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value} of at most {total} states, depth {depth}, {rate} states/s`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(maxStates, 0, { depth: 0, rate: 0 });
    return { update: (p) => bar.update(p.states, { depth: p.depth, rate: rate(p.states) }), done: () => bar.stop() };
  }
  let last = t0;
  return {
    update: (p) => {
      const now = performance.now();
      if (now - last < 10_000) return;
      last = now;
      console.error(`${label}: ${p.states} states, depth ${p.depth}, ${rate(p.states)} states/s (${((now - t0) / 1000).toFixed(0)} s)`);
    },
    done: () => {},
  };
}
