// Explanations as data: every step of every saved counterexample shows what it did, and the one the issue
// names says which job, which fence, and why nothing but user space can signal it.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { replayFile } from '../src/counterexample/replay.ts';

const dir = 'counterexamples';
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('the explanation of every saved counterexample', () => {
  it('finds the corpus', () => expect(files.length).toBeGreaterThan(10));
  for (const f of files) {
    it(`${f}: every step has at least one effect, and a violation has a causal chain ending in it`, () => {
      const r = replayFile(join(dir, f));
      const x = r.explanation!;
      expect(x).not.toBeNull();
      const bare = x.steps.filter((s) => s.effects.length === 0).map((s) => `${s.n} ${s.call}`);
      expect(bare).toEqual([]);
      if (x.violation) {
        expect(x.chain.length).toBeGreaterThan(0);
        const last = x.chain.filter((l) => l.step !== null).at(-1)!;
        expect(last.step).toBe(x.violation.step);
      }
    });
  }
});

describe('mirror-blocking-notifier on a user queue: bounded-notifier', () => {
  // A copy of the corpus file kept as a fixture: the corpus is regenerated when the model changes, this wording is pinned.
  const r = replayFile(new URL('./fixtures/explain/mirror-blocking-notifier--user-queue--bounded-notifier.json', import.meta.url).pathname);
  it('names the job, the fence and why only user space can signal it', () => {
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/job0: the read of p0 v1 submitted at step 8, on a user queue/);
    expect(r.text).toMatch(/waits on job 0's fence/);
    expect(r.text).toMatch(/no kernel or hardware step can signal it/);
  });
  it('says what fault3 is: the fault-in of p0 v1 that register started', () => {
    expect(r.text).toMatch(/fault3 = the fault of p0 v1 .*started by register\(p0\) at step 3/);
    expect(r.text).toMatch(/hmm_range_fault: fault3 snapshots p0 v1 -> frame 1 \(gen 0\)/);
    expect(r.text).toMatch(/fault3 programs the device PTE p0 v1 -> frame 1/);
  });
});

describe('the no-read-retry mutant', () => {
  it('says the device PTE was programmed without mmu_interval_read_retry', () => {
    const r = replayFile(new URL('./fixtures/explain/odp-mirror--no-read-retry--kernel-queue--coherent-dma.json', import.meta.url).pathname);
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/programs the device PTE p\d v\d -> frame \d+ \(gen \d+\).*WITHOUT mmu_interval_read_retry/);
  });
});
