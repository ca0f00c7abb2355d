// Proofs at a scope (src/prove.ts, `dmacheck prove`): the reachable space of a proof scope is finite and
// exhausted; a mutant is killed with a shortest counterexample; a search that stops before the end proves
// nothing (exit 3); the liveness answer does not change with the number of job slots.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel } from '../model/model.ts';
import { configByName, proofConfig, withScope } from '../model/configs.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { propertyById } from '../properties/index.ts';
import { proveModel } from '../src/prove.ts';
import { bfsCheck } from '../src/explore-model.ts';
import { cli } from './helpers.ts';
import { loadProofs, proofOf } from '../src/proofs.ts';
import { verdictProperties } from '../properties/index.ts';
import { scopeText } from '../model/configs.ts';

afterEach(() => vi.restoreAllMocks());
const tmp = () => mkdtempSync(join(tmpdir(), 'dmacheck-prove-'));

/**
 * The number of distinct reachable states of each strategy family at its config's proof scope, with no
 * property (the model's own space): a change to the model that changes the state space changes these.
 * The larger ones run with DMACHECK_DEEP=1. (The mirroring designs' counts fell when hmm_range_fault
 * started failing with -EFAULT during a munmap, whose VMA is already detached, and a write fault's
 * swap-in started dirtying the page. Every count fell again with the swap cache, model/swap.ts: a page
 * swapped in past the cache has no slot left and is dirty, as add_to_swap would mark it anyway, so the
 * clean and dirty copies of a page outside the swap cache, which no future told apart, are one state.
 * Two counts rose when a failed job started keeping its errno as state, model/job-error.ts: odp-mirror's
 * job that a fault failed (-EFAULT, -EPERM) and one its deregistration flushed (-ECANCELED), pin-per-job's
 * -EFAULT of an unmapped page and of a protected one, were one state before.)
 */
const pinned: [string, string, number][] = [
  // The MR's mkey (model/mkey.ts): deregistration waits for a fault in flight instead of aborting it, and a
  // fault raised after the key's revoke fails at once; and a failed job keeps its errno (34822 before both).
  ['odp-mirror', 'kernel-queue', 38870],
  ['pin-longterm', 'kernel-queue', 1516],
  ['mirror-blocking-notifier', 'kernel-queue', 15600],
  // 23238: a registration with nothing mapped to fault in returns at once (20 states of a registration
  // left opening with no fault live, which only a later driver step closed, are gone).
  ['mirror-blocking-notifier', 'user-queue', 23238],
  // pin-per-job has no registration (it pins per job): the world no longer offers it one whose flag nothing
  // read, which had multiplied its states tenfold (7536 here, 8700 in mprotect, over 4 million in
  // kernel-queue-fork-2021, now 147,285 there with the properties' memory).
  ['pin-per-job', 'kernel-queue', 741],
  // VMA permissions (model/mprotect.ts) at the mprotect config's one-frame proof scope.
  ['pin-per-job', 'mprotect', 1235],
  ['peerdirect-revoke', 'p2p-switch', 1012],
  ['dmabuf-static', 'p2p-switch', 240],
  ['dmabuf-dynamic', 'p2p-switch', 360],
];
const pinnedDeep: [string, string, number][] = [
  ['queue-preempt', 'user-queue', 184143],
  ['hmm-p2p', 'p2p-switch', 307708],
  ['dmirror', 'kernel-queue', 58845],
  ['dmirror', 'hmm', 106073],
  ['odp-mirror', 'mprotect', 114801],
  ['dmirror', 'mprotect', 125322],
];

describe('the reachable space at a proof scope', () => {
  for (const [s, c, n] of [...pinned, ...(process.env.DMACHECK_DEEP ? pinnedDeep : [])]) {
    it(`of ${s} in ${c} is finite and has exactly ${n} states`, () => {
      const m = makeModel(strategyByName(s)!, proofConfig(configByName(c)!));
      const r = bfsCheck(m, [], { maxDepth: Infinity, maxStates: 4 * n });
      expect(r.stats.closed, 'the search closed: no new state at the last depth').toBe(true);
      expect(r.stats.states).toBe(n);
    });
  }
});

describe('prove', () => {
  // Each of odp-mirror's mutants against the property that kills it, at the proof scope: the
  // counterexample is a shortest one (no trace one action shorter breaks the property).
  const kills: [string, string][] = [
    ['no-read-retry', 'coherent-dma'],
    ['retry-outside-lock', 'coherent-dma'],
    ['zap-without-wait', 'no-dma-after-free'],
    ['refuse-with-lock-held', 'bounded-notifier'],
    ['dereg-without-deref-wait', 'no-kernel-use-after-free'],
  ];
  for (const [mutant, prop] of kills) {
    it(`kills odp-mirror's ${mutant} by ${prop} with a shortest counterexample`, () => {
      const m = makeModel(strategyByName('odp-mirror')!, proofConfig(configByName('kernel-queue')!), mutant);
      const p = propertyById(prop)!;
      const r = proveModel(m, [p]);
      expect(r.failures.map((f) => f.property)).toEqual([prop]);
      const len = r.failures[0]!.actions.length;
      const shorter = bfsCheck(m, [p], { maxDepth: len - 1, maxStates: 5_000_000 });
      expect(shorter.stats.exhausted, `every trace of ${len - 1} actions explored`).toBe(true);
      expect(shorter.failures).toEqual([]);
    });
  }

  it('proves the correct odp-mirror\'s safety properties in every state of its proof scope', () => {
    const m = makeModel(strategyByName('odp-mirror')!, proofConfig(configByName('kernel-queue')!));
    const props = ['no-dma-after-free', 'coherent-dma', 'bounded-notifier'].map((id) => propertyById(id)!);
    const r = proveModel(m, props);
    expect(r.failures).toEqual([]);
    expect(r.unfinished).toEqual([]);
    expect(r.proved.map((x) => x.property)).toEqual(props.map((p) => p.id));
    // The model's own space (38870 states), told apart a little further by what the witnesses remember.
    expect(r.proved[0]!.states).toBeGreaterThanOrEqual(38870);
  });

  it('exits 3, proving nothing, when the state budget is too small to finish', async () => {
    const { code, out } = await cli('prove', '--strategy', 'odp-mirror', '--config', 'kernel-queue', '--property', 'coherent-dma', '--states', '2000', '--out', tmp());
    expect(code).toBe(3);
    expect(out).toMatch(/NOT PROVED: coherent-dma: no violation in \d+ states, but the budget of 2000 states ran out/);
    expect(out).not.toMatch(/proved: /);
  });

  it('exits 3 when asked only for traces of a bounded depth, and 1 with the counterexample of a mutant', async () => {
    const bounded = await cli('prove', '--strategy', 'odp-mirror', '--config', 'kernel-queue', '--property', 'coherent-dma', '--depth', '4', '--out', tmp());
    expect(bounded.code).toBe(3);
    const killed = await cli('prove', '--strategy', 'odp-mirror', '--mutant', 'refuse-with-lock-held', '--config', 'kernel-queue', '--property', 'bounded-notifier', '--out', tmp());
    expect(killed.code).toBe(1);
    expect(killed.all).toMatch(/bounded-notifier FAILS: shortest counterexample, 5 action\(s\)/);
  });

  it('refuses a scope key it does not know, or a value out of range, with exit 2', async () => {
    expect((await cli('prove', '--strategy', 'odp-mirror', '--scope', 'pages=2')).code).toBe(2);
    expect((await cli('prove', '--strategy', 'odp-mirror', '--scope', 'procs=9')).code).toBe(2);
    expect((await cli('prove', '--strategy', 'odp-mirror', '--scope', 'frames=1,vpages=2')).code).toBe(2);
  });
});

describe('proofs.json', () => {
  // The designs whose whole proof takes under a few seconds are proved again here and compared with the
  // file the matrix reads (`dmacheck prove` with no strategy compares every design; it takes minutes).
  const cheap: [string, string][] = [
    ['pin-longterm', 'kernel-queue'],
    ['peerdirect-revoke', 'p2p-switch'],
    ['peerdirect-revoke', 'p2p-none'],
    ['dmabuf-static', 'p2p-switch'],
    ['dmabuf-dynamic', 'p2p-switch-user-queue'],
  ];
  const proofs = loadProofs();
  for (const [s, c] of cheap) {
    it(`records what prove finds for ${s} in ${c}, cell by cell`, () => {
      const cfg = proofConfig(configByName(c)!);
      const r = proveModel(makeModel(strategyByName(s)!, cfg), verdictProperties);
      expect(r.unfinished).toEqual([]);
      for (const p of verdictProperties) {
        const rec = proofOf(proofs, s, c, p.id);
        expect(rec, `${s} / ${c} / ${p.id} in proofs.json`).toBeDefined();
        expect(rec!.scope).toBe(scopeText(cfg.scope));
        const f = r.failures.find((x) => x.property === p.id);
        const ok = r.proved.find((x) => x.property === p.id);
        const got = f ? { verdict: 'fails', states: f.actions.length } : { verdict: ok!.premiseReached ? 'proved' : 'n/a', states: ok!.states };
        expect({ verdict: rec!.verdict, states: rec!.states }, p.id).toEqual(got);
      }
    });
  }
});

describe('liveness does not depend on the scope', () => {
  it('the kernel-queue blocking notifier holds bounded-notifier with 3 job slots; with user queues it still fails', async () => {
    const kq = await cli('check', '--strategy', 'mirror-blocking-notifier', '--config', 'kernel-queue', '--scope', 'jobs=3', '--property', 'bounded-notifier', '--out', tmp());
    expect(kq.code).toBe(0);
    expect(kq.all).toMatch(/scope procs=2,vpages=2,frames=5,jobs=3,invalidations=2/);
    const uq = await cli('check', '--strategy', 'mirror-blocking-notifier', '--config', 'user-queue', '--scope', 'jobs=3', '--property', 'bounded-notifier', '--out', tmp());
    expect(uq.code).toBe(1);
    expect(uq.all).toMatch(/bounded-notifier FAILS/);
    expect(uq.all).toMatch(/fence/);
  });

  it('the kernel-queue blocking notifier lets a migration complete with two jobs queued on the page', () => {
    // Before the oracle searched without a bound, this needed 9 kernel and hardware steps and failed at B = 8.
    const m = makeModel(strategyByName('mirror-blocking-notifier')!, withScope(configByName('kernel-queue')!, { jobs: 3 }));
    const r = bfsCheck(m, [propertyById('migratable')!], { maxDepth: 6, maxStates: 400_000 });
    expect(r.failures).toEqual([]);
  });
});
