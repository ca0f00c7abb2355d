// Every strategy in every config against every property, compared with manifest.json: a correct design
// holds what the manifest says it holds over the budget; what a design gives up fails, with a short
// counterexample that replays; and the `sometimes` witnesses show the search reached the states that
// matter, so that nothing passes vacuously.
import { describe, it, expect } from 'vitest';
import { strategies } from '../model/strategies/index.ts';
import { propertyById } from '../properties/index.ts';
import { checkDesign, configsOf, expectedVerdict, loadManifest } from '../src/verdicts.ts';
import { runActions } from '../src/run.ts';
import { suiteBudget } from './budget.ts';

const manifest = loadManifest();

/** What each design's search must reach (a strategy without a retry path has no retried fault, etc.). */
const mustReach: Record<string, string[]> = {
  'odp-mirror': ['sometimes-dma-landed', 'sometimes-migrated', 'sometimes-invalidate-during-dma', 'sometimes-fault-retried', 'sometimes-munmap-while-registered', 'sometimes-callback-refused'],
  'odp-mirror@dax-file': ['sometimes-dma-landed', 'sometimes-dax-moved', 'sometimes-invalidate-during-dma', 'sometimes-fault-retried'],
  // FOLL_LONGTERM refuses a DAX mapping: nothing registers, the filesystem still moves its blocks.
  'pin-longterm@dax-file': ['sometimes-dax-moved'],
  'pin-longterm': ['sometimes-dma-landed', 'sometimes-invalidate-during-dma', 'sometimes-fork-while-pinned', 'sometimes-munmap-while-registered'],
  'mirror-blocking-notifier': ['sometimes-dma-landed', 'sometimes-migrated', 'sometimes-fault-retried', 'sometimes-callback-waits-on-fence', 'sometimes-callback-refused'],
  'pin-per-job': ['sometimes-dma-landed', 'sometimes-invalidate-during-dma', 'sometimes-fork-while-pinned', 'sometimes-oom-reaped'],
  'queue-preempt': ['sometimes-dma-landed', 'sometimes-migrated', 'sometimes-invalidate-during-dma', 'sometimes-fault-retried', 'sometimes-queues-preempted', 'sometimes-queues-restored', 'sometimes-callback-refused'],
  // 'strategy@config' keys override the strategy's own: where the topology allows no P2P, there is no P2P DMA.
  'peerdirect-revoke@p2p-switch': ['sometimes-dma-landed', 'sometimes-p2p-dma', 'sometimes-mr-revoked', 'sometimes-invalidate-during-dma'],
  'peerdirect-revoke@p2p-none': [], // the registration is refused: nothing to reach
  'dmabuf-static@p2p-switch': ['sometimes-dma-landed', 'sometimes-p2p-dma', 'sometimes-move-notify'],
  'dmabuf-static@p2p-none': ['sometimes-dma-landed', 'sometimes-move-notify'],
  'dmabuf-dynamic@p2p-switch': ['sometimes-dma-landed', 'sometimes-p2p-dma', 'sometimes-move-notify'],
  'dmabuf-dynamic@p2p-none': ['sometimes-dma-landed', 'sometimes-move-notify'],
  'dmabuf-dynamic@p2p-switch-user-queue': ['sometimes-dma-landed', 'sometimes-p2p-dma', 'sometimes-move-notify'],
  'hmm-p2p@p2p-switch': ['sometimes-dma-landed', 'sometimes-p2p-dma', 'sometimes-private-faulted-by-peer', 'sometimes-fault-retried'],
  'hmm-p2p@p2p-none': ['sometimes-dma-landed', 'sometimes-private-faulted-by-peer', 'sometimes-fault-retried'],
  'hmm-p2p@p2p-switch-user-queue': ['sometimes-dma-landed', 'sometimes-p2p-dma', 'sometimes-private-faulted-by-peer', 'sometimes-fault-retried'],
};

/** A known weakness's counterexample must stay short enough to read. */
const MAX_WEAKNESS_STEPS = 20;

describe('verdicts of the designs', () => {
  it('has a manifest entry for every strategy, config and property', () => {
    expect(manifest).not.toBeNull();
  });

  for (const s of strategies) {
    for (const cfg of configsOf(s)) {
      it(`${s.name} in ${cfg.name}: every verdict equals the manifest's, failures replay, witnesses are reached`, () => {
        const d = checkDesign(s, cfg, suiteBudget);
        for (const c of d.cells) {
          expect(c.verdict, `${c.property}`).toBe(expectedVerdict(manifest, s.name, cfg.name, c.property));
        }
        for (const f of d.result.failures) {
          expect(f.actions.length, `${f.property} counterexample length`).toBeLessThanOrEqual(MAX_WEAKNESS_STEPS);
          const r = runActions(d.model, f.actions, [propertyById(f.property)!]);
          expect(r.violation?.property).toBe(f.property);
          expect(r.step).toBe(f.actions.length - 1);
        }
        for (const w of mustReach[`${s.name}@${cfg.name}`] ?? mustReach[s.name] ?? []) expect([...d.result.reached], w).toContain(w);
      });
    }
  }

  it('shows the seeds\' claims: ODP follows the VMA, a pin does not; a pin keeps DMA off freed memory; the blocking notifier waits on user space', () => {
    const v = (s: string, c: string, p: string) => expectedVerdict(manifest, s, c, p);
    for (const c of ['kernel-queue', 'user-queue']) {
      expect(v('odp-mirror', c, 'coherent-dma')).toBe('holds');
      expect(v('odp-mirror', c, 'bounded-notifier')).toBe('holds');
      expect(v('pin-longterm', c, 'coherent-dma')).toBe('fails');
      expect(v('pin-longterm', c, 'no-dma-after-free')).toBe('holds');
      expect(v('pin-longterm', c, 'isolation')).toBe('holds');
      expect(v('pin-longterm', c, 'pins-balanced')).toBe('holds');
    }
    expect(v('pin-longterm', 'kernel-queue-fork-2021', 'isolation')).toBe('fails');
    expect(v('mirror-blocking-notifier', 'kernel-queue', 'bounded-notifier')).toBe('holds');
    expect(v('mirror-blocking-notifier', 'user-queue', 'bounded-notifier')).toBe('fails');
  });
});
