import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files first, in this order (measured: the blocking designs' rows about 65 s, the other
 * designs' about 45 s, the command line 25 s, ...), so that the two workers end together on a fresh clone,
 * where vitest has no timings of earlier runs to sort by. The rest follow in vitest's own order.
 */
const slowFirst = ['suites-blocking', 'suites', 'cli', 'suites-p2p', 'package', 'canonical', 'mutants-notifiers', 'p2p-mutants', 'symmetry', 'mutants-pins-p2p', 'prove'];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = slowFirst.indexOf(basename(f.moduleId).replace(/\.test\.ts$/, ''));
      return i < 0 ? slowFirst.length : i;
    };
    const base = await super.sort(files);
    return base.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
  }
}

// The suites are CPU-bound; two workers match the 2-core CI machine.
// Every test's work is a budget of runs, actions or states; the timeouts are only hang guards, far above
// the slowest test (under a minute on a loaded 2-core machine), so no verdict depends on the machine's speed.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'properties/**/*.test.ts', 'model/**/*.test.ts'],
    pool: 'threads',
    maxWorkers: 2,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    sequence: { sequencer: SlowFirst },
  },
});
