// The control run of each mutant: the correct design on the mutant's scenario must not break the
// property that killed the mutant, so that the kill is the mutant's bug and not the scenario's.
//
// 'same': the mutant's own trace runs to its end on the correct design (every action enabled there).
// Otherwise the mutant takes a step the correct design does not take where it stands (it skips a wait,
// or does what the design refuses), and the trace stops replaying at that step (`blocked`). The control
// is then a trace of the correct design that reaches the same point with the design's step in place:
// - `trace` starts with the mutant trace up to `blocked`, and runs to its end on the design without
//   breaking `property`, in `config` (the kill's);
// - without `refuses`, it takes the step where the mutant broke the property (the mutant trace's last
//   action) after the design's wait;
// - with `refuses`, the design never takes the mutant's step there: at the end of `trace` each action of
//   `refuses` (which includes the blocked step) is not enabled.
import type { Action } from '../model/types.ts';
import { act, forkCopy } from './helpers.ts';

export interface ControlTrace {
  config: string;
  property: string;
  trace: Action[];
  refuses?: Action[];
  /** What the correct design does instead of the mutant's step, and the kernel function it models. */
  why: string;
}

export type Control = 'same' | ControlTrace;

export const controls: Record<string, Control> = {
  'odp-mirror/no-read-retry': 'same',
  'odp-mirror/retry-outside-lock': {
    config: 'kernel-queue',
    property: 'coherent-dma',
    why: 'mmu_interval_read_retry is checked under the driver lock in fault_commit: the reclaim invalidation that ran since read_begin set the seq (mmu_interval_set_seq under umem_mutex), so the commit retries instead of mapping the old frame',
    trace: [
      act('register', 0), act('submit', 0, 1), act('dma_start', 0), act('reclaim', 0, 1), act('read_begin', 0), act('range_fault', 0),
      act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('fault_commit', 0),
    ],
  },
  'odp-mirror/zap-without-wait': {
    config: 'kernel-queue',
    property: 'no-dma-after-free',
    why: 'the callback returns only after the in-flight DMA landed (inv_sync: the fenced UMR, mlx5_ib_invalidate_range), so invalidate_range_end, and the free, come after dma_land',
    trace: [
      act('reclaim', 0, 0), act('invalidate_end', 0), act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0), act('register', 1),
      act('submit', 1, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('migrate', 1, 0), act('fault_commit', 0), act('inv_lock', 0), act('dma_start', 0),
      act('inv_zap', 0), act('dma_land', 0), act('inv_sync', 0), act('invalidate_end', 0),
    ],
  },
  'odp-mirror/refuse-with-lock-held': 'same',
  'odp-mirror/skip-protection-change': 'same',
  'odp-mirror/ignore-release': 'same',
  'odp-mirror/free-before-remove-returns': {
    config: 'kernel-queue',
    property: 'no-kernel-use-after-free',
    why: 'the design deregisters only once no invalidation of the mm is in progress (mmu_interval_notifier_remove sleeps on subscriptions->wq until mn_itree_inv_end): the fork\'s invalidation ends, then the MR and its notifier are freed',
    trace: [act('fork', 0), act('register', 0), act('deregister', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0), act('dereg_finish', 0)],
  },
  'odp-mirror/dereg-without-deref-wait': {
    config: 'kernel-queue',
    property: 'no-kernel-use-after-free',
    why: 'the deregistration erases the mkey, then sleeps in mlx5r_deref_wait_odp_mkey until the page-fault handler that holds it drops it (it programs the translation and resumes the QP): only then is the MR freed',
    trace: [act('register', 0), act('submit_write', 0, 0), act('dma_start', 0), act('deregister', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dereg_finish', 0)],
  },
  'pin-longterm/unpin-before-dma-lands': {
    config: 'kernel-queue',
    property: 'no-dma-after-free',
    why: 'deregistration leaves the pages pinned until the queue pair drained (dereg_finish after the DMA lands): the migration of the child\'s registered page is refused (folio_migrate_mapping sees the pin), and the DMA lands in the frame it was translated for',
    trace: [
      act('register', 0), act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0), act('register', 1), act('submit', 1, 0),
      act('dma_start', 0), act('deregister', 1), act('migrate', 1, 0), act('dma_land', 0),
    ],
  },
  'pin-longterm/put-page-not-unpin': 'same',
  'pin-longterm/get-user-pages': {
    config: 'kernel-queue',
    property: 'no-lost-write',
    why: 'reclaim skips a pinned anonymous page (folio_maybe_dma_pinned; gup_fast pinned it in the register ioctl): the device\'s write lands in the page the process maps, and the CPU reads it after the deregistration unpinned it',
    trace: [
      act('register', 0), act('gup_fast_recheck', 0), act('submit_write', 0, 1), act('dma_start', 0), act('dma_land', 0), act('job_complete', 0),
      act('deregister', 0), act('dereg_finish', 0), act('cpu_read', 0, 1),
    ],
  },
  'mirror-blocking-notifier/unmap-without-wait': {
    config: 'kernel-queue',
    property: 'no-fatal-device-fault',
    why: 'the callback waits for the fences of the jobs on the range before it unmaps the GPU page table (amdgpu_hmm_invalidate_gfx: dma_resv_wait_timeout), so the job runs through the mapping it was given',
    trace: [
      act('register', 0), act('submit_write', 0, 1), act('read_begin', 0), act('range_fault', 0), act('migrate', 0, 1), act('fault_commit', 0), act('cb_begin', 0),
      act('dma_start', 0), act('dma_land', 0),
    ],
    refuses: [act('cb_unmap', 0)],
  },
  'mirror-blocking-notifier/wait-only-running': {
    config: 'kernel-queue',
    property: 'no-fatal-device-fault',
    why: 'the callback waits for every submission, queued ones too (amdgpu_hmm_invalidate_gfx waits on the VM root\'s resv, DMA_RESV_USAGE_BOOKKEEP: "wait for all submissions ..., not just the one the userptr was involved into"), before it unmaps',
    trace: [
      act('register', 0), act('submit_write', 0, 0), act('migrate', 0, 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0),
      act('cb_begin', 0), act('dma_start', 0), act('dma_land', 0), act('job_complete', 0), act('cb_unmap', 0),
    ],
  },
  'mirror-blocking-notifier/no-read-retry': 'same',
  // The design pins with FOLL_WRITE: the untouched page is faulted in writable (do_anonymous_page with
  // FAULT_FLAG_WRITE), so the device's write DMA runs through a writable translation.
  'pin-longterm/ro-pin-zero-page': 'same',
  'pin-longterm/pin-without-longterm': {
    config: 'zone-movable',
    property: 'movable-offlinable',
    why: 'FOLL_LONGTERM migrates the pages out of ZONE_MOVABLE and CMA before pinning them (check_and_migrate_movable_pages): once the registration is pinned, nothing of it is left for offline_pages or cma_alloc to move',
    trace: [act('register', 0), act('invalidate_end', 0), act('longterm_pin', 0)],
    refuses: [act('offline_migrate', 0, 0), act('offline_migrate', 0, 1)],
  },
  'pin-per-job/unpin-at-handoff': 'same',
  'pin-per-job/pin-after-handoff': {
    config: 'kernel-queue',
    property: 'no-dma-after-free',
    why: 'the page is pinned (gup_fast) before the GPU page table is programmed and the job handed to the hardware, so reclaim passes over it (folio_maybe_dma_pinned) and the migration is refused (folio_migrate_mapping sees the extra reference): the DMA lands in the frame it was translated for',
    trace: [act('submit', 0, 1), act('gup_fast', 0), act('pin_job', 0), act('dma_start', 0), act('migrate', 0, 1), act('dma_land', 0)],
  },
  'pin-per-job/gup-fast-without-seq-retry': {
    config: 'kernel-queue',
    property: 'no-lost-write',
    why: 'fork write-protects each page as it copies it (copy_present_pte under mm->write_protect_seq, one step), and gup_fast gives up while the seq is odd; the slow path waits for the mmap lock, and after the fork FOLL_PIN unshares the copy-on-write page (a write fault of its own) before it pins, so the GPU writes the parent\'s own page and the child reads what it had',
    trace: [
      act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('submit_write', 0, 1), act('invalidate_end', 0), act('pin_job', 0),
      act('invalidate_end', 0), act('gup_fast', 0), act('dma_start', 0), act('dma_land', 0), act('cpu_read', 1, 1),
    ],
  },
  'pin-per-job/pin-without-unshare': {
    config: 'kernel-queue',
    property: 'no-lost-write',
    why: 'the pin first unshares the copy-on-write page (FOLL_PIN on an anonymous page breaks COW, gup_must_unshare): its invalidation ends, the page is the child\'s own, and the DMA writes the child\'s frame, not the one the parent still maps',
    trace: [
      act('fork', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0), act('submit_write', 1, 0), act('pin_job', 0),
      act('invalidate_end', 0), act('gup_fast', 0), act('dma_start', 0), act('dma_land', 0), act('cpu_read', 0, 0),
    ],
  },

  'queue-preempt/resume-before-revalidate': {
    config: 'user-queue',
    property: 'no-fatal-device-fault',
    why: 'the restore worker resumes the queues only once the revalidation (hmm_range_fault with the seq retry) has no fault left in flight (svm_range_restore_work before kgd2kfd_resume_mm): the job waits',
    trace: [act('fork', 0), ...forkCopy(0, '11'), act('invalidate_end', 0), act('register', 0), act('submit', 0, 0), act('restore_begin', 0)],
    refuses: [act('restore_resume', 0), act('dma_start', 0)],
  },
  'queue-preempt/zap-before-preempted': 'same',
  'queue-preempt/signal-before-preempted': {
    config: 'user-queue',
    property: 'no-fatal-device-fault',
    why: 'the eviction fence signals only after the hardware preempted the queues (evict_process_worker: kfd_process_evict_queues, then signal_eviction_fence): while the preemption is only requested, there is nothing to signal',
    trace: [act('register', 0), act('munmap', 0, 1), act('submit', 0, 1), act('qp_evict', 0)],
    refuses: [act('evict_signal', 0)],
  },
  'queue-preempt/alloc-in-fence-signalling': 'same',
  'queue-preempt/block-in-nonblocking': 'same',
  // The correct worker requeues itself after a stale revalidation (restore_begin is enabled again): the
  // same trace leaves a restore that kernel steps finish.
  'queue-preempt/restore-not-requeued': 'same',
  'peerdirect-revoke/revoke-after-free': 'same',
  'peerdirect-revoke/revoke-without-drain': {
    config: 'p2p-switch',
    property: 'no-dma-after-free',
    why: 'the callback returns only after the HCA drained its in-flight DMA (pd_drain), so the GPU frees the VRAM after dma_land',
    trace: [
      act('register', 0), act('gpu_free', 0, 1), act('submit', 0, 1), act('dma_start', 0), act('pd_revoke', 0), act('dma_land', 0),
      act('pd_drain', 0), act('invalidate_end', 0),
    ],
  },
  'peerdirect-revoke/no-topology-check': {
    config: 'p2p-none',
    property: 'p2p-topology',
    why: 'the registration asks pci_p2pdma_distance first and is refused where the topology allows no P2P',
    trace: [],
    refuses: [act('register', 0)],
  },
  'peerdirect-revoke/plain-dma-map': 'same',
  'dmabuf-static/no-placement': {
    config: 'p2p-none',
    property: 'p2p-topology',
    why: 'before the pin the exporter moves the buffer to system RAM, which the importer can reach (dma_buf_pin after the placement check); the DMA then lands in RAM',
    trace: [
      act('register', 0), act('submit', 0, 0), act('exp_place', 0, 0), act('exp_move_copy', 0, 0), act('copy_done', 0, 0), act('exp_place', 0, 1),
      act('exp_move_copy', 0, 1), act('copy_done', 0, 1), act('st_map', 0), act('dma_start', 0), act('dma_land', 0),
    ],
  },
  'dmabuf-static/move-pinned': {
    config: 'p2p-switch',
    property: 'coherent-dma',
    why: 'the exporter still tries to move a pinned buffer, and the move is refused (amdgpu_bo_move: "Can\'t move a pinned BO", -EINVAL): no copy starts, the importer\'s mapping stays right',
    trace: [act('register', 0), act('st_map', 0), act('exp_move_notify', 0, 1)],
    refuses: [act('exp_move_copy', 0, 1)],
  },
  'dmabuf-static/unpin-before-dma-lands': {
    config: 'p2p-switch',
    property: 'no-dma-after-free',
    why: 'deregistration unpins only once the DMA in flight drained (dereg_finish: dma_buf_unmap_attachment, dma_buf_unpin after the QP drained), so the exporter\'s move of the still pinned buffer is refused and no copy frees the old placement',
    trace: [act('register', 0), act('st_map', 0), act('submit', 0, 1), act('dma_start', 0), act('deregister', 0), act('exp_move_notify', 0, 1)],
    refuses: [act('exp_move_copy', 0, 1)],
  },
  'dmabuf-static/plain-dma-map': 'same',
  // The correct exporter unlocks the resv at the end of its move (dma_resv_unlock in the move path): the same one-step scenario holds.
  'dmabuf-dynamic/resv-held-after-move': 'same',
  'dmabuf-dynamic/move-before-fences': {
    config: 'p2p-switch',
    property: 'no-dma-after-free',
    why: 'after move_notify the exporter waits for the importer\'s fences (dma_resv_wait_timeout) before the copy frees the old placement: the DMA lands first',
    trace: [
      act('register', 0), act('submit', 0, 1), act('dma_start', 0), act('imp_map', 0), act('dma_start', 0), act('exp_move_notify', 0, 1),
      act('dma_land', 0), act('job_complete', 0), act('exp_move_copy', 0, 1), act('copy_done', 0, 1),
    ],
  },
  'dmabuf-dynamic/remap-before-copy-fence': {
    config: 'p2p-switch',
    property: 'coherent-dma',
    why: 'the importer maps the new placement only after the copy fence signalled (it waits on the resv\'s kernel fences before dma_buf_map_attachment)',
    trace: [
      act('exp_move_notify', 0, 0), act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('exp_move_copy', 0, 0), act('copy_done', 0, 0),
      act('imp_map', 0),
    ],
  },
  'dmabuf-dynamic/map-without-resv-lock': {
    config: 'p2p-switch',
    property: 'coherent-dma',
    why: 'the importer maps under the dma_resv lock, which the exporter holds from move_notify to the end of the move: it maps the new placement, and its DMA lands there',
    trace: [
      act('register', 0), act('submit', 0, 1), act('dma_start', 0), act('exp_move_notify', 0, 1), act('exp_move_copy', 0, 1), act('copy_done', 0, 1),
      act('imp_map', 0), act('dma_start', 0), act('dma_land', 0),
    ],
  },
  'dmabuf-dynamic/no-topology-check': {
    config: 'p2p-none',
    property: 'p2p-topology',
    why: 'without a P2P path (pci_p2pdma_distance fails, attach->peer2peer false) the importer\'s fault has the exporter place the page in system RAM (amdgpu_dma_buf_map: ttm_bo_validate into GTT), and maps that',
    trace: [
      act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('exp_place', 0, 0), act('exp_move_copy', 0, 0), act('copy_done', 0, 0),
      act('imp_map', 0), act('dma_start', 0), act('dma_land', 0),
    ],
  },
  'dmabuf-dynamic/plain-dma-map': 'same',
  'hmm-p2p/no-topology-check': {
    config: 'p2p-none',
    property: 'p2p-topology',
    why: 'hmm_range_fault on another device\'s private page with no P2P path migrates it back to system RAM (the owner\'s migrate_to_ram), and the fault retries: the DMA lands in RAM',
    trace: [
      act('gpu_migrate', 0, 1), act('invalidate_end', 0), act('register', 0), act('mig_copy', 0, 1), act('mig_copy_done', 0, 1), act('mig_pages', 0, 1),
      act('submit_write', 0, 1), act('dma_start', 0), act('mig_finalize', 0, 1), act('read_begin', 0), act('range_fault', 0),
      act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('invalidate_end', 0), act('mig_copy', 0, 1), act('mig_copy_done', 0, 1),
      act('mig_pages', 0, 1), act('mig_finalize', 0, 1), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dma_start', 0),
      act('dma_land', 0),
    ],
  },
  'hmm-p2p/plain-dma-map': 'same',
  'hmm-p2p/finalize-before-copy': {
    config: 'p2p-switch',
    property: 'no-lost-write',
    why: 'migrate_vma_pages and migrate_vma_finalize come after the copy completed (mig_copy_done), both ways: the CPU reads what it wrote',
    trace: [
      act('cpu_write', 0, 0), act('gpu_migrate', 0, 0), act('invalidate_end', 0), act('mig_copy', 0, 0), act('mig_copy_done', 0, 0), act('mig_pages', 0, 0),
      act('mig_finalize', 0, 0), act('cpu_fault_private', 0, 0), act('invalidate_end', 0), act('mig_copy', 0, 0), act('mig_copy_done', 0, 0),
      act('mig_pages', 0, 0), act('mig_finalize', 0, 0), act('cpu_read', 0, 0),
    ],
  },
  'hmm-p2p/skip-foreign-migrate': 'same',
  'p2p-gup/plain-dma-map': 'same',
  // The correct design unpins at completion (bio_release_pages in the end_io path): the revoke's unmap
  // leaves the pinned BAR page alive, and the DMA lands in it.
  'p2p-gup/unpin-before-dma-lands': 'same',
  'p2p-gup/map-for-other-client': 'same',
  'p2p-gup/rxe-consumer': 'same',
  'p2p-vma-map/unmap-without-drain': {
    config: 'p2p-switch',
    property: 'no-dma-after-free',
    why: 'the callback calls p2p_unmap and returns only once the HCA drained the DMA in flight (vm_inv_unmap waits for it), so the unmap of the BAR page, and its free, come after dma_land',
    trace: [
      act('register', 0), act('p2p_unbind'), act('vm_inv_lock', 0), act('submit_write', 0, 1), act('dma_start', 0), act('vm_inv_zap', 0), act('vm_inv_unmap', 0),
      act('invalidate_end', 0), act('read_begin', 0), act('mmap', 0, 1), act('migrate', 0, 1), act('range_fault', 0), act('fault_commit', 0), act('vm_inv_lock', 0),
      act('dma_start', 0), act('vm_inv_zap', 0), act('dma_land', 0), act('vm_inv_unmap', 0), act('invalidate_end', 0),
    ],
  },
  'p2p-vma-map/map-without-retry': 'same',
  // The correct callback revokes the mkey before it kills: the HCA no longer maps the page.
  'peerdirect-kill/kill-without-revoke': 'same',
  'peerdirect-kill/kill-without-drain': {
    config: 'p2p-switch',
    property: 'no-dma-after-free',
    why: 'after the kill the callback still waits until the HCA drained its DMA in flight (pd_drain): a signal stops user space, not the device; the GPU moves the page after dma_land',
    trace: [act('register', 0), act('gpu_move', 0, 0), act('submit_write', 0, 0), act('dma_start', 0), act('pd_kill', 0), act('dma_land', 0), act('pd_drain', 0), act('invalidate_end', 0)],
  },
  'peerdirect-kill/dereg-during-callback': {
    config: 'p2p-switch',
    property: 'no-kernel-use-after-free',
    why: 'ib_dereg_mr waits for the invalidation in progress (its callback returns, the invalidation ends), and only then removes and frees the peer-memory client\'s registration',
    trace: [act('register', 0), act('fork', 0), act('deregister', 0), act('fork_copy_pte', 0, 0), act('fork_copy_pte', 0, 1), act('invalidate_end', 0), act('dereg_finish', 0)],
  },
  'p2p-vma-map/sgl-for-other-device': 'same',
  'p2p-vma-map/sg-page-on-bus-sgl': 'same',
  'dmirror/no-read-retry': 'same',
  'dmirror/no-set-seq': 'same',
  'dmirror/zap-range-off-by-one': 'same',
  'dmirror/map-foreign-private': {
    config: 'two-devices',
    property: 'p2p-topology',
    why: 'hmm_range_fault returns a DEVICE_PRIVATE page only to its owner (hmm_vma_handle_pte compares page_pgmap(page)->owner with range->dev_private_owner): for device 0 it faults, do_swap_page calls device 1\'s migrate_to_ram (dmirror_devmem_fault), the page comes back to system RAM, and device 0 maps and writes that',
    trace: [
      act('register', 0), act('dmirror_migrate1', 0, 1), act('dmirror_invalidate', 0), act('invalidate_end', 0), act('dmirror_migrate_copy', 0, 1),
      act('dmirror_migrate_finalize', 0, 1), act('submit_write', 0, 1), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0),
      act('dmirror_invalidate', 0), act('invalidate_end', 0), act('dmirror_migrate_copy', 0, 1), act('dmirror_migrate_finalize', 0, 1),
      act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dma_start', 0), act('dma_land', 0),
    ],
  },
  'dmirror/exclusive-map-after-unlock': {
    config: 'kernel-queue',
    property: 'coherent-dma',
    why: 'dmirror_exclusive holds the folio lock (and the mmap read lock, for which the locked folio stands in the model) from make_device_exclusive until after dmirror_atomic_map: no munmap, and no CPU access (remove_device_exclusive_entry takes the folio lock), can take the page back before the device has mapped it',
    trace: [act('register', 0), act('dmirror_exclusive', 0, 0), act('dmirror_invalidate', 0), act('invalidate_end', 0)],
    refuses: [act('munmap', 0, 0), act('cpu_fault_exclusive', 0, 0)],
  },
  'dmirror/exclusive-skip-any-owner': {
    config: 'kernel-queue',
    property: 'coherent-dma',
    why: 'dmirror_interval_invalidate skips only MMU_NOTIFY_MIGRATE of its own device: it runs for make_device_exclusive\'s invalidation (before the end converts the PTE) and for the one remove_device_exclusive_entry sends when the fault meets the entry, and erases the atomic mapping there',
    trace: [
      act('register', 0), act('submit', 0, 0), act('dmirror_exclusive', 0, 0), act('dma_start', 0), act('dmirror_invalidate', 0), act('invalidate_end', 0),
      act('read_begin', 0), act('dmirror_atomic_map', 0, 0), act('range_fault', 0), act('dmirror_invalidate', 0), act('invalidate_end', 0),
    ],
  },
};
