import { defineConfig } from 'vitest/config';

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
  },
});
