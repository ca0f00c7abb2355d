// The driver's own test: it holds what it claims, and each planted bug is caught with a counterexample
// written to out/ for `npx dmacheck replay`.
import { describe, expect, it } from 'vitest';
import { checkMutants, checkStrategy } from 'dmacheck/vitest';
import { amdgpuUserptr } from './driver.js';

// A small budget keeps this test quick; raise it (or run `npx dmacheck check`) for a deeper search.
const budget = { runs: 300, maxCommands: 60 };

describe('amdgpu userptr', () => {
  it('holds every safety and liveness property', () => {
    checkStrategy(amdgpuUserptr, { budget });
  });

  it('a callback that returns before the reservation fences signal leaves a queued job unmapped', () => {
    // The GPU cannot fault: the job reaches the hardware after the zap and faults fatally.
    const planted = () => checkStrategy(amdgpuUserptr, { mutant: 'no-resv-wait', budget });
    expect(planted).toThrow(/no-fatal-device-fault FAILS in \d+ steps/);
  });

  it('every planted bug is caught', () => {
    const kills = checkMutants(amdgpuUserptr, { budget });
    expect(kills.map((k) => k.mutant)).toEqual(['no-range-valid', 'no-resv-wait']);
  });
});
