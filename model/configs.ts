// Scopes and kernel policies, apart from the model (as TLA+ keeps MC*.cfg apart from the spec).
import type { Config, KernelPolicy, Scope } from './types.ts';
import { topoAcsNoForward, topoHostBridge, topoLink, topoSwitch, topoThree } from './p2p.ts';

export const defaultScope: Scope = { procs: 2, vpages: 2, frames: 5, jobs: 2, invalidations: 2 };

/** With a peer device: three frames of its VRAM besides system RAM. */
export const p2pScope: Scope = { ...defaultScope, vram: 3 };

/** Today's kernel: pinned pages copied for the child at fork (70e806e4e645); migration and reclaim skip pins. */
export const kernelToday: KernelPolicy = { forkPinned: 'copy-at-fork', migrateFailsPinned: true, reclaimSkipsPinned: true };

/** The 2020-21 kernels: the parent copies on its first write after fork, the pinned page stays with the child. */
/** Today's kernel with a queue preemption that may time out (amdkfd's queue_preemption_timeout_ms, then a GPU reset). */
export const kernelPreemptTimeout: KernelPolicy = { forkPinned: 'copy-at-fork', migrateFailsPinned: true, reclaimSkipsPinned: true, preemptTimeout: true };

export const kernel2021: KernelPolicy = { forkPinned: 'cow-parent', migrateFailsPinned: true, reclaimSkipsPinned: true };

/** The smallest scope with every mechanism of one process: one page, two frames (a move needs a second), one job, one invalidation. */
export const smallScope: Partial<Scope> = { procs: 1, vpages: 1, frames: 2, jobs: 1, invalidations: 1 };
/** Fork needs a second process slot; the second frame serves the copy-on-write copy. */
export const forkScope: Partial<Scope> = { procs: 2, vpages: 1, frames: 2, jobs: 1, invalidations: 1 };

/** Liveness is decided by an exhaustive search of what the kernel and the hardware can reach, not a bound. */
const UNBOUNDED = Infinity;

export const configs: readonly Config[] = [
  { name: 'kernel-queue', queue: 'kernel', kernel: kernelToday, scope: defaultScope, oracleBound: UNBOUNDED, proofScope: smallScope },
  { name: 'user-queue', queue: 'user', kernel: kernelToday, scope: defaultScope, oracleBound: UNBOUNDED, proofScope: smallScope },
  { name: 'kernel-queue-fork-2021', queue: 'kernel', kernel: kernel2021, scope: defaultScope, oracleBound: UNBOUNDED, proofScope: forkScope },
  // A peer GPU with VRAM (model/p2p.ts). p2p-switch: NIC and GPU below one switch without ACS redirect,
  // P2P by bus address. p2p-none: the switch redirects P2P upstream (ACS) and the host bridge is not
  // whitelisted, so pci_p2pdma_distance refuses P2P.
  // Process 0's pages map a DAX file (seed 002: the filesystem moves the backing blocks at any time).
  { name: 'dax-file', queue: 'kernel', kernel: kernelToday, scope: defaultScope, oracleBound: UNBOUNDED, dax: 0b11, proofScope: smallScope },
  { name: 'p2p-switch', queue: 'kernel', kernel: kernelToday, scope: p2pScope, oracleBound: UNBOUNDED, topology: topoSwitch, proofScope: { ...smallScope, vram: 1 } },
  { name: 'p2p-none', queue: 'kernel', kernel: kernelToday, scope: p2pScope, oracleBound: UNBOUNDED, topology: topoAcsNoForward, proofScope: { ...smallScope, vram: 1 } },
  // p2p-switch with user-owned queues (an RDMA QP rung by doorbells; a user-mode GPU queue): the kernel
  // sees no submission, and a job's fence signals only when user space says so, so an exporter that waits
  // on the importers' fences waits on user space (dma-buf.rst, "Indefinite DMA Fences").
  { name: 'p2p-switch-user-queue', queue: 'user', kernel: kernelToday, scope: p2pScope, oracleBound: UNBOUNDED, topology: topoSwitch, proofScope: { ...smallScope, vram: 1 } },
  // The device and its peer on two root ports of a host bridge in the p2pdma whitelist: P2P through the
  // host bridge (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE), mapped as an IOVA.
  { name: 'p2p-host-bridge', queue: 'kernel', kernel: kernelToday, scope: p2pScope, oracleBound: UNBOUNDED, topology: topoHostBridge, proofScope: { ...smallScope, vram: 1 } },
  // Three devices (seed 001): the peer B and a third device A talk by bus address through nested switches;
  // the device under test C, on another root port of a host bridge not whitelisted, reaches neither.
  // user-queue, with a hardware preemption that may time out: the driver then resets the GPU (kfd_hws_hang,
  // amdgpu_device_gpu_recover), and every process's queued work on it is lost. Its proof scope has one
  // process: with two (the other process's work lost in the reset, no-collateral-loss), queue-preempt's
  // proof passed a million states and eight minutes without closing; the loss to another process is left
  // to the budget's scope, which has two.
  { name: 'user-queue-preempt-timeout', queue: 'user', kernel: kernelPreemptTimeout, scope: defaultScope, oracleBound: UNBOUNDED, proofScope: smallScope },
  { name: 'p2p-three', queue: 'kernel', kernel: kernelToday, scope: p2pScope, oracleBound: UNBOUNDED, topology: topoThree, proofScope: { ...smallScope, vram: 1 } },
  // The device and the peer joined by an internal interconnect (xGMI) only, on root ports of a host bridge
  // not whitelisted: the PCI P2P layer says NOT_SUPPORTED, the link works (seed 001, 1a).
  { name: 'p2p-link', queue: 'kernel', kernel: kernelToday, scope: p2pScope, oracleBound: UNBOUNDED, topology: topoLink, proofScope: { ...smallScope, vram: 1 } },
  // The device under test has a pool of DEVICE_PRIVATE pages of its own (lib/test_hmm.c's dmirror
  // devices: dmirror_allocate_chunk), two of them; no peer device, no PCIe topology.
  { name: 'hmm', queue: 'kernel', kernel: kernelToday, scope: { ...defaultScope, vram: 2 }, oracleBound: UNBOUNDED, proofScope: { ...smallScope, vram: 1 } },
  // User space may mprotect page 0 (model/mprotect.ts: mprotect_fixup, then change_protection's
  // MMU_NOTIFY_PROTECTION_VMA invalidation): VMA permissions, hmm_range_fault's -EFAULT / -EPERM and GUP's
  // refusal. One page only, so that the protection multiplies the state space by three, not nine.
  // Its proof scope has one frame: with two, the protection multiplies odp-mirror's proof past a minute
  // (3.0 million states); moves under a changed protection are left to the fast-check budget's scope.
  { name: 'mprotect', queue: 'kernel', kernel: kernelToday, scope: defaultScope, oracleBound: UNBOUNDED, mprotect: 0b01, proofScope: { ...smallScope, frames: 1 } },
  // kernel-queue with zones (model/zones.ts): frame 0 in ZONE_MOVABLE (hot-unpluggable memory), frame 1 in
  // a CMA area, the rest ZONE_NORMAL. User pages come from the first two first (process 0's pages start
  // there); a FOLL_LONGTERM pin migrates them out first, and offlining or a CMA allocation migrates them
  // out of their range. The proof scope keeps one frame of each.
  { name: 'zone-movable', queue: 'kernel', kernel: kernelToday, scope: defaultScope, oracleBound: UNBOUNDED, movable: 1, cma: 1, proofScope: { ...smallScope, frames: 3 } },
  // kernel-queue where processes exit (model/exit.ts): exit_mmap releases the notifiers and unmaps
  // everything, an OOM victim exits after the reaper, the driver's file is released. A config of its own
  // so that the other configs' explorers keep their budget for what they check (an exit ends a run's
  // interesting future early).
  { name: 'process-exit', queue: 'kernel', kernel: kernelToday, scope: defaultScope, oracleBound: UNBOUNDED, proofScope: smallScope, exit: true },
  // kernel-queue with a second interval notifier per process (model/subscriptions.ts): another driver
  // mirrors the same address space, so an invalidation owes two callbacks and an insert may be deferred.
  // The core mm also migrates a page two processes map (Config.migrateShared, model/migrate-shared.ts:
  // one invalidation per mapping mm, each owing both notifiers' callbacks), here rather than in
  // kernel-queue, where it cost odp-mirror's runs a witness at the manifest's budget.
  { name: 'two-notifiers', queue: 'kernel', kernel: kernelToday, scope: { ...defaultScope, notifiers: 2 }, oracleBound: UNBOUNDED, proofScope: { ...smallScope, notifiers: 2 }, migrateShared: true },
  // Two mirroring devices (lib/test_hmm.c's dmirror devices 0 and 1, which hmm-tests.c's hmm2 fixture opens
  // together): each its own page table, its own interval notifier per process (the scope's second notifier
  // slot is the second device's), its own dmirror->mutex and its own device-private page (one of the two
  // VRAM frames each, its own pgmap->owner). A device's hmm_range_fault on the other's DEVICE_PRIVATE page
  // migrates it back to RAM through its owner's migrate_to_ram (hmm_vma_handle_pte). Only the strategies
  // that list it drive the second device (dmirror).
  // Its proof scope has one system frame: the page moves between it and the two devices' private pages
  // (migrate_vma and migrate_to_ram); with two (core-mm migration too) dmirror's proof took 68 CPU-s.
  { name: 'two-devices', queue: 'kernel', kernel: kernelToday, scope: { ...defaultScope, procs: 1, vram: 2, notifiers: 2 }, oracleBound: UNBOUNDED, mirrors: 2, proofScope: { ...smallScope, frames: 1, vram: 2, notifiers: 2 } },
  // kernel-queue with the shared zero page (model/zero-page.ts): anonymous memory mapped without
  // MAP_POPULATE, so a page starts untouched; a read fault maps the zero page read-only (do_anonymous_page),
  // a write fault or a write to the zero page allocates a zeroed page (wp_page_copy). One process: fork's
  // copy of a zero-page PTE (model/fork.ts) is driven by test/zero-page.test.ts with two, since a second
  // process doubled odp-mirror's row (3.2 s -> 6.7 s); the fork hazards are the other configs'.
  { name: 'zero-page', queue: 'kernel', kernel: kernelToday, scope: { ...defaultScope, procs: 1 }, oracleBound: UNBOUNDED, zeroPage: true, proofScope: smallScope },
];

export function configByName(name: string): Config | undefined {
  return configs.find((c) => c.name === name);
}

/** `base` with its kernel policy changed by `change`, standing for a core-mm bug of the kernel's history. */
function variantOf(name: string, base: string, change: Partial<KernelPolicy>, stands: string): Config {
  const b = configByName(base)!;
  return { ...b, name, kernel: { ...b.kernel, ...change }, variant: { base, stands } };
}

/** `c` where the core mm migrates a page two processes map (model/migrate-shared.ts). */
export function withMigrateShared(c: Config): Config {
  return { ...c, migrateShared: true };
}

/**
 * Kernel variants: core-mm bugs, each a config of its own that `dmacheck mutants` kills as it kills a
 * driver's mutants (a correct design of the base config must break a property it holds there), and that
 * `check --config` and `replay` take like any config. They are not in the matrix.
 */
export const kernelVariants: readonly Config[] = [
  variantOf(
    'reclaim-pinned',
    'kernel-queue',
    { reclaimSkipsPinned: false },
    'shrink_folio_list unmaps a pinned anonymous page to swap, as kernels did before feb889fb40fa ("mm: don\'t put pinned pages into the swap cache", v5.11): the pinned page stays in the swap cache, where a refault, or a child\'s through the swap entry fork copied, maps it read-only, and a write copies it away from the pinner',
  ),
  variantOf(
    'longterm-pin-in-movable',
    'zone-movable',
    { longtermMigrate: 'cma-only' },
    'FOLL_LONGTERM migrates pages out of CMA only, as from 9a4e9f3b2d73 ("mm: update get_user_pages_longterm to migrate pages allocated from CMA region") until d1e153fea2a8 ("mm/gup: migrate pinned pages out of movable zone", v5.13): a long-term pin of a ZONE_MOVABLE page keeps it there, and offlining that memory fails for as long as the pin lives',
  ),
  variantOf(
    'migrate-pinned',
    'kernel-queue',
    { migrateFailsPinned: false },
    'migrate_pages moves a page with references beyond its mappings: folio_migrate_mapping without its expected-refcount check, which makes the migration of a pinned or GUP-referenced page fail with -EAGAIN',
  ),
  variantOf(
    'reclaim-without-notifier',
    'kernel-queue',
    { reclaimWithoutNotifier: true },
    'try_to_unmap_one clears a PTE for swap without mmu_notifier_invalidate_range_start/end around it: the class of PTE changes without the notifier calls that bracket them, which secondary MMUs never hear of',
  ),
  variantOf(
    'refused-start-not-undone',
    'kernel-queue',
    { refusedStartNotUndone: true },
    'mn_itree_invalidate returns -EAGAIN for a refused non-blockable start without mn_itree_inv_end ("On -EAGAIN the non-blocking caller is not allowed to call invalidate_range_end()"): the range stays counted active and the seq odd, so mmu_interval_read_begin sleeps forever',
  ),
  variantOf(
    'insert-not-covered',
    'kernel-queue',
    { insertNotCovered: true },
    '__mmu_interval_notifier_insert gives a notifier inserted while an invalidation of the mm is active the seq of an idle mm (invalidate_seq - 1) instead of the odd seq the kernel gives it ("If some invalidate_range_start/end region is going on in parallel, we don\'t know what VA ranges are affected, so we must assume this new range is included"): mmu_interval_read_begin does not wait, and a fault maps a page the invalidation in progress is about to free',
  ),
  variantOf(
    'gup-fast-no-seq-check',
    'kernel-queue',
    { gupFastNoSeqCheck: true },
    'gup_fast (lockless_pages_from_mm) without the mm->write_protect_seq read and read_seqcount_retry, as before 57efa1fe5957 ("mm/gup: prevent gup_fast from racing with COW during fork"): a FOLL_PIN lands between copy_present_pte\'s check for maybe-pinned pages and its write-protect, so the pinned page is shared copy-on-write and the device stays on the child\'s page',
  ),
  // With the migration of a page two processes map (Config.migrateShared), which of the matrix's configs
  // only two-notifiers has (test/migrate-shared.test.ts drives it on kernel-queue with the field set).
  withMigrateShared(variantOf(
    'migrate-notifies-one-mm',
    'kernel-queue',
    { migrateNotifiesOneMm: true },
    'the migration of a page two processes map (fork\'s copy-on-write page) brackets with mmu_notifier_invalidate_range_start/end only the mm that asked, not every mapping try_to_migrate\'s rmap walk unmaps (try_to_migrate_one runs the notifier of each vma->vm_mm): the other process\'s secondary MMU keeps the old page, which is freed after the copy',
  )),
];

/** A config of the matrix or a kernel variant, by name. */
export function anyConfigByName(name: string): Config | undefined {
  return configByName(name) ?? kernelVariants.find((c) => c.name === name);
}

/** The keys of a scope, with the least and most each may be (slots are bit masks and small arrays). */
export const scopeLimits: Readonly<Record<keyof Scope, { min: number; max: number; what: string }>> = {
  procs: { min: 1, max: 4, what: 'processes (address spaces); fork needs 2' },
  vpages: { min: 1, max: 8, what: 'virtual pages per process' },
  frames: { min: 1, max: 16, what: 'system RAM frames (process 0 starts with one per page)' },
  jobs: { min: 1, max: 8, what: 'job slots on the device' },
  invalidations: { min: 1, max: 8, what: 'invalidations in flight' },
  vram: { min: 0, max: 8, what: 'VRAM frames of the peer device (P2P configs)' },
  notifiers: { min: 1, max: 2, what: "interval notifiers per process: the device under test's driver's, then a second mm user's" },
};

/** `cfg` with its scope changed by `over` (the config keeps its name; the scope is recorded beside it). */
export function withScope(cfg: Config, over: Partial<Scope>): Config {
  return { ...cfg, scope: { ...cfg.scope, ...over } };
}

/** The config at its proof scope. */
export function proofConfig(cfg: Config): Config {
  return withScope(cfg, cfg.proofScope);
}

/** A scope as people write it: `procs=1,vpages=1,frames=2,jobs=1,invalidations=1`. */
export function scopeText(s: Scope): string {
  return (Object.keys(scopeLimits) as (keyof Scope)[])
    .filter((k) => s[k] !== undefined)
    .map((k) => `${k}=${s[k]}`)
    .join(',');
}

/** Is `s` the config's own scope? */
export function sameScope(a: Scope, b: Scope): boolean {
  return scopeText(a) === scopeText(b);
}
