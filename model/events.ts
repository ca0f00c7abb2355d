// What the model emits as it steps. Properties observe these and a read-only view of the state, never the
// model's internals (the P language's monitors work the same way).
import type { DmaAddr, InvalidationCause } from './types.ts';

/**
 * The errno a failed job's completion carries (what user space reads from its error fence or CQE).
 * EPERM: hmm_range_fault asked to fault for write in a VMA without VM_WRITE (hmm_vma_fault).
 */
export type Errno = 'EFAULT' | 'ENOMEM' | 'EIO' | 'ECANCELED' | 'EPERM';

/**
 * Where a job's error came from: hmm_range_fault (a mirroring driver's fault path), GUP (pin_user_pages
 * and check_vma_flags), the device itself (a fatal fault, a revoked or flushed queue), or the driver's
 * own teardown or recovery.
 */
export type ErrorSource = 'hmm_range_fault' | 'gup' | 'device' | 'driver';

/**
 * Why a job failed, as data (properties read this, never free text):
 * - `mr-revoked`: the translation was revoked under it (PeerDirect: the QP went to the error state);
 * - `deregistered`: its registration was torn down by its owner (ib_dereg_mr, closing the userptr);
 * - `not-mapped`: its page is not mapped (user space unmapped it, or never mapped it);
 * - `fault-failed`: the driver's fault path failed (hmm_range_fault returned an error: see errno);
 * - `protection`: the VMA does not allow the access (PROT_NONE, or a write to a read-only VMA):
 *   hmm_range_fault's -EFAULT / -EPERM, GUP's -EFAULT (check_vma_flags);
 * - `gpu-reset`: the GPU was reset (amdgpu_device_gpu_recover) and the work queued on it was lost.
 */
export type JobErrorCause = 'mr-revoked' | 'deregistered' | 'not-mapped' | 'fault-failed' | 'gpu-reset' | 'protection';

/** A way memory under a device moves: the property `migratable` speaks of these. */
export type MoveMechanism = 'dmabuf-move' | 'vram-move' | 'device-migrate' | 'dax-move';

export type ModelEvent =
  /** A DMA landed: the device read or wrote `frame` for (proc, vpage), translated as (frame, gen, epoch). */
  | { t: 'dma_land'; job: number; proc: number; vpage: number; frame: number; gen: number; epoch: number; write: boolean; value: number; p2p?: boolean; dmaDev?: number; dmaAddr?: DmaAddr; dev?: number }
  /** A DMA was translated and issued; `recoverable`: by a device that recovers from page faults (ODP), or not. */
  | { t: 'dma_start'; job: number; proc: number; vpage: number; frame: number; gen: number; p2p?: boolean; recoverable: boolean; dev?: number }
  | { t: 'cpu_read'; proc: number; vpage: number; frame: number; value: number }
  | { t: 'cpu_write'; proc: number; vpage: number; frame: number; value: number }
  /** `untouched`: mapped without MAP_POPULATE (configs with the zero page): pte_none until the first access. */
  | { t: 'mmap'; proc: number; vpage: number; untouched?: boolean }
  | { t: 'munmap'; proc: number; vpage: number }
  /** A PTE of (proc, vpage) cleared by the core mm with no mmu_notifier calls around it (kernel variant reclaim-without-notifier). */
  | { t: 'unmap_unnotified'; proc: number; vpage: number }
  /** fork finished (its invalidate_range_end): the child runs. `pinnedPages`: pages found pinned as they were copied. */
  | { t: 'fork'; parent: number; child: number; pinnedPages: number }
  /** shrink_folio_list freed a page of the swap cache (__remove_mapping): its slot lives on in its swap entries. */
  | { t: 'swapcache_free'; frame: number }
  /**
   * offline_pages or cma_alloc tried to migrate (proc, vpage)'s page out of its zone (model/zones.ts):
   * refused while it is pinned (-EBUSY), else the migration's invalidation `inv` began.
   */
  | { t: 'offline_migrate'; proc: number; vpage: number; frame: number; zone: 'movable' | 'cma'; inv: number; refused: boolean; dmaInFlight: boolean; deviceHolds: boolean }
  /** check_and_migrate_movable_pages began migrating `pages` of `proc` to ZONE_NORMAL before a FOLL_LONGTERM pin. */
  | { t: 'longterm_migrate'; proc: number; pages: number; inv: number }
  /** A FOLL_LONGTERM pin failed: no ZONE_NORMAL frame for the migrate-out (-ENOMEM), or the page went (-EFAULT). */
  | { t: 'longterm_pin_failed'; proc: number; errno: 'ENOMEM' | 'EFAULT' }
  /** copy_pte_range set the child's PTE of `vpage` (a copy, a shared page, a swap entry): what the child holds there from now. */
  | { t: 'fork_pte'; parent: number; child: number; vpage: number }
  /**
   * mmu_notifier_invalidate_range_start. `owner`: mmu_notifier_range.owner (a device id, or -1 for the
   * core mm's own). `deviceHolds`: when it began, the device translated (its mirror)
   * or a pin held a page of the range; `callbacks`: how many subscriptions' invalidate callbacks it owes.
   */
  | { t: 'invalidate_start'; inv: number; proc: number; pages: number; cause: InvalidationCause; owner: number; dmaInFlight: boolean; deviceHolds: boolean; callbacks: number }
  | { t: 'callback_return'; inv: number; sub: number }
  | { t: 'invalidate_end'; inv: number; proc: number; pages: number; cause: InvalidationCause; changed: boolean }
  /** A callback chose to wait on a job's fence. */
  | { t: 'callback_wait_fence'; inv: number; job: number }
  | { t: 'device_fault'; job: number; proc: number; vpage: number; fatal: boolean }
  | { t: 'read_retry'; proc: number; vpage: number; retry: boolean }
  | { t: 'pin'; frame: number; pincount: number }
  | { t: 'unpin'; frame: number; pincount: number }
  | { t: 'fence_signal'; job: number; error: boolean }
  /** mprotect_fixup changed (proc, vpage)'s VMA protection to `prot` (VM_READ | VM_WRITE bits). */
  | { t: 'mprotect'; proc: number; vpage: number; prot: number }
  | { t: 'migrate_refused'; proc: number; vpage: number; frame: number }
  /**
   * A job failed: `errno`, `from` and `cause` are the data; `detail` is for people only (no property
   * reads it).
   */
  | { t: 'job_error'; job: number; errno: Errno; from: ErrorSource; cause: JobErrorCause; detail: string }
  /**
   * A driver attempted to move a page and a reference it holds refused it: a pinned DMA-BUF attachment
   * (dma_buf_pin; TTM keeps a pinned BO off the LRU and ttm_bo_validate refuses to move it).
   */
  | { t: 'move_refused'; proc: number; vpage: number; frame: number; mechanism: MoveMechanism; by: 'pin' }
  /** The OOM killer chose `proc` as its victim (out_of_memory: mark_oom_victim, SIGKILL). */
  | { t: 'oom_kill'; proc: number }
  /** A process's exit (model/exit.ts): do_exit began, exit_mmap began (the notifiers' release), the mm is dead. */
  | { t: 'exit'; proc: number; phase: 'do_exit' | 'exit_mmap' | 'mm_dead' }
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
  | { t: 'move_notify'; proc: number; vpage: number; dmaInFlight: boolean /* to any page of the buffer */ }
  /** A device's page fault met another device's DEVICE_PRIVATE page: given as a P2P page, or migrated to RAM. */
  | { t: 'private_fault'; proc: number; vpage: number; frame: number; outcome: 'p2p' | 'migrate' }
  /** The peer moved (proc, vpage)'s page from frame `from` to frame `to` (VRAM or system RAM). */
  | { t: 'peer_move'; proc: number; vpage: number; from: number; to: number }
  /**
   * The interval notifier's fault path (model/strategies/mirror-fault.ts), for the explanation of a trace
   * (no property reads them): fault context `fault` took `seq` (mmu_interval_read_begin); hmm_range_fault
   * snapshot (proc, vpage) as (frame, gen) or failed (`result` -EBUSY / an errno); the driver lock was
   * taken and the device PTE programmed, with or without mmu_interval_read_retry under it.
   */
  | { t: 'fault_seq'; fault: number; proc: number; vpage: number; seq: number }
  | { t: 'fault_snapshot'; fault: number; proc: number; vpage: number; frame: number; gen: number; writable: boolean; result: 'ok' | 'EBUSY' | Errno }
  | { t: 'mirror_program'; fault: number; proc: number; vpage: number; frame: number; gen: number; writable: boolean; retry: 'under-lock' | 'outside-lock' | 'none' }
  /**
   * migrate_vma_setup by `device`'s driver for one page: `cpages` 1 if migrate_vma_collect took it, 0 if
   * it skipped it (`skip`: why); `toDevice`: MIGRATE_VMA_SELECT_SYSTEM, else the way back to RAM. With
   * `errno`, the driver's ioctl refused the page before migrate_vma_setup (dmirror_migrate_to_device's
   * VMA check: -EINVAL), `skip` saying why.
   */
  | { t: 'migrate_collect'; device: number; proc: number; vpage: number; toDevice: boolean; cpages: number; skip: string | null; errno?: 'EINVAL' }
  /**
   * A driver's own step, in its words, for the explanation of a trace only: no property reads it (a
   * property reads the events above and the view). A user's strategy emits it where the world's events
   * say nothing of what its step did ("CS: job 0 pushed to the scheduler under notifier_lock").
   */
  | { t: 'driver_note'; note: string }
  /**
   * A driver handed a scatterlist entry for (proc, vpage) to an SGL consumer (model/sgl.ts): the frame it
   * names, whether it is a P2PDMA page (is_pci_p2pdma_page), and whether the entry has a struct page at
   * all (a P2P SGL from the RFC's p2p_map holds bus addresses only).
   */
  | { t: 'sgl_handoff'; job: number; proc: number; vpage: number; frame: number; consumer: SglConsumer; p2p: boolean; structPage: boolean }
  /**
   * Kernel code touched the memory of `frame` with the CPU through a kernel mapping of a scatterlist
   * entry (sg_virt / kmap_local_page(sg_page()) / sg_copy_buffer), as a software RDMA device does.
   */
  | { t: 'kernel_cpu_access'; frame: number; via: 'sg_virt' | 'sg_page' | 'sg_copy_buffer'; structPage: boolean; write: boolean }
  /** A queue preemption of `proc` timed out and the driver reset the GPU: every process's queued work on it is lost. */
  | { t: 'gpu_reset'; proc: number; lost: number }
  /** A P2P provider began to revoke its memory (driver unbind, reset: pci_p2pdma_unmap_mappings), or finished (the BAR released). */
  | { t: 'provider_revoke'; phase: 'begin' | 'released'; inUse: boolean }
  /**
   * mmu_interval_notifier_remove of subscription `sub` (of `proc`): `waits` when an invalidation of the mm
   * was active, so the notifier stays in the tree, queued for removal on the deferred list, and remove
   * sleeps until mn_itree_inv_end; otherwise it is gone when remove returns.
   */
  | { t: 'notifier_remove'; sub: number; proc: number; waits: boolean }
  /** The driver freed the struct that embeds subscription `sub` (kfree). */
  | { t: 'notifier_free'; sub: number; proc: number }
  /**
   * An MR's memory key (model/mkey.ts): a page-fault handler for `job` took it (`get`: xa_load found it,
   * refcount_inc) or found nothing (`miss`: erased, the fault fails), or dropped it (`put`:
   * mlx5r_deref_odp_mkey); deregistration erased it from odp_mkeys (`erase`). `usecount`: after the step.
   */
  | { t: 'mkey'; op: 'get' | 'miss' | 'put' | 'erase'; proc: number; job: number; usecount: number }
  /** The driver freed `proc`'s MR with its mkey; `usecount`: references page-fault handlers still held (0 when right). */
  | { t: 'mr_free'; proc: number; usecount: number };

/** Who consumes a scatterlist (model/sgl.ts says which take P2P entries). */
export type SglConsumer = 'nvme' | 'rdma-p2pdma' | 'rxe';

export type Emit = (e: ModelEvent) => void;
