// `sometimes` properties: each proves that an explorer reaches an interesting state at all, so that a
// suite that never reaches it fails instead of passing vacuously. `check` returns a witness (non-null)
// at the step that reaches it.
import type { Property, Violation } from './types.ts';
import type { ModelEvent } from '../model/events.ts';

function sometimes(id: string, meaning: string, hit: (e: ModelEvent) => boolean): Property<null> {
  return {
    id,
    kind: 'sometimes',
    meaning,
    init: () => null,
    check(_m, { events }): Violation | null {
      const e = events.find(hit);
      return e ? { property: id, clause: 'reached', message: meaning, values: { event: e.t } } : null;
    },
  };
}

export const witnesses: readonly Property<null>[] = [
  sometimes('sometimes-dma-landed', 'a DMA lands', (e) => e.t === 'dma_land'),
  sometimes('sometimes-invalidate-during-dma', 'an invalidation begins while a DMA to its range is in flight', (e) => e.t === 'invalidate_start' && e.dmaInFlight),
  sometimes('sometimes-migrated', 'a page migrates', (e) => e.t === 'invalidate_end' && e.cause === 'migrate' && e.changed),
  sometimes('sometimes-dax-moved', 'a DAX filesystem moves a file block under a mapping', (e) => e.t === 'invalidate_end' && e.cause === 'dax-move' && e.changed),
  sometimes('sometimes-fault-retried', 'a fault is retried because its seq moved (read_retry)', (e) => e.t === 'read_retry' && e.retry),
  sometimes('sometimes-fork-while-pinned', 'a process forks while some of its pages are pinned', (e) => e.t === 'fork' && e.pinnedPages > 0),
  sometimes('sometimes-callback-waits-on-fence', 'an invalidate callback waits on a job\'s fence', (e) => e.t === 'callback_wait_fence'),
  sometimes('sometimes-munmap-while-registered', 'a page is unmapped while the device holds a translation for it', (e) => e.t === 'invalidate_start' && e.cause === 'munmap'),
  sometimes('sometimes-oom-reaped', 'the OOM reaper unmaps a victim\'s memory', (e) => e.t === 'invalidate_end' && e.cause === 'oom'),
  sometimes('sometimes-callback-refused', 'a callback refuses a non-blockable invalidation (-EAGAIN)', (e) => e.t === 'callback_refuse'),
  sometimes('sometimes-queues-preempted', 'the hardware preempts a process\'s queues', (e) => e.t === 'queues_preempted'),
  sometimes('sometimes-queues-restored', 'a process\'s queues are resumed after an eviction', (e) => e.t === 'queues_resumed'),
  sometimes('sometimes-p2p-dma', 'a DMA lands in another device\'s memory over P2P', (e) => e.t === 'dma_land' && e.p2p === true),
  sometimes('sometimes-mr-revoked', 'an MR is revoked because the memory under it moved or was freed', (e) => e.t === 'mr_revoked'),
  sometimes('sometimes-move-notify', 'an exporter notifies the importers that a buffer moves (dma_buf_move_notify)', (e) => e.t === 'move_notify'),
  sometimes('sometimes-private-faulted-by-peer', 'a device faults on another device\'s DEVICE_PRIVATE page', (e) => e.t === 'private_fault'),
];
