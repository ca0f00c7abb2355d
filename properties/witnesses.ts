// `sometimes` properties: each proves that an explorer reaches an interesting state at all, so that a
// suite that never reaches it fails instead of passing vacuously. `check` returns a witness (non-null)
// at the step that reaches it. The first group are premises: each verdict property names one
// (`premise`), and a cell whose premise was never reached is `n/a`, not `holds`.
import type { Property, View, Violation } from './types.ts';
import type { ModelEvent } from '../model/events.ts';

/** The invalidation causes that move a page where it could have stayed (migratable judges each). */
const MIGRATIONS: ReadonlySet<string> = new Set(['migrate', 'dax-move', 'peer-move', 'device-migrate']);
import { DEV, NONE, VM_RW } from '../model/types.ts';
import { kernelTaskWaits } from './hung-task.ts';

function sometimes(id: string, meaning: string, hit: (e: ModelEvent, view: View) => boolean): Property<null> {
  return {
    id,
    kind: 'sometimes',
    meaning,
    init: () => null,
    check(_m, { events, view }): Violation | null {
      const e = events.find((x) => hit(x, view));
      return e ? { property: id, clause: 'reached', message: meaning, values: { event: e.t } } : null;
    },
  };
}

/** Invalidation causes that move a page's contents elsewhere (not munmap, fork or the OOM reaper). */
const MOVES: ReadonlySet<string> = new Set(['migrate', 'reclaim', 'cow', 'dax-move', 'peer-move', 'device-migrate']);

/** Anything the device holds for some process: a live registration or a job. */
function holding(view: View): boolean {
  return view.regs.some((r) => r.live) || view.jobs.some((j) => j.state !== 'free');
}

/**
 * Every registration and job is gone after one was there: the state in which a leaked pin or frame
 * shows (pins-balanced's leak clauses). Its memory says whether something was held at an earlier step.
 */
const allReleased: Property<{ held: boolean }> = {
  id: 'sometimes-all-released',
  kind: 'sometimes',
  meaning: 'every registration and job is gone after one was made (unpin_user_pages, dereg, fence signalled)',
  init: (view) => ({ held: holding(view) }),
  byJob: [],
  byInv: [],
  check(m, { view }): Violation | null {
    const now = holding(view);
    if (m.held && !now) return { property: this.id, clause: 'reached', message: this.meaning, values: {} };
    m.held = m.held || now;
    return null;
  },
};

/** The premises: what must have happened for a verdict property's `holds` to mean anything. */
export const premises: readonly Property<any>[] = [
  // mmu_notifier_invalidate_range_start over a page the device translates or pins, or
  // dma_buf_move_notify: the moment after which the device must stop using the old pages.
  sometimes('sometimes-device-memory-invalidated', 'memory the device translates or pins is invalidated (moved, freed, unmapped), or an exporter announces a move of a buffer the device maps (dma_buf_move_notify)',
    (e) => (e.t === 'invalidate_start' && e.deviceHolds) || e.t === 'move_notify'),
  // The fork/COW hazard: copy_page_range write-protects the range, do_wp_page copies a shared page.
  sometimes('sometimes-fork-cow-device-memory', 'a process forks, or breaks copy-on-write, while the device translates or pins the pages concerned',
    (e) => e.t === 'invalidate_start' && (e.cause === 'fork' || e.cause === 'cow') && e.deviceHolds),
  sometimes('sometimes-unrecoverable-dma', 'a device that cannot recover from page faults touches memory for a job (a DMA, or a fault it cannot recover from)',
    (e) => (e.t === 'dma_start' && !e.recoverable) || (e.t === 'device_fault' && e.fatal)),
  allReleased,
  // mn_itree_invalidate: the interval notifier calls a driver's invalidate callback.
  sometimes('sometimes-callback-called', 'an invalidation calls a driver\'s invalidate callback (a live mmu_interval_notifier covers its range)', (e) => e.t === 'invalidate_start' && e.callbacks > 0),
  sometimes('sometimes-kernel-waits', 'a kernel path begins that must not wait on user space: an invalidation calls a driver\'s callback, or an exporter begins a buffer move (dma_buf_move_notify)', (e) => (e.t === 'invalidate_start' && e.callbacks > 0) || e.t === 'move_notify'),
  // __oom_reap_task_mm: mmu_notifier_invalidate_range_start_nonblock.
  sometimes('sometimes-nonblocking-callback', 'a non-blockable invalidation (the OOM reaper\'s) calls a driver\'s invalidate callback',
    (e, v) => e.t === 'invalidate_start' && e.callbacks > 0 && !v.invs[e.inv]!.blockable),
  // migrate_pages on a page the device holds, with no DMA in flight: it starts, or fails for the extra
  // references (folio_migrate_mapping's refcount check).
  // Every move migratable judges: core-mm migration, a DAX block move, the peer's VRAM move, a device
  // migration, an exporter's DMA-BUF move, begun or refused.
  sometimes('sometimes-held-page-migration', 'a move of a page the device translates or pins (a migration, a DAX block, VRAM, a device migration, a DMA-BUF move) is attempted with no DMA to it in flight',
    (e, v) =>
      (e.t === 'invalidate_start' && MIGRATIONS.has(e.cause) && e.deviceHolds && !e.dmaInFlight) ||
      (e.t === 'move_notify' && !e.dmaInFlight) ||
      ((e.t === 'migrate_refused' || e.t === 'move_refused') && !v.jobs.some((j) => j.state === 'running' && j.proc === e.proc && j.vpage === e.vpage))),
  // offline_pages / cma_alloc trying to move a page the device holds out of its range, or a FOLL_LONGTERM
  // pin meeting a page there (check_and_migrate_movable_pages): what movable-offlinable judges.
  sometimes('sometimes-device-page-in-movable', 'offlining ZONE_MOVABLE (or a CMA allocation) tries to move a page the device translates or pins, or a long-term pin meets a page in ZONE_MOVABLE or CMA',
    (e) => (e.t === 'offline_migrate' && e.deviceHolds && !e.dmaInFlight) || e.t === 'longterm_migrate'),
  sometimes('sometimes-device-memory-moved', 'memory the device translates or pins moves (migration, reclaim, COW break, DAX move, the peer\'s VRAM move, device migration, a DMA-BUF move)',
    (e) => (e.t === 'invalidate_start' && MOVES.has(e.cause) && e.deviceHolds) || e.t === 'move_notify'),
  sometimes('sometimes-oom-reap-device-memory', 'the OOM reaper begins a pass over a victim\'s memory that the device translates or pins', (e) => e.t === 'invalidate_start' && e.cause === 'oom' && e.deviceHolds),
  // A DMA into memory another device owns or exports (its VRAM, or a system-RAM placement of its
  // buffer), or a device fault on another device's DEVICE_PRIVATE page: the P2P question was asked.
  sometimes('sometimes-peer-memory-accessed', 'a device reaches memory another device owns or exports: a DMA into it (wherever the exporter placed it), or a fault on its DEVICE_PRIVATE page',
    (e, v) => (e.t === 'dma_land' && v.frames[e.frame]!.owner !== NONE && v.frames[e.frame]!.owner !== (e.dev ?? DEV)) || e.t === 'private_fault'),
  // kgd2kfd_quiesce_mm for one process while another has work on the GPU: what a GPU reset would lose.
  sometimes('sometimes-eviction-beside-other-work', 'an invalidate callback waits for a process\'s queues to be preempted while another process has work queued on the device',
    (e, v) => e.t === 'callback_wait_eviction' && v.jobs.some((j) => j.state !== 'free' && j.proc !== e.proc)),
  // A scatterlist with a P2P entry reaches a consumer (model/sgl.ts): the question seed 004 asks of it.
  sometimes('sometimes-peer-memory-sgl', 'a scatterlist with an entry for P2P memory (a P2PDMA page, or a bus address with no page) is handed to a consumer', (e) => e.t === 'sgl_handoff' && e.p2p),
  // no-hung-task's premise: a kernel task waits for another path (properties/hung-task.ts).
  kernelTaskWaits,
  // mmu_interval_notifier_remove, then the driver's kfree: the end of a kernel object's lifetime.
  sometimes('sometimes-notifier-freed', 'a driver removes its interval notifier (mmu_interval_notifier_remove) and frees it', (e) => e.t === 'notifier_free'),
  // no-kernel-use-after-free's premise: the end of the lifetime of any kernel object the model gives one.
  sometimes('sometimes-kernel-object-freed', 'a driver frees a kernel object with a lifetime: its interval notifier (after mmu_interval_notifier_remove), or an MR with its memory key',
    (e) => e.t === 'notifier_free' || e.t === 'mr_free'),
];

export const witnesses: readonly Property<any>[] = [
  sometimes('sometimes-dma-landed', 'a DMA lands', (e) => e.t === 'dma_land'),
  sometimes('sometimes-invalidate-during-dma', 'an invalidation begins while a DMA to its range is in flight', (e) => e.t === 'invalidate_start' && e.dmaInFlight),
  sometimes('sometimes-migrated', 'a page migrates', (e) => e.t === 'invalidate_end' && e.cause === 'migrate' && e.changed),
  sometimes('sometimes-dax-moved', 'a DAX filesystem moves a file block under a mapping', (e) => e.t === 'invalidate_end' && e.cause === 'dax-move' && e.changed),
  sometimes('sometimes-fault-retried', 'a fault is retried because its seq moved (read_retry)', (e) => e.t === 'read_retry' && e.retry),
  sometimes('sometimes-fork-while-pinned', 'a process forks while some of its pages are pinned', (e) => e.t === 'fork' && e.pinnedPages > 0),
  sometimes('sometimes-callback-waits-on-fence', 'an invalidate callback waits on a job\'s fence', (e) => e.t === 'callback_wait_fence'),
  sometimes('sometimes-munmap-while-registered', 'a page is unmapped while the device holds a translation for it', (e) => e.t === 'invalidate_start' && e.cause === 'munmap' && e.deviceHolds),
  sometimes('sometimes-oom-reaped', 'the OOM reaper unmaps a victim\'s memory', (e) => e.t === 'invalidate_end' && e.cause === 'oom'),
  // change_protection's MMU_NOTIFY_PROTECTION_VMA taking a permission away (mprotect to PROT_READ or
  // PROT_NONE) from a page the device may use: it translates or pins it, or the process has a
  // registration or a job on it (the next fault must see the new protection): respects-protection's premise.
  sometimes('sometimes-protection-downgraded', 'mprotect takes a permission away (PROT_READ, PROT_NONE) from a page the device translates, pins, or may fault in (a registration or a job of the process)',
    (e, v) => e.t === 'invalidate_start' && e.cause === 'mprotect' && v.mms[e.proc]!.ptes.some((pte, w) => (e.pages >> w) & 1 && pte.prot !== VM_RW) &&
      (e.deviceHolds || v.regs[e.proc]!.live || v.jobs.some((j) => j.state !== 'free' && j.proc === e.proc && (e.pages >> j.vpage) & 1))),
  sometimes('sometimes-callback-refused', 'a callback refuses a non-blockable invalidation (-EAGAIN)', (e) => e.t === 'callback_refuse'),
  sometimes('sometimes-queues-preempted', 'the hardware preempts a process\'s queues', (e) => e.t === 'queues_preempted'),
  sometimes('sometimes-queues-restored', 'a process\'s queues are resumed after an eviction', (e) => e.t === 'queues_resumed'),
  sometimes('sometimes-p2p-dma', 'a DMA lands in another device\'s memory over P2P', (e) => e.t === 'dma_land' && e.p2p === true),
  sometimes('sometimes-mr-revoked', 'an MR is revoked because the memory under it moved or was freed', (e) => e.t === 'mr_revoked'),
  // mlx5_ib_dereg_mr's xa_erase while a page-fault handler holds the key: the race whose wait
  // (mlx5r_deref_wait_odp_mkey) no-kernel-use-after-free judges.
  sometimes('sometimes-dereg-during-fault', 'an MR\'s memory key is revoked (deregistration) while a page-fault handler holds it', (e) => e.t === 'mkey' && e.op === 'erase' && e.usecount > 0),
  sometimes('sometimes-move-notify', 'an exporter notifies the importers that a buffer moves (dma_buf_move_notify)', (e) => e.t === 'move_notify'),
  sometimes('sometimes-provider-revoked-in-use', 'a P2P provider begins to revoke its BAR memory (driver unbind, reset) while a device uses it', (e) => e.t === 'provider_revoke' && e.phase === 'begin' && e.inUse),
  sometimes('sometimes-provider-released', 'a P2P provider\'s BAR memory is released after a revoke', (e) => e.t === 'provider_revoke' && e.phase === 'released'),
  sometimes('sometimes-private-faulted-by-peer', 'a device faults on another device\'s DEVICE_PRIVATE page', (e) => e.t === 'private_fault'),
  // remove_device_exclusive_entry: MMU_NOTIFY_EXCLUSIVE with no owner, over a page a device maps.
  sometimes('sometimes-exclusive-revoked', 'a CPU access takes back a page a device holds with a device-exclusive entry (remove_device_exclusive_entry)',
    (e, v) => e.t === 'invalidate_start' && e.cause === 'exclusive' && e.owner === NONE && v.mms[e.proc]!.ptes.some((pte, w) => (e.pages >> w) & 1 && pte.exclusive !== NONE)),
  ...premises,
];

export function witnessById(id: string): Property<any> | undefined {
  return witnesses.find((w) => w.id === id);
}
