// What the model emits as it steps. Properties observe these and a read-only view of the state, never the
// model's internals (the P language's monitors work the same way).
import type { InvalidationCause } from './types.ts';

export type ModelEvent =
  /** A DMA landed: the device read or wrote `frame` for (proc, vpage), translated as (frame, gen, epoch). */
  | { t: 'dma_land'; job: number; proc: number; vpage: number; frame: number; gen: number; epoch: number; write: boolean; value: number; p2p?: boolean }
  | { t: 'dma_start'; job: number; proc: number; vpage: number; frame: number; gen: number; p2p?: boolean }
  | { t: 'cpu_read'; proc: number; vpage: number; frame: number; value: number }
  | { t: 'cpu_write'; proc: number; vpage: number; frame: number; value: number }
  | { t: 'mmap'; proc: number; vpage: number }
  | { t: 'munmap'; proc: number; vpage: number }
  | { t: 'fork'; parent: number; child: number; pinnedPages: number }
  | { t: 'invalidate_start'; inv: number; proc: number; pages: number; cause: InvalidationCause; dmaInFlight: boolean }
  | { t: 'callback_return'; inv: number; sub: number }
  | { t: 'invalidate_end'; inv: number; proc: number; pages: number; cause: InvalidationCause; changed: boolean }
  /** A callback chose to wait on a job's fence. */
  | { t: 'callback_wait_fence'; inv: number; job: number }
  | { t: 'device_fault'; job: number; proc: number; vpage: number; fatal: boolean }
  | { t: 'read_retry'; proc: number; vpage: number; retry: boolean }
  | { t: 'pin'; frame: number; pincount: number }
  | { t: 'unpin'; frame: number; pincount: number }
  | { t: 'fence_signal'; job: number; error: boolean }
  | { t: 'migrate_refused'; proc: number; vpage: number; frame: number }
  | { t: 'job_error'; job: number; reason: string }
  /** The OOM killer chose `proc` as its victim (out_of_memory: mark_oom_victim, SIGKILL). */
  | { t: 'oom_kill'; proc: number }
  /** A callback refused a non-blockable invalidation (returned false: -EAGAIN). */
  | { t: 'callback_refuse'; inv: number; sub: number }
  /** A refused invalidation was abandoned: no PTE changed and no invalidate_range_end (mn_itree_inv_end). */
  | { t: 'invalidate_abandon'; inv: number; proc: number; pages: number; cause: InvalidationCause }
  /** The hardware preempted `proc`'s queues (its in-flight DMA landed first). */
  | { t: 'queues_preempted'; proc: number }
  /** A driver resumed `proc`'s queues. */
  | { t: 'queues_resumed'; proc: number }
  /** A callback waits for `proc`'s eviction fence (signalled once its queues are preempted). */
  | { t: 'callback_wait_eviction'; inv: number; proc: number }
  /** An allocation below the watermark entered direct reclaim: the reclaim invalidation `inv`, which it waits for. */
  | { t: 'direct_reclaim'; inv: number; proc: number; vpage: number }
  /** A peer-memory client revoked an MR (PeerDirect): the device no longer maps the process's range. */
  | { t: 'mr_revoked'; proc: number }
  /** dma_buf_move_notify: the exporter told the importers of process `proc`'s buffer that it will move. */
  | { t: 'move_notify'; proc: number; vpage: number }
  /** A device's page fault met another device's DEVICE_PRIVATE page: given as a P2P page, or migrated to RAM. */
  | { t: 'private_fault'; proc: number; vpage: number; frame: number; outcome: 'p2p' | 'migrate' }
  /** The peer moved (proc, vpage)'s page from frame `from` to frame `to` (VRAM or system RAM). */
  | { t: 'peer_move'; proc: number; vpage: number; from: number; to: number }
  /**
   * A driver's own step, in its words, for the explanation of a trace only: no property reads it (a
   * property reads the events above and the view). A user's strategy emits it where the world's events
   * say nothing of what its step did ("CS: job 0 pushed to the scheduler under notifier_lock").
   */
  | { t: 'driver_note'; note: string };

export type Emit = (e: ModelEvent) => void;
