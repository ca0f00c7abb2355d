// Device-private memory through fork, MAP_SHARED pages and migrate_vma_collect, and the two races the
// model finds in lib/test_hmm.c's reference driver (docs/hmm.md), each as the shortest trace the
// exhaustive search gives.
import { describe, it, expect } from 'vitest';
import { configByName } from '../model/configs.ts';
import { init } from '../model/model.ts';
import { PEER } from '../model/types.ts';
import type { Config } from '../model/types.ts';
import { noLostWrite } from '../properties/no-lost-write.ts';
import { noDmaAfterFree } from '../properties/no-dma-after-free.ts';
import { coherentDma } from '../properties/coherent-dma.ts';
import { bfsCheck } from '../src/explore-model.ts';
import { proofConfig } from '../model/configs.ts';
import { makeModel } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { viewOf } from '../src/system.ts';
import { runActions } from '../src/run.ts';
import { act, forkCopy, failsAtEnd, holdsOver, model, play, traceText } from './helpers.ts';

describe('the races of the reference driver (dmirror in hmm): kept, not fixed', () => {
  it('a device write between migrate_to_ram\'s copy and its map step is lost (no-lost-write, 13 steps, a shortest trace)', () => {
    const m = model('dmirror', 'hmm');
    const trace = [
      act('register', 0), act('submit_write', 0, 0), act('dmirror_migrate', 0, 0), act('invalidate_end', 0), act('dmirror_migrate_copy', 0, 0),
      act('dmirror_migrate_finalize', 0, 0), act('dma_start', 0), act('dmirror_devmem_fault', 0, 0), act('invalidate_end', 0),
      act('dmirror_migrate_copy', 0, 0), act('dma_land', 0), act('dmirror_migrate_finalize', 0, 0), act('cpu_read', 0, 0),
    ];
    const r = failsAtEnd(m, trace, [noLostWrite]);
    expect(r.violation!.clause).toBe('cpu-read');
    // The callback skipped its own migration's invalidation: it returned at once (the skip), and the
    // device kept the device page until dmirror_devmem_fault_finalize_and_map.
    const start = r.events[7]!.find((e) => e.t === 'invalidate_start');
    expect(start && start.t === 'invalidate_start' ? [start.cause, start.owner] : null).toEqual(['device-migrate', 0]);
    expect(r.events[7]!.some((e) => e.t === 'callback_return'), 'skipped at once').toBe(true);
  });

  it('the exhaustive search finds nothing shorter for it at the proof scope', () => {
    const m = makeModel(strategyByName('dmirror')!, proofConfig(configByName('hmm')!));
    const r = bfsCheck(m, [noLostWrite], { maxDepth: 13, maxStates: 400_000 });
    expect(r.failures[0]?.actions.length).toBe(13);
  });

  it('a fault that raced with a migration maps the freed page: the skip does not set the seq (no-dma-after-free, 12 steps)', () => {
    const m = model('dmirror', 'hmm');
    const trace = [
      act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('dmirror_migrate', 0, 0),
      act('invalidate_end', 0), act('dmirror_migrate_copy', 0, 0), act('dmirror_migrate_finalize', 0, 0), act('fault_commit', 0), act('dma_start', 0),
      act('dma_land', 0),
    ];
    const r = failsAtEnd(m, trace, [noDmaAfterFree]);
    const retry = r.events[9]!.find((e) => e.t === 'read_retry');
    expect(retry && retry.t === 'read_retry' ? retry.retry : null, 'mmu_interval_read_retry sees nothing').toBe(false);
  });

  it('without device memory (kernel-queue) dmirror is a plain mirror, and the same fault is retried', () => {
    const m = model('dmirror', 'kernel-queue');
    holdsOver(m, [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('migrate', 0, 0),
      act('dmirror_invalidate', 0), act('invalidate_end', 0), act('fault_commit', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0),
      act('dma_start', 0), act('dma_land', 0)], [noDmaAfterFree, coherentDma, noLostWrite]);
  });
});

describe('device-private memory through fork (copy_nonpresent_pte)', () => {
  it('hmm-p2p: the child of a process whose page is in the GPU\'s VRAM reads the data through migrate_to_ram; a write breaks COW', () => {
    const m = model('hmm-p2p', 'p2p-switch');
    const pre = [act('cpu_write', 0, 0), act('gpu_migrate', 0, 0), act('invalidate_end', 0), act('mig_copy', 0, 0), act('mig_copy_done', 0, 0),
      act('mig_pages', 0, 0), act('mig_finalize', 0, 0), act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0)];
    const { s } = play(m, pre);
    const f = s.mms[0]!.ptes[0]!.frame;
    expect(s.frames[f]!.kind).toBe('device-private');
    expect(s.frames[f]!.owner).toBe(PEER);
    expect(s.mms[1]!.ptes[0]!, 'the child maps the same device-private entry, read-only').toMatchObject({ mapped: true, frame: f, writable: false });
    expect(s.mms[0]!.ptes[0]!.writable, 'the parent\'s entry is made read-only too').toBe(false);
    const back = [...pre, act('cpu_fault_private', 1, 0), act('invalidate_end', 0), act('invalidate_end', 1), act('mig_copy', 1, 0), act('mig_copy_done', 1, 0),
      act('mig_pages', 1, 0), act('mig_finalize', 1, 0), act('cpu_read', 1, 0), act('cpu_write', 1, 0), act('invalidate_end', 0), act('cpu_write', 1, 0), act('cpu_read', 0, 0)];
    const r = holdsOver(m, back, [noLostWrite, noDmaAfterFree, coherentDma]);
    const reads = r.events.flat().filter((e) => e.t === 'cpu_read');
    const written = r.events[0]!.find((e) => e.t === 'cpu_write');
    expect(reads.map((e) => (e.t === 'cpu_read' ? e.value : null)), 'the child and the parent read the parent\'s write').toEqual([written && written.t === 'cpu_write' ? written.value : -1, written && written.t === 'cpu_write' ? written.value : -1]);
    expect(r.state.mms[0]!.ptes[0]!.frame, 'the write broke copy-on-write').not.toBe(r.state.mms[1]!.ptes[0]!.frame);
  });

  it('no-lost-write checks the child\'s reads: a child reading other than what the parent wrote before fork is a violation', () => {
    const m = model('dmirror', 'hmm');
    const s = init(m);
    const view = viewOf(m, s);
    const mon = noLostWrite.init(view);
    const ctx = (events: Parameters<typeof noLostWrite.check>[1]['events']) => ({ view, events, oracle: { reach: () => true } });
    expect(noLostWrite.check(mon, ctx([{ t: 'cpu_write', proc: 0, vpage: 0, frame: 0, value: 7 }]))).toBeNull();
    s.mms[1]!.alive = true;
    s.mms[1]!.ptes[0]!.mapped = true;
    expect(noLostWrite.check(mon, ctx([{ t: 'fork_pte', parent: 0, child: 1, vpage: 0 }]))).toBeNull();
    const v = noLostWrite.check(mon, ctx([{ t: 'cpu_read', proc: 1, vpage: 0, frame: 3, value: 0 }]));
    expect(v?.clause).toBe('cpu-read');
    expect(v?.values).toMatchObject({ proc: 1, latest: 7, read: 0 });
  });
});

describe('MAP_SHARED anonymous memory is never migrated to device memory (migrate_vma_collect)', () => {
  const sharedP2p: Config = { ...configByName('p2p-switch')!, shared: 0b01 };
  it('hmm-p2p: the GPU migrates the private page, not the shared one', () => {
    const m = makeModel(strategyByName('hmm-p2p')!, sharedP2p);
    const { s } = play(m, []);
    expect(s.mms[0]!.ptes[0]!.shared).toBe(true);
    const r = holdsOver(m, [act('gpu_migrate', 0, 1)], []);
    expect(r.ran).toBe(1);
    expect(runActions(m, [act('gpu_migrate', 0, 0)], []).notEnabled?.index, `${traceText(m, [act('gpu_migrate', 0, 0)])} is not enabled`).toBe(0);
  });

  it('a shared page stays shared, writable, through fork: the child\'s write is the parent\'s', () => {
    const m = makeModel(strategyByName('hmm-p2p')!, sharedP2p);
    const r = holdsOver(m, [act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('cpu_write', 1, 0), act('cpu_read', 0, 0)], [noLostWrite]);
    const w = r.events[4]!.find((e) => e.t === 'cpu_write');
    const rd = r.events[5]!.find((e) => e.t === 'cpu_read');
    expect(rd && rd.t === 'cpu_read' ? rd.value : null).toBe(w && w.t === 'cpu_write' ? w.value : -1);
  });
});
