// The partitioned exhaustive search (src/campaign/pbfs.ts) on 1 and 2 workers explores the nodes the
// one-thread search (src/explore/bfs.ts) explores, level by level, and finds a shortest counterexample
// of the same length. Budgets are depths and state counts; the workers run dist/ (npm test builds it).
import { describe, expect, it } from 'vitest';
import { bfsExplore } from '../src/explore/bfs.ts';
import { Monitor, systemOf } from '../src/system.ts';
import { propertyById, witnesses } from '../properties/index.ts';
import { pbfs } from '../src/campaign/pbfs.ts';
import { runActions } from '../src/run.ts';
import { model } from './helpers.ts';

describe('exhaustive search on worker threads', () => {
  it('stores the same number of distinct nodes as the one-thread search, at every depth bound', async () => {
    const m = model('odp-mirror', 'kernel-queue');
    const ids = ['no-dma-after-free', 'coherent-dma'];
    const props = ids.map((id) => propertyById(id)!);
    for (const depth of [2, 4]) {
      const one = bfsExplore(systemOf(m), (s) => new Monitor(m, props, s), { maxDepth: depth, maxStates: 1e6 });
      for (const workers of [1, 2]) {
        const r = await pbfs({ strategy: 'odp-mirror', mutant: null, config: 'kernel-queue', properties: ids, modules: [], workers, maxDepth: depth, maxStates: 1e6 });
        expect(r.failure).toBeNull();
        expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.depth }).toEqual({ states: one.stats.states, transitions: one.stats.transitions, depth: one.stats.depth });
        if (workers === 2) expect(r.stats.sent).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  it('finds a shortest counterexample that replays, across workers', async () => {
    const m = model('pin-longterm', 'kernel-queue', 'put-page-not-unpin');
    const ids = ['pins-balanced', ...witnesses.map((w) => w.id)];
    const one = bfsExplore(systemOf(m), (s) => new Monitor(m, ids.map((id) => propertyById(id)!), s), { maxDepth: 10, maxStates: 1e6 });
    expect(one.failure?.violation.property).toBe('pins-balanced');
    const r = await pbfs({ strategy: 'pin-longterm', mutant: 'put-page-not-unpin', config: 'kernel-queue', properties: ids, modules: [], workers: 2, maxDepth: 10, maxStates: 1e6 });
    expect(r.failure?.violation.property).toBe('pins-balanced');
    expect(r.failure!.actions.length).toBe(one.failure!.actions.length);
    const replay = runActions(m, r.failure!.actions, [propertyById('pins-balanced')!]);
    expect(replay.step).toBe(r.failure!.actions.length - 1);
  }, 60_000);
});
