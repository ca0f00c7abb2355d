// The world's state: plain data only (numbers, booleans, arrays, small records), so that a state can be
// copied, compared, hashed and printed. Slots are fixed-size arrays sized by the config's scope, in the
// manner of a TLA+ model: a free slot is marked, never removed, so indices stay stable in a trace.
import type { Errno, ErrorSource, JobErrorCause } from './events.ts';

export const NONE = -1;

/** Invalidation.rmap: the linked invalidation of a shared page's migration ended and moved the page. */
export const RMAP_MOVED = -2;
/** Invalidation.rmap (kernel variant migrate-notifies-one-mm): a shared page's migration that told one mm only. */
export const RMAP_ALONE = -3;

/**
 * Where a frame's memory is: system RAM; DEVICE_PRIVATE VRAM of device `owner` (not CPU-addressable: the CPU
 * PTE holds a special entry); or a P2PDMA page, a BAR page of device `owner` other devices reach over PCIe.
 */
export type FrameKind = 'system' | 'device-private' | 'p2p';

/**
 * The zone of a system-RAM frame (model/zones.ts): ZONE_NORMAL; ZONE_MOVABLE (only movable allocations, so
 * that the range can be offlined: memory hot-unplug); or a CMA area (MIGRATE_CMA pageblocks, lent to
 * movable allocations until cma_alloc takes the range back). A page in the last two must not stay pinned.
 */
export type Zone = 'normal' | 'movable' | 'cma';

/** Device ids: the device under test (`State.dev`, the one that runs jobs) and the peer (`State.peer`). */
export const DEV = 0;
export const PEER = 1;
/**
 * A third PCI device, present only as an entry of a config's topology (the three-device configs of
 * model/p2p.ts): a device a driver may map an address for, whose DMA the model does not run.
 */
export const THIRD = 2;
/**
 * The second mirroring device of a config with two (Config.mirrors: lib/test_hmm.c's second dmirror
 * device, /dev/hmm_dmirror1, which hmm-tests.c's hmm2 fixture opens beside the first): `State.dev1`, with
 * its own page table, notifier, mutex and device-private memory (its own pgmap->owner). Such a config has
 * no P2P peer, so the id is free.
 */
export const DEV1 = 1;

/**
 * The kind of DMA address a mapping gives a device (what it puts on the bus):
 * - `iova`: from dma_map_page / dma_map_sg (through the IOMMU, or the CPU physical address): right for
 *   system RAM, and for a P2P page whose path goes through the host bridge (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
 * - `bus-addr`: the PCI bus address of a P2PDMA page (pci_p2pdma_bus_addr_map: phys + bus_offset, the IOMMU
 *   bypassed): right only where the TLPs turn at a common switch (PCI_P2PDMA_MAP_BUS_ADDR);
 * - `link`: an address on an internal interconnect between two devices (an xGMI/NVLink aperture): right
 *   only between the devices that link joins;
 * - `p2pdma`: made by the P2P-aware path (pci_p2pdma_map_sg / dma_map_sgtable with P2P pages), which
 *   chooses by pci_p2pdma_map_type: the designs that do not say which kind they got.
 */
export type DmaAddr = 'iova' | 'bus-addr' | 'link' | 'p2pdma';

/** A physical page (struct page / folio). */
export interface Frame {
  kind: FrameKind;
  /**
   * The device whose driver owns the page: NONE for the core mm's own (anonymous) pages; for VRAM, always
   * its device; a system-RAM page a GPU driver allocated for its buffer (a TTM placement) is the peer's too.
   */
  owner: number;
  /** PG_locked by a migration or a buffer move in progress: CPU faults wait on it (migration_entry_wait). */
  locked: boolean;
  /** Allocation generation: bumped on every free, so (frame, gen) names one lifetime. */
  gen: number;
  /**
   * page_ref_count: PTE mappings + pins + other references, without the swap cache's own reference (that
   * one is `slot`). Freed when it reaches 0 and the page is not in the swap cache.
   */
  refcount: number;
  /** FOLL_PIN pins (the GUP_PIN_COUNTING_BIAS share of the refcount, counted one by one here). */
  pincount: number;
  /** PTE mappings (page_mapcount). */
  mapcount: number;
  /** Contents. */
  value: number;
  free: boolean;
  /** PG_dirty: the contents differ from the backing store (swap slot). */
  dirty: boolean;
  /**
   * PG_swapcache and folio->swap: the swap slot whose page this is in the swap cache (model/swap.ts), or
   * NONE. The cache holds a reference of its own (not counted in `refcount`): the page is freed only when
   * the cache drops it (__remove_mapping, or folio_free_swap once no swap entry is left).
   */
  slot: number;
  /** The zone the frame is in (a config's `movable` and `cma` frames; VRAM frames are 'normal'). */
  zone: Zone;
}

/**
 * VMA protection bits (vm_flags VM_READ, VM_WRITE; PROT_NONE is neither): what user space allowed with
 * mmap or mprotect, apart from the PTE's own write bit (which copy-on-write clears on a writable VMA).
 */
export const VM_READ = 1;
export const VM_WRITE = 2;
export const VM_RW = VM_READ | VM_WRITE;

/** One virtual page of an address space: its PTE and its VMA. */
export interface Pte {
  /** A VMA covers the page (false after munmap, until mmap again). */
  mapped: boolean;
  /** The frame the PTE points to, or NONE (not present: never touched, or swapped out). */
  frame: number;
  /**
   * Write permission in the CPU PTE (false while shared copy-on-write after fork, and whenever the VMA
   * lacks VM_WRITE).
   */
  writable: boolean;
  /**
   * The VMA's protection (VM_READ | VM_WRITE bits; 0 is PROT_NONE), set by mmap and mprotect
   * (model/mprotect.ts). A CPU access it does not allow faults (SIGSEGV: the access does not happen);
   * hmm_range_fault and GUP refuse it (-EFAULT / -EPERM).
   */
  prot: number;
  /** Swapped out: the PTE holds a swap entry; the contents live in the swap slot (and maybe the swap cache). */
  swapped: boolean;
  /** The swap slot's contents (the backing store); meaningful while swapped, and kept after swap-in. */
  swap: number;
  /** The swap entry's slot while swapped (swp_entry_t; fork's copy_nonpresent_pte shares it), else NONE. */
  slot: number;
  /** Bumped by munmap and mmap: a translation taken in an older epoch is not one of this mapping. */
  epoch: number;
  /** A page of a DAX file mapping (MAP_SHARED, no page cache): the filesystem may move its block. */
  dax: boolean;
  /**
   * A page of a MAP_SHARED | MAP_ANONYMOUS mapping (shmem): fork shares it with the child, writable, with
   * no copy-on-write, and migrate_vma_collect does not take it (only anonymous private pages migrate to
   * device memory). A minimal attribute; shared memory in full is the core-mm issue's.
   */
  shared: boolean;
  /**
   * A device-exclusive entry (make_device_exclusive): the id of the device that has the page for its
   * atomics, or NONE. The frame stays the page's; a CPU access faults and restores the PTE first
   * (model/hmm-exclusive.ts).
   */
  exclusive: number;
}

/** Per-process memory descriptor (struct mm_struct) with its mmu_notifier_subscriptions. */
export interface Mm {
  alive: boolean;
  /** Chosen by the OOM killer (mark_oom_victim, SIGKILL pending): its user space runs no more. */
  oomVictim: boolean;
  /** The OOM reaper's pass over it completed (its anonymous memory unmapped). */
  oomReaped: boolean;
  /**
   * A driver sent it SIGKILL (send_sig_info): its user space runs no more, and it exits through the
   * world's exit_mmap (`exiting`, Strategy.killsProcesses). Absent: never killed (only the designs that
   * kill set it).
   */
  killed?: boolean;
  /**
   * The process is exiting (do_exit -> exit_mm -> mmput): its user space runs no more, and the kernel
   * tears its address space down (exit_mmap, model/exit.ts) until the mm is dead (`alive` false). Absent:
   * the config models no exit (Config.exit) and the strategy kills no process (Strategy.killsProcesses).
   */
  exiting?: boolean;
  /** mmu_notifier_subscriptions.invalidate_seq: odd while an invalidation is active. */
  seq: number;
  /** active_invalidate_ranges. */
  active: number;
  /**
   * mm->write_protect_seq: odd while fork's copy_page_range write-protects this mm's PTEs
   * (raw_write_seqcount_begin/end); gup_fast reads it before its walk and re-checks it after
   * (model/fork.ts).
   */
  wpSeq: number;
  ptes: Pte[];
}

/**
 * A fork in progress (kernel/fork.c dup_mmap, mm/memory.c copy_page_range): from `fork` to the
 * invalidate_end of its invalidation, the parent holds its mmap write lock and copy_pte_range copies its
 * PTEs into the child one page at a time (model/fork.ts). `parent` NONE: no fork in progress (every other
 * field then at its rest value).
 */
export interface ForkCopy {
  parent: number;
  /** The child's process slot (NONE once an allocation failed and the child was torn down: -ENOMEM). */
  child: number;
  /** The next virtual page copy_pte_range copies (the number of pages: every page copied). */
  page: number;
  /**
   * copy_present_pte of `page` has duplicated the anonymous rmap (folio_try_dup_anon_rmap_pte: the page
   * is not maybe-pinned, it will be shared) and has still to write-protect the parent's PTE and set the
   * child's.
   */
  dup: boolean;
  /** Pages found pinned as they were copied (the fork event's pinnedPages). */
  pinned: number;
  /** The fork's invalidation slot (copy_page_range's MMU_NOTIFY_PROTECTION_PAGE range). */
  inv: number;
}

/**
 * struct mmu_interval_notifier: a driver's subscription to a process's whole address space, with its
 * lifetime as mm/mmu_notifier.c gives it (model/mm.ts subscribe / removeNotifier / freeSubscription):
 * inserted into the mm's interval tree, or onto its deferred list while an invalidation is active; removed
 * from the tree, or queued for removal on the deferred list while one is (mmu_interval_notifier_remove
 * then sleeps until mn_itree_inv_end has taken it out); and freed by its driver (kfree), which is safe only
 * once the kernel holds no reference to it. The optional fields are absent (false) in the common case.
 */
export interface Subscription {
  /** Linked into the mm's notifier structures: in the interval tree, or on its deferred list (insert or remove). */
  live: boolean;
  proc: number;
  /** interval_sub->invalidate_seq, written only by mmu_interval_set_seq. */
  seq: number;
  /**
   * Inserted while an invalidation of its mm was active (__mmu_interval_notifier_insert): on the deferred
   * list, not in the tree, so no invalidation calls it until mn_itree_inv_end moves it in.
   */
  deferred?: boolean;
  /**
   * mmu_interval_notifier_remove ran while an invalidation of its mm was active: still in the tree (every
   * invalidation in progress or starting still calls it), queued on the deferred list for removal, which
   * mn_itree_inv_end does; the remover sleeps in wait_event(subscriptions->wq) until then.
   */
  removing?: boolean;
  /**
   * The driver freed the struct (kfree of the umem_odp / the dmirror / the userptr that embeds it). While
   * `live` or while an invalidation owes it a callback, the kernel still dereferences it: a use after free
   * (properties/no-kernel-use-after-free.ts).
   */
  freed?: boolean;
}

/**
 * Why an invalidation runs. `mprotect`: change_protection's MMU_NOTIFY_PROTECTION_VMA range, which moves no
 * page but changes what the PTEs allow; `exit`: exit_mmap's release and unmap of everything.
 */
export type InvalidationCause = 'migrate' | 'munmap' | 'cow' | 'reclaim' | 'fork' | 'peer-move' | 'device-migrate' | 'oom' | 'dax-move' | 'exclusive' | 'mprotect' | 'exit';

export const CB_RETURNED = 255;

/** An invalidation in progress: between invalidate_range_start and invalidate_range_end. */
export interface Invalidation {
  live: boolean;
  proc: number;
  /** Bit mask of the virtual pages in the range. */
  pages: number;
  cause: InvalidationCause;
  /**
   * mmu_notifier_range.owner (mmu_notifier_range_init_owner): the device that started it, for the
   * migrations (MMU_NOTIFY_MIGRATE) and make_device_exclusive (MMU_NOTIFY_EXCLUSIVE) of a device's own
   * driver, which its own callback may skip; NONE for the core mm's own invalidations.
   */
  owner: number;
  /**
   * mmu_notifier_range_blockable: false for the OOM reaper's invalidation, whose callbacks may not sleep:
   * they return at once or refuse (-EAGAIN), and a refused invalidation is abandoned (mm.ts callbackRefuse).
   */
  blockable: boolean;
  /**
   * Frames (a bit mask) a migration's new page must not come from (model/zones.ts): ZONE_MOVABLE and CMA
   * for FOLL_LONGTERM's migrate-out, the range being offlined for offline_pages. 0: any frame.
   */
  avoid: number;
  /** The frames the range mapped when the invalidation began, per virtual page (NONE if none). */
  oldFrames: number[];
  oldGens: number[];
  /**
   * A migration of a page two processes map (model/migrate-shared.ts): the invalidation of the other
   * mapping's mm, begun by the same rmap walk; RMAP_MOVED once that one ended and moved the page for both;
   * RMAP_ALONE in the kernel variant that tells only the first mm; NONE for every other invalidation.
   */
  rmap: number;
  /**
   * Per subscription slot: how far its invalidate callback has got. 0 = not started, CB_RETURNED =
   * returned (or not subscribed), anything between is the strategy's own step number.
   */
  cb: number[];
}

/** A device's translation of (process, virtual page): one entry of its mirror page table. */
export interface MirrorEntry {
  frame: number; // NONE when empty
  gen: number;
  writable: boolean;
  /** The PTE epoch the translation was taken in. */
  epoch: number;
  /** DMA-mapped with the P2P-aware path (pci_p2pdma_map_* / dma_map_sg's P2P segments), not plain dma_map. */
  p2p: boolean;
  /** The device the DMA address was mapped for (the `struct device` given to the DMA API): DEV unless a driver says. */
  dmaDev: number;
  /** The kind of address the mapping gave (types.ts DmaAddr). */
  dmaAddr: DmaAddr;
}

export type DeviceKind = 'gpu' | 'rdma' | 'nvme';

export interface Device {
  kind: DeviceKind;
  /** Recovers from page faults (ODP-capable RDMA NIC) or not (most GPUs). */
  recoverable: boolean;
  /** mirror[proc][vpage] */
  mirror: MirrorEntry[][];
}

export type QueueOwner = 'kernel' | 'user';

export type JobState =
  | 'free' // slot unused
  | 'submitted' // the driver is preparing it (kernel queues only)
  | 'ready' // handed to the hardware
  | 'faulting' // the device took a recoverable page fault and stalls
  | 'running' // DMA translated and in flight
  | 'landed' // DMA landed; waiting for completion
  | 'failed'; // completed with an error (fault, revoked translation); fence signals with an error

/** A job on a queue: one DMA to one (process, virtual page), and the fence that signals when it completes. */
export interface Job {
  state: JobState;
  proc: number;
  vpage: number;
  write: boolean;
  /** The value a write carries. */
  value: number;
  /** The DMA's translation, taken at dma_start. */
  frame: number;
  gen: number;
  epoch: number;
  /** The PTE epoch of the page when the job was submitted: the mapping user space meant. */
  mapEpoch: number;
  /** The translation was a P2P-aware mapping. */
  p2p: boolean;
  /** The device the translation's DMA address was mapped for, and its kind (copied from the mirror at dma_start). */
  dmaDev: number;
  dmaAddr: DmaAddr;
  /**
   * The device that runs the job (DEV or DEV1), in a config with two mirroring devices (Config.mirrors);
   * absent elsewhere: the device under test.
   */
  dev?: number;
  /**
   * A failed job's error (model/job-error.ts), as user space gets it at completion (the errno of its error
   * fence or CQE) and where it came from; all null while the job has not failed (cleared when its slot is
   * reused). Always a record of three leaves, so that the state keeps one shape (model/clone.ts).
   */
  error: JobErrorState;
}

/** A failed job's error as structured state: its errno, the layer that gave it, and why. */
export interface JobError {
  errno: Errno;
  from: ErrorSource;
  cause: JobErrorCause;
}

/** Job.error: a JobError, or every field null (no error). */
export type JobErrorState = { [K in keyof JobError]: JobError[K] | null };

/** A registration: RDMA MR (ODP or pinned), GPU userptr, an SVM range: covers a process's address space. */
export interface Registration {
  live: boolean;
  proc: number;
  /** Being torn down: deregistration asked, the driver has not finished. */
  closing: boolean;
  /** Being set up: the driver has not finished registering (e.g. faulting the range in); no job yet. */
  opening: boolean;
  /** The PTE epoch of each page when it was registered (-1: not mapped then): the mappings it covers. */
  epochs: number[];
  /**
   * The MR's memory key, where the driver has one the kernel looks up and counts (mlx5's ODP MRs,
   * model/mkey.ts). Absent: the registration has no such key (every other design).
   */
  mkey?: MemoryKey;
}

/**
 * struct mlx5_ib_mkey of an ODP MR, with the lifetime drivers/infiniband/hw/mlx5 gives it: stored in
 * dev->odp_mkeys at registration (mlx5r_store_odp_mkey: usecount 1, the xarray's reference); a device page
 * fault's handler looks it up under the xarray lock and takes a reference for the whole fault
 * (pagefault_single_data_segment: xa_load, refcount_inc(&mmkey->usecount)) and drops it when the fault
 * ends (mlx5r_deref_odp_mkey); deregistration erases it (xa_erase: later faults find nothing), drops the
 * xarray's reference and sleeps until the usecount is 0 (mlx5r_deref_wait_odp_mkey), and only then frees
 * the MR (destroy_mkey, ib_umem_odp_release, kfree).
 */
export interface MemoryKey {
  /** In dev->odp_mkeys: a page fault's xa_load finds it. */
  stored: boolean;
  /** mmkey->usecount: 1 while stored (the xarray's reference), plus one per page-fault handler holding it. */
  usecount: number;
  /**
   * The MR (the mlx5_ib_mr that embeds the mkey, and its umem_odp) was freed. While a handler still holds
   * the key (usecount above 0) its next step dereferences freed memory (no-kernel-use-after-free).
   */
  freed: boolean;
}

export type ForkPinnedPolicy = 'copy-at-fork' | 'cow-parent';

export interface KernelPolicy {
  /** How fork treats pinned anonymous pages: today's early copy (70e806e4e645) or the 2020-21 behaviour. */
  forkPinned: ForkPinnedPolicy;
  /** Migration of a pinned page fails (true today) or proceeds (leaving the pinner on the old frame). */
  migrateFailsPinned: boolean;
  /** Reclaim skips pinned pages (true today). */
  reclaimSkipsPinned: boolean;
  /**
   * A core-mm bug (kernel variant `reclaim-without-notifier`): reclaim unmaps a page without
   * mmu_notifier_invalidate_range_start/end around the PTE change, so no notifier user hears of it.
   */
  reclaimWithoutNotifier?: boolean;
  /**
   * A core-mm bug (kernel variant `refused-start-not-undone`): when a callback refuses a non-blockable
   * invalidate_range_start, mn_itree_invalidate returns -EAGAIN without mn_itree_inv_end, so the range
   * stays counted active and the seq odd.
   */
  refusedStartNotUndone?: boolean;
  /**
   * A core-mm bug (kernel variant `insert-not-covered`): a notifier inserted while an invalidation of the
   * mm is active gets the seq of an idle mm (invalidate_seq - 1), so mmu_interval_read_begin does not wait
   * for the invalidation that may cover it.
   */
  insertNotCovered?: boolean;
  /**
   * A core-mm bug (kernel variant `gup-fast-no-seq-check`): gup_fast neither reads mm->write_protect_seq
   * before its lockless walk nor re-checks it after (the kernel before 57efa1fe5957), so a FOLL_PIN can
   * land between fork's check for pinned pages and its write-protect of the parent's PTE.
   */
  /**
   * A core-mm bug (kernel variant `migrate-notifies-one-mm`): the migration of a page two processes map
   * calls the notifiers of the first mm only, not of every mapping the rmap walk unmaps.
   */
  migrateNotifiesOneMm?: boolean;
  gupFastNoSeqCheck?: boolean;
  /**
   * A queue preemption may time out (amdkfd: unmap_queues_cpsch waits queue_preemption_timeout_ms for the
   * HWS, then kfd_hws_hang schedules a GPU reset): the hardware may fail to preempt a queue that does not
   * yield. Absent or false: preemption always completes once the DMA in flight landed.
   */
  preemptTimeout?: boolean;
  /**
   * Which pages a FOLL_LONGTERM pin migrates out first (check_and_migrate_movable_pages,
   * folio_is_longterm_pinnable): ZONE_MOVABLE and CMA pages (absent: today's, since d1e153fea2a8), or
   * CMA pages only (kernel variant `longterm-pin-in-movable`: 9a4e9f3b2d73 to v5.12).
   */
  longtermMigrate?: 'movable-and-cma' | 'cma-only';
}

export interface Scope {
  procs: number;
  vpages: number;
  frames: number;
  jobs: number;
  invalidations: number;
  /** VRAM frames of the peer device (after the system frames); none when absent. */
  vram?: number;
  /**
   * Interval notifiers per process (model/subscriptions.ts): the device under test's driver's, and a
   * second mm user's when 2. Absent: 1.
   */
  notifiers?: number;
}

/**
 * A PCIe topology (model/p2p.ts decides from it as pci_p2pdma_distance does). Simplified tree: host bridge,
 * root ports, at most one switch below a root port, devices below a switch or a root port.
 */
export interface PciTopology {
  name: string;
  /**
   * Per switch: its root port, whether its downstream ports redirect P2P requests upstream (ACS), and the
   * switch it hangs below (`parent`, a nested switch; absent or NONE: directly below its root port).
   */
  switches: { rootPort: number; acsRedirect: boolean; parent?: number }[];
  /** Per device id (DEV, PEER, THIRD): its root port and its switch (NONE: directly below the root port). */
  devices: { rootPort: number; switch: number }[];
  /** The host bridge is known to forward P2P between root ports (the p2pdma whitelist). */
  hostBridgeForwards: boolean;
  /**
   * Internal interconnects beside PCIe (xGMI, NVLink): pairs of device ids that reach each other's memory
   * over their own link, which the PCI P2P layer knows nothing of (seed 001, 1a).
   */
  links?: [number, number][];
}

export interface Config {
  name: string;
  queue: QueueOwner;
  kernel: KernelPolicy;
  scope: Scope;
  /**
   * The progress oracle's bound in steps. Infinity (every shipped config): the oracle searches the whole
   * part of the state space that the actors it allows can reach (finite: model/canonical.ts), so its
   * answer does not depend on the scope.
   */
  oracleBound: number;
  /** The scope `dmacheck prove` exhausts for this config (the keys it changes from `scope`). */
  proofScope: Partial<Scope>;
  /** The PCIe topology between the device and its peer (configs with a peer only). */
  topology?: PciTopology;
  /**
   * Processes exit (model/exit.ts): a process may call exit (or take a SIGKILL it can no longer refuse),
   * and an OOM victim exits after the reaper's pass; exit_mmap then releases the notifiers and unmaps
   * everything. Absent or false: no process ever exits (an OOM victim stays, reaped, as a zombie mm).
   */
  exit?: boolean;
  /** Mask of process 0's pages that map a DAX file instead of anonymous memory. */
  dax?: number;
  /** Mask of process 0's pages that map MAP_SHARED | MAP_ANONYMOUS memory (Pte.shared) instead of private. */
  shared?: number;
  /**
   * The core mm migrates a page two processes map (model/migrate-shared.ts: try_to_migrate's rmap walk,
   * one invalidation per mapping mm). The kernel always may; a config field so that the configs whose
   * proofs it would multiply leave it out.
   */
  migrateShared?: boolean;
  /**
   * Mask of the virtual pages user space may mprotect (model/mprotect.ts), in every process. Absent: no
   * mprotect (every VMA stays PROT_READ | PROT_WRITE), so the configs without it keep their state spaces.
   */
  mprotect?: number;
  /**
   * Zones (model/zones.ts): the first `movable` system frames are ZONE_MOVABLE, the `cma` after them a CMA
   * area, the rest ZONE_NORMAL. Absent: every frame in ZONE_NORMAL.
   */
  movable?: number;
  cma?: number;
  /**
   * Mirroring devices that run jobs: 2 gives a second one (State.dev1, device DEV1), each with its own
   * mirror, its own interval notifier per process (the subscription slot p + procs: the scope's
   * `notifiers` must be 2), its own driver lock and its own device-private memory (the second half of the
   * scope's VRAM). Only strategies that list the config drive it. Absent: one device (State.dev).
   */
  mirrors?: number;
  /**
   * The shared zero page (model/zero-page.ts): anonymous private memory is mapped without MAP_POPULATE, so
   * a page starts untouched (pte_none); a read fault maps the zero page read-only (do_anonymous_page without
   * FAULT_FLAG_WRITE: my_zero_pfn, pte_mkspecial) and a write, or a write fault on the zero page
   * (wp_page_copy), allocates a fresh zeroed page. The zero page is a frame slot of its own after the
   * others (State.zeroPfn), never allocated, never freed. Absent: every anonymous page is populated when
   * mapped, so the other configs keep their state spaces.
   */
  zeroPage?: boolean;
  /**
   * A kernel variant (model/configs.ts kernelVariants): config `base` with a core-mm change from the
   * kernel's history, held to the verdicts that the correct designs of `base` hold, as a mutant is.
   */
  variant?: KernelVariant;
}

export interface KernelVariant {
  base: string;
  /** The kernel behaviour or commit it stands for. */
  stands: string;
}

/** The peer device: a GPU whose VRAM frames are the frames of kind device-private or p2p it owns. */
export interface PeerDevice {
  kind: DeviceKind;
  present: boolean;
}

/**
 * A process's user-mode queues as the hardware runs them: running; a preemption requested (the queue still
 * runs until the hardware acknowledges it); preempted (the hardware runs none of its jobs).
 */
export type QueueState = 'running' | 'preempt-requested' | 'preempted';

/**
 * The world's state. `D` is the type of the driver's private state: a strategy sees `State<ItsDriver>`
 * (model/strategy.ts); the world, the properties and the explorers see `State`, where it is opaque.
 */
export interface State<D = unknown> {
  frames: Frame[];
  mms: Mm[];
  subs: Subscription[];
  invs: Invalidation[];
  dev: Device;
  /** The second mirroring device (DEV1), in a config with two (Config.mirrors); absent elsewhere. */
  dev1?: Device;
  /**
   * The frame slot of the shared zero page (ZERO_PAGE(0), my_zero_pfn), in a config with Config.zeroPage:
   * PTEs map it read-only without taking a reference or a mapcount (pte_special, vm_normal_page returns
   * NULL); absent elsewhere.
   */
  zeroPfn?: number;
  /** The second device (the GPU / exporter that owns VRAM); its moves are its driver's kernel actions. */
  peer: PeerDevice;
  jobs: Job[];
  /** queues[proc]: the state of the process's queues on the device (preempted by drivers that evict). */
  queues: { state: QueueState }[];
  regs: Registration[];
  /** The value the next write stores: one more than any written before, so every write is told apart (the finite model renumbers values). */
  nextValue: number;
  /** Whether a fork has happened (the scope allows one). */
  forks: number;
  /** The fork in progress, copying page by page (model/fork.ts). */
  fork: ForkCopy;
  /** The driver's private state: plain data owned by the strategy (properties never read it). */
  drv: D;
}

/** The shape a strategy's private state takes: plain data (numbers, booleans, arrays, small records). */
export type DriverState = { [key: string]: number | boolean | number[] | number[][] | DriverRecord[] };
export type DriverRecord = { [key: string]: number | boolean };

export type Actor = 'kernel' | 'hardware' | 'user';

/** An action as data: a kind and up to two small integer arguments (NONE when unused). */
export interface Action {
  k: string;
  a: number;
  b: number;
}
