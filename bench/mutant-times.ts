// Every mutant's whole `dmacheck check --strategy S --mutant M` (search and shrink, node's start-up
// included): the command is spawned from the compiled bin, once per mutant (or `--repeat` times), and
// its CPU time (user + system, from /proc/self/stat's cutime and cstime of the waited-for child: the
// machine is shared, so CPU time is the figure that means something) and wall time are printed, with
// the median and the worst against the issue's targets (median < 1 s, worst < 5 s).
//
//   node dist/bench/mutant-times.js [--strategy S] [--repeat N] [--json FILE]
//
// bench/run.ts imports `mutantTimes` for its section of the benchmark.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { strategies } from '../model/strategies/index.ts';
import { packageRoot } from '../src/paths.ts';

export interface MutantTime {
  strategy: string;
  mutant: string;
  /** CPU seconds of the command (user + system). */
  cpu: number;
  /** Wall-clock seconds of the command. */
  wall: number;
  /** The command's exit code: 1 means the mutant was killed. */
  code: number | null;
  /** The first line naming a failing property, e.g. `pins-balanced FAILS in 3 steps: ...`. */
  killedBy: string;
}

/** Children's CPU seconds so far (cutime + cstime of the children this process has waited for). */
function childCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at the closing parenthesis.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): cutime is field 16, cstime 17.
  return (Number(f[13]) + Number(f[14])) / 100;
}

/** Run one mutant's whole check command. */
export function timeMutant(strategy: string, mutant: string, extra: readonly string[] = []): MutantTime {
  const out = mkdtempSync(join(tmpdir(), 'dmacheck-mt-'));
  try {
    const c0 = childCpu();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(packageRoot, 'bin/dmacheck.mjs'), 'check', '--strategy', strategy, '--mutant', mutant, '--out', out, ...extra], {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = childCpu() - c0;
    const killedBy = (r.stdout ?? '').split('\n').find((l) => / FAILS in \d+ steps/.test(l))?.trim() ?? '';
    return { strategy, mutant, cpu, wall, code: r.status, killedBy };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Every mutant of every built-in strategy (or of one), each timed `repeat` times (the median kept). */
export function mutantTimes(opts: { strategy?: string; repeat?: number; onEach?: (t: MutantTime) => void } = {}): MutantTime[] {
  const rows: MutantTime[] = [];
  for (const s of strategies) {
    if (opts.strategy && s.name !== opts.strategy) continue;
    for (const mu of s.mutants) {
      const runs = Array.from({ length: opts.repeat ?? 1 }, () => timeMutant(s.name, mu.name));
      const cpu = median(runs.map((r) => r.cpu));
      const row = { ...runs.find((r) => r.cpu === cpu) ?? runs[0]!, cpu, wall: median(runs.map((r) => r.wall)) };
      rows.push(row);
      opts.onEach?.(row);
    }
  }
  return rows;
}

export function mutantLine(t: MutantTime): string {
  return `${`${t.strategy} / ${t.mutant}`.padEnd(52)}${t.cpu.toFixed(2).padStart(7)} CPU-s ${t.wall.toFixed(2).padStart(7)} s  exit ${t.code}  ${t.killedBy.replace(/: .*$/, '')}`;
}

export function mutantSummary(rows: readonly MutantTime[]): string {
  const cpu = rows.map((r) => r.cpu);
  const worst = rows.reduce((a, b) => (b.cpu > a.cpu ? b : a), rows[0]!);
  const survivors = rows.filter((r) => r.code !== 1);
  return (
    `${rows.length} mutants: median ${median(cpu).toFixed(2)} CPU-s (target < 1 s: ${median(cpu) < 1 ? 'met' : 'NOT met'}), ` +
    `worst ${worst.cpu.toFixed(2)} CPU-s, ${worst.strategy} / ${worst.mutant} (target < 5 s: ${worst.cpu < 5 ? 'met' : 'NOT met'}); ` +
    `total ${cpu.reduce((a, b) => a + b, 0).toFixed(1)} CPU-s` +
    (survivors.length ? `; NOT killed (exit != 1): ${survivors.map((r) => `${r.strategy}/${r.mutant}`).join(', ')}` : '')
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { strategy: { type: 'string' }, repeat: { type: 'string' }, json: { type: 'string' } } });
  const rows = mutantTimes({ strategy: values.strategy, repeat: Number(values.repeat ?? 1), onEach: (t) => console.log(mutantLine(t)) });
  console.log(mutantSummary(rows));
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2) + '\n');
}
