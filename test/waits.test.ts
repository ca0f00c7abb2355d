// The wait-for graph as data (model/waits.ts): a cycle is found wherever it is reachable from a waiter,
// a chain that ends in user space or in nothing is told apart, and each is rendered in the kernel's words.
import { describe, it, expect } from 'vitest';
import type { Wait } from '../model/waits.ts';
import { cycleIds, describeCycle, describeWait, nothingReleases, onlyUserReleases, waitCycle } from '../model/waits.ts';

const wait = (id: string, what: string, on: Wait['on']): Wait => ({ id, kind: 'callback', what, mayBlock: true, on });

describe('the wait-for graph', () => {
  // A waits on job 0's fence, which only user space signals; B waits on a lock C holds; C waits on a
  // fence D signals, and D waits for an invalidation whose callback is C: a cycle C -> D -> C.
  const ws: Wait[] = [
    wait('A', 'callback A', [{ target: { k: 'fence', job: 0 }, heldBy: [], releasedBy: 'user' }]),
    wait('B', 'callback B', [{ target: { k: 'driver-lock', name: 'umem_mutex' }, heldBy: ['C'], releasedBy: 'kernel' }]),
    wait('C', 'callback C', [{ target: { k: 'eviction-fence', proc: 0 }, heldBy: ['D'], releasedBy: 'kernel' }]),
    wait('D', 'signalling path D', [{ target: { k: 'invalidation', inv: 1 }, heldBy: ['C'], releasedBy: 'kernel' }]),
    wait('E', 'fault E', [{ target: { k: 'resv-lock', proc: 0 }, heldBy: ['F'], releasedBy: 'kernel' }]),
    wait('F', 'move F', [{ target: { k: 'resv-unlock', proc: 0 }, heldBy: [], releasedBy: 'nobody' }]),
  ];

  it('finds the cycle reachable from a waiter that is not on it', () => {
    const c = waitCycle(ws, 'B')!;
    expect(cycleIds(c)).toBe('C -> D -> C');
    expect(describeCycle(ws, c)).toBe("callback C waits on p0's eviction fence, held by signalling path D; signalling path D waits on the end of invalidation 1, held by callback C");
    expect(waitCycle(ws, 'A')).toBeNull();
    expect(waitCycle(ws, 'E')).toBeNull();
  });

  it('tells a wait only user space releases from one nothing releases', () => {
    expect(onlyUserReleases(ws, 'A')).toBe(true);
    expect(nothingReleases(ws, 'A')).toBe(false);
    expect(nothingReleases(ws, 'E')).toBe(true);
    expect(onlyUserReleases(ws, 'E')).toBe(false);
    expect(nothingReleases(ws, 'B')).toBe(false); // a cycle is not "nothing": it is reported as a cycle
  });

  it('says what a wait waits on, and who holds it', () => {
    expect(describeWait(ws, 'A')).toBe("waits on job 0's fence (only user space can release it)");
    expect(describeWait(ws, 'E')).toBe("waits on p0's dma_resv lock (held by move F)");
    expect(describeWait(ws, 'F')).toBe("waits on its own dma_resv_unlock of p0's buffer (nothing releases it)");
    expect(describeWait(ws, 'Z')).toBe('has no wait the model names');
  });
});
