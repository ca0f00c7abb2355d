// What the model emits as it steps. Properties observe these and a read-only view of the state, never the
// model's internals (the P language's monitors work the same way).
import type { InvalidationCause } from './types.ts';

export type ModelEvent =
  /** A DMA landed: the device read or wrote `frame` for (proc, vpage), translated as (frame, gen, epoch). */
  | { t: 'dma_land'; job: number; proc: number; vpage: number; frame: number; gen: number; epoch: number; write: boolean; value: number }
  | { t: 'dma_start'; job: number; proc: number; vpage: number; frame: number; gen: number }
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
  | { t: 'job_error'; job: number; reason: string };

export type Emit = (e: ModelEvent) => void;
