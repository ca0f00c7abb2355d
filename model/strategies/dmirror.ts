// dmirror: lib/test_hmm.c, the kernel's own HMM reference driver, which tools/testing/selftests/mm/
// hmm-tests.c drives (Documentation/mm/hmm.rst). One dmirror per open file of /dev/hmm_dmirror<n>:
//   - dmirror_fops_open: one mmu_interval_notifier over the whole address space (register);
//   - dmirror_read / dmirror_write: the device access runs under dmirror->mutex (dmirror_do_read copies
//     from the page its page table, an xarray, holds); a missing entry (-ENOENT) runs dmirror_fault and
//     tries again. In the model a job's DMA is that access: dmirror->mutex is held from dma_start to
//     dma_land, so the callback, the fault's commit and the migration's map step wait for it;
//   - dmirror_fault / dmirror_range_fault: mmu_interval_read_begin, hmm_range_fault under the mmap read
//     lock, mutex_lock, mmu_interval_read_retry, dmirror_do_fault, mutex_unlock (model/strategies/
//     mirror-fault.ts: read_begin, range_fault, fault_commit);
//   - dmirror_interval_invalidate: skips MMU_NOTIFY_MIGRATE ranges whose owner is its own device ("the
//     invalidation is handled as part of the migration process"); else mutex_lock (mutex_trylock, or
//     return false, when !mmu_notifier_range_blockable), mmu_interval_set_seq, dmirror_do_update (erase
//     the range from the page table), mutex_unlock;
//   - HMM_DMIRROR_MIGRATE_TO_DEV, dmirror_migrate_to_device: migrate_vma_setup (MIGRATE_VMA_SELECT_SYSTEM,
//     pgmap_owner = its device), dmirror_migrate_alloc_and_copy (a page of the device-private pool, the
//     copy), migrate_vma_pages, dmirror_migrate_finalize_and_map (under the mutex: the page table now
//     holds the device page), migrate_vma_finalize;
//   - dev_pagemap_ops.migrate_to_ram, dmirror_devmem_fault (a CPU access, or a fault that needs write, on
//     a device-private entry): migrate_vma_setup (MIGRATE_VMA_SELECT_DEVICE_PRIVATE, pgmap_owner = its
//     device), dmirror_devmem_fault_alloc_and_copy, migrate_vma_pages,
//     dmirror_devmem_fault_finalize_and_map (under the mutex of the dmirror that migrated the page,
//     rpage->zone_device_data: erase the range from its page table), migrate_vma_finalize.
// The model is this design, not a fixed one: where it skips its own migration's invalidation and keeps
// the old translation until its own map step, a device write between the copy and that step is lost
// (docs/hmm.md).
// Simplifications: one page per ioctl (hmm-tests.c's buffers scaled to the model's pages); a migration to
// device memory takes a page mapped once (model/hmm.ts collectSkip); two accesses of one process that run
// on the device at once each count as holding the mutex.
import { DEV, DEV1, NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { DEREGISTERED, recordFailure } from '../job-error.ts';
import { callbackRefuse, callbackReturn, dirtyWritten, findFreeFrame, forking, freeInvalidationSlot, hmmVmaCheck, invalidating, mirrorOf, procInvalidating, setSeq, startInvalidation, subscribe, unsubscribe, vmaReadable, zapMirror } from '../mm.ts';
import { deviceAlloc, ownDeviceMemory, splitDeviceMemory } from '../device-memory.ts';
import { coreMmPage, ramAlloc } from '../p2p.ts';
import { collectSkip, finalizeMigration, mappersOf } from '../hmm.ts';
import { applyExclusive, exclusiveActionKinds, exclusiveEnabled } from '../hmm-exclusive.ts';
import {
  emptyFaults,
  faultActionKinds,
  faultApply,
  faultClearDead,
  faultCounters,
  faultEnabled,
  mirrorTeardown,
  startFault,
  type FaultMutations,
  type MirrorDriver,
} from './mirror-fault.ts';
import { callbackWaitId, waitsOn } from '../waits.ts';

type DmirrorMutant = 'no-read-retry' | 'no-set-seq' | 'zap-range-off-by-one' | 'exclusive-skip-any-owner' | 'map-foreign-private' | 'exclusive-map-after-unlock';

interface DmirrorDriver extends MirrorDriver {
  /** Per page slot (proc * vpages + vpage): 0 none; 1 migrate_vma_setup (its invalidations); 2 copied. */
  migPhase: number[];
  /**
   * 1: to device memory (HMM_DMIRROR_MIGRATE_TO_DEV); 2: to the second device's memory (the ioctl on its
   * file, configs with two mirroring devices); 0: back to RAM (migrate_to_ram).
   */
  migToDev: number[];
  migSrc: number[];
  migDst: number[];
  /** Per frame: the process whose dmirror migrated it into device memory (rpage->zone_device_data), or NONE. */
  devOwner: number[];
  /**
   * Per page slot: while HMM_DMIRROR_EXCLUSIVE is between make_device_exclusive and dmirror_atomic_map,
   * 1 (on device 0's file) or 2 (on the second device's, configs with two mirroring devices); else 0.
   */
  exclPhase: number[];
}

type DmState = State<DmirrorDriver>;

const V = (s: State) => s.mms[0]!.ptes.length;
const slot = (s: State, p: number, v: number) => p * V(s) + v;

/** The device a fault context is for: the device that runs its job (two mirroring devices), else DEV. */
function faultDevice(s: DmState, fault: number): number {
  const f = s.drv.faults[fault]!;
  return f.job !== NONE ? (s.jobs[f.job]!.dev ?? DEV) : DEV;
}

function mutations(s: DmState, ctx: DriverContext<DmirrorMutant>): FaultMutations {
  const m: FaultMutations = { noReadRetry: ctx.mutant === 'no-read-retry', retryOutsideLock: false };
  if (s.dev1) m.deviceOf = (i) => faultDevice(s, i);
  return m;
}

/** The subscription slot of `dev`'s notifier on `proc`: p for device 0, p + procs for device 1 (DEV1). */
const subOf = (s: State, proc: number, dev: number) => (dev === DEV1 ? proc + s.mms.length : proc);

/**
 * dmirror->mutex of `proc`'s dmirror on device `dev` is held by a device access in progress
 * (dmirror_do_read/_write). Each device's file has its own dmirror, so its own mutex.
 */
function mutexBusy(s: State, proc: number, dev: number = DEV): boolean {
  return s.jobs.some((j) => j.state === 'running' && j.proc === proc && (j.dev ?? DEV) === dev);
}

/** Is a migration of frame `f` (to or from device memory) in progress? */
function frameMigrating(s: DmState, f: number): boolean {
  const d = s.drv;
  return d.migPhase.some((ph, i) => ph !== 0 && d.migSrc[i] === f);
}

/**
 * The device-private page of a dmirror device that (p, v) maps, or NONE: the device under test's, or,
 * with two mirroring devices, the second's (its owner says whose: pgmap->owner).
 */
function devicePrivate(s: State, p: number, v: number): number {
  const pte = s.mms[p]!.ptes[v]!;
  if (!pte.mapped || pte.frame === NONE) return NONE;
  const fr = s.frames[pte.frame]!;
  return fr.kind === 'device-private' && (fr.owner === DEV || (s.dev1 !== undefined && fr.owner === DEV1)) ? pte.frame : NONE;
}

/** Can migrate_to_ram of (p, v)'s device-private page start: not locked or migrating, an invalidation slot per mapping. */
function canDevmemFault(s: DmState, p: number, v: number): boolean {
  const f = devicePrivate(s, p, v);
  // A CPU access to a PROT_NONE VMA faults (access_error: SIGSEGV) before do_swap_page: no migrate_to_ram.
  if (f === NONE || !vmaReadable(s.mms[p]!.ptes[v]!) || s.frames[f]!.locked || frameMigrating(s, f) || s.drv.migPhase[slot(s, p, v)] !== 0) return false;
  const maps = mappersOf(s, f);
  if (maps.some(([q, w]) => invalidating(s, q, w))) return false;
  return s.invs.filter((inv) => !inv.live).length >= maps.length;
}

/**
 * migrate_vma_setup for migrate_to_ram (MIGRATE_VMA_SELECT_DEVICE_PRIVATE, pgmap_owner = the device whose
 * page it is: page_pgmap(vmf->page)->ops->migrate_to_ram is its owner's dmirror_devmem_fault): the
 * faulting process's range, and try_to_migrate's unmap of the page's other mappings (a copy-on-write
 * share after fork), each an MMU_NOTIFY_MIGRATE invalidation with that device as owner.
 */
function devmemFault(s: DmState, p: number, v: number, ctx: DriverContext<DmirrorMutant>): void {
  const f = devicePrivate(s, p, v);
  const owner = s.frames[f]!.owner;
  const i = slot(s, p, v);
  const d = s.drv;
  for (const [q, w] of mappersOf(s, f)) startInvalidation(s, q, 1 << w, 'device-migrate', ctx, (k) => self.onInvalidateStart(s, k, ctx), owner);
  d.migPhase[i] = 1;
  d.migToDev[i] = 0;
  d.migSrc[i] = f;
  d.migDst[i] = NONE;
  ctx.emit({ t: 'migrate_collect', device: owner, proc: p, vpage: v, toDevice: false, cpages: 1, skip: null });
}

/** Can HMM_DMIRROR_MIGRATE_TO_DEV on device `dev`'s file start: an invalidation slot, and a device-private pool. */
function canMigrateTo(s: State, dev: number): boolean {
  return freeInvalidationSlot(s) !== NONE && s.frames.some((fr) => fr.owner === dev && fr.kind === 'device-private');
}

/**
 * dmirror_migrate_to_device's VMA check, before migrate_vma_setup: `vma = vma_lookup(mm, addr); if (!vma
 * || !(vma->vm_flags & VM_READ)) return -EINVAL` (lib/test_hmm.c). Null: the page's VMA is there and
 * readable. 'no-vma': no VMA covers the page (never mapped, or munmap'ed: the hole of hmm-tests.c's
 * migrate_mixed); 'no-read': a PROT_NONE VMA.
 */
function migrateVmaCheck(s: State, p: number, v: number): 'no-vma' | 'no-read' | null {
  const pte = s.mms[p]!.ptes[v]!;
  if (!pte.mapped) return 'no-vma';
  return vmaReadable(pte) ? null : 'no-read';
}

/**
 * HMM_DMIRROR_MIGRATE_TO_DEV of (p, v) on device `dev`'s file, dmirror_migrate_to_device: the VMA check
 * (-EINVAL, nothing migrated), then migrate_vma_setup (MIGRATE_VMA_SELECT_SYSTEM, pgmap_owner = that
 * device) collects the page, or skips it (cpages 0).
 */
function migrateToDevice(s: DmState, p: number, v: number, dev: number, ctx: DriverContext<DmirrorMutant>): void {
  const d = s.drv;
  const vma = migrateVmaCheck(s, p, v);
  if (vma !== null) {
    ctx.emit({ t: 'migrate_collect', device: dev, proc: p, vpage: v, toDevice: true, cpages: 0, skip: vma, errno: 'EINVAL' });
    return;
  }
  const skip = collectSkip(s, p, v);
  if (skip !== null) {
    // Not collected: cpages 0; dmirror_do_read then finds no device entry (-ENOENT).
    ctx.emit({ t: 'migrate_collect', device: dev, proc: p, vpage: v, toDevice: true, cpages: 0, skip });
    return;
  }
  const i = slot(s, p, v);
  const src = s.mms[p]!.ptes[v]!.frame;
  startInvalidation(s, p, 1 << v, 'device-migrate', ctx, (k) => self.onInvalidateStart(s, k, ctx), dev);
  d.migPhase[i] = 1;
  d.migToDev[i] = dev === DEV1 ? 2 : 1;
  d.migSrc[i] = src;
  d.migDst[i] = NONE;
  ctx.emit({ t: 'migrate_collect', device: dev, proc: p, vpage: v, toDevice: true, cpages: 1, skip: null });
}

/** The device a migration to device memory is for (migToDev 1 or 2). */
const migDevice = (toDev: number) => (toDev === 2 ? DEV1 : DEV);

/** The device whose HMM_DMIRROR_EXCLUSIVE is in progress (exclPhase 1 or 2). */
const exclDevice = (phase: number) => (phase === 2 ? DEV1 : DEV);

/**
 * Can HMM_DMIRROR_EXCLUSIVE take (p, v)? make_device_exclusive faults the page in writable and takes only
 * an anonymous folio it can lock; simplified here to a present, writable, private anonymous page mapped
 * once, idle (not locked, not under an invalidation or a migration).
 */
function canMakeExclusive(s: DmState, p: number, v: number): boolean {
  const pte = s.mms[p]!.ptes[v]!;
  if (!pte.mapped || pte.frame === NONE || !pte.writable || pte.shared || pte.dax || pte.exclusive !== NONE) return false;
  const fr = s.frames[pte.frame]!;
  if (!coreMmPage(fr) || fr.locked || fr.mapcount !== 1 || fr.refcount !== fr.mapcount) return false;
  return !invalidating(s, p, v) && s.drv.migPhase[slot(s, p, v)] === 0 && freeInvalidationSlot(s) !== NONE;
}

/** The range without its last page (the mutant zap-range-off-by-one). */
function lastPageDropped(pages: number): number {
  let top = 0;
  for (let v = 0; pages >> v; v++) if ((pages >> v) & 1) top = v;
  return pages & ~(1 << top);
}

/** The skips of migrate_vma_collect a test of the self-tests asks about; other skips are not offered. */
const SHOWN_SKIPS: ReadonlySet<string> = new Set(['shared', 'pinned', 'device-private']);

export const dmirror = defineStrategy({
  counters: (d: DmirrorDriver, c) => faultCounters(d, c),
  clearDead: (d: DmirrorDriver, s) => {
    faultClearDead(d);
    d.migPhase.forEach((ph, i) => {
      if (ph !== 0) return;
      d.migToDev[i] = 0;
      d.migSrc[i] = NONE;
      d.migDst[i] = NONE;
    });
    d.devOwner.forEach((_, f) => {
      if (s.frames[f]!.free) d.devOwner[f] = NONE;
    });
  },
  name: 'dmirror',
  summary: 'lib/test_hmm.c: one interval notifier over the address space, the device access under dmirror->mutex, the hmm_range_fault retry loop, migrations to and from a device-private pool whose own invalidations the callback skips',
  from: 'lib/test_hmm.c and tools/testing/selftests/mm/hmm-tests.c; mm/hmm.c, mm/migrate_device.c',
  device: { kind: 'gpu', recoverable: true },
  configs: ['kernel-queue', 'hmm', 'mprotect', 'two-notifiers', 'two-devices', 'zero-page'],
  mutants: [
    { name: 'no-read-retry', pattern: 'dmirror_range_fault stores the PFNs without mmu_interval_read_retry under dmirror->mutex: a page an invalidation freed after hmm_range_fault is mapped (the hand-rolled retry bugs the interval notifier fixed, 99cb252f5e68)' },
    { name: 'no-set-seq', pattern: 'the invalidate callback erases its page table but does not call mmu_interval_set_seq: a fault between hmm_range_fault and its read_retry sees no change and maps the old page (the contract of mmu_interval_notifier_ops.invalidate)' },
    { name: 'exclusive-skip-any-owner', pattern: 'the invalidate callback skips MMU_NOTIFY_EXCLUSIVE without comparing range->owner with its own device (nouveau_svm_range_invalidate compares it): remove_device_exclusive_entry\'s invalidation, which has no owner, is skipped too, and the device keeps its atomic mapping after the CPU took the page back' },
    { name: 'map-foreign-private', pattern: 'with two dmirror devices, dmirror_range_fault of one device takes the other device\'s DEVICE_PRIVATE page from hmm_range_fault as if it were its own (range->dev_private_owner not compared with the page\'s pgmap->owner, as hmm_vma_handle_pte compares it): the device maps and DMAs into memory of another device that it cannot address, instead of the page migrating back to system RAM through its owner\'s migrate_to_ram', configs: ['two-devices'] },
    { name: 'exclusive-map-after-unlock', pattern: 'dmirror_exclusive unlocks the folio (folio_unlock) before dmirror_atomic_map fills its page table: make_device_exclusive returns the folio locked so that no CPU access can restore the entry (remove_device_exclusive_entry takes the folio lock) until the device has mapped it; unlocked (and in the model, whose locked folio stands for the mmap read lock the ioctl holds, without that too), a CPU access or a munmap in between restores or drops the entry, its invalidation finds nothing to erase, and the device then maps for atomics a page the CPU has taken back' },
    { name: 'zap-range-off-by-one', pattern: 'dmirror_do_update stops one page short of the invalidated range (an exclusive end turned into an inclusive last index twice, the interval off-by-one): the last page of the range stays mapped in the device after the callback returned' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...faultActionKinds,
    { kind: 'dmirror_invalidate', actor: 'kernel', args: ['inv', 'dev'], models: 'dmirror_interval_invalidate: mutex_lock (mutex_trylock or return false if !mmu_notifier_range_blockable); mmu_interval_set_seq; dmirror_do_update; mutex_unlock' },
    { kind: 'dmirror_migrate', actor: 'user', args: ['p', 'v'], models: 'HMM_DMIRROR_MIGRATE_TO_DEV: migrate_vma_setup (MIGRATE_VMA_SELECT_SYSTEM, pgmap_owner = the device): MMU_NOTIFY_MIGRATE with the device as owner, then collect' },
    { kind: 'dmirror_migrate1', actor: 'user', args: ['p', 'v'], models: 'HMM_DMIRROR_MIGRATE_TO_DEV on the second device\'s file (configs with two mirroring devices): migrate_vma_setup with pgmap_owner = device 1, into its own device-private pool', mirrors: 2 },
    { kind: 'dmirror_devmem_fault', actor: 'user', args: ['p', 'v'], models: 'a CPU access to a device-private entry: do_swap_page calls migrate_to_ram, dmirror_devmem_fault: migrate_vma_setup (MIGRATE_VMA_SELECT_DEVICE_PRIVATE) on every mapping of the page' },
    { kind: 'dmirror_migrate_copy', actor: 'kernel', args: ['p', 'v'], models: 'dmirror_migrate_alloc_and_copy / dmirror_devmem_fault_alloc_and_copy: a destination page (the device-private pool, or RAM) and the copy' },
    { kind: 'dmirror_migrate_finalize', actor: 'kernel', args: ['p', 'v'], models: 'migrate_vma_pages; under dmirror->mutex dmirror_migrate_finalize_and_map (the device page into the page table) or dmirror_devmem_fault_finalize_and_map (erase it); migrate_vma_finalize' },
    { kind: 'dmirror_exclusive', actor: 'user', args: ['p', 'v'], models: 'HMM_DMIRROR_EXCLUSIVE, dmirror_exclusive: make_device_exclusive (folio locked; MMU_NOTIFY_EXCLUSIVE with the device as owner; the PTE becomes a device-exclusive entry)' },
    { kind: 'dmirror_exclusive1', actor: 'user', args: ['p', 'v'], models: 'HMM_DMIRROR_EXCLUSIVE on the second device\'s file (configs with two mirroring devices): make_device_exclusive for device 1, whose dmirror_atomic_map then fills device 1\'s page table', mirrors: 2 },
    { kind: 'dmirror_atomic_map', actor: 'kernel', args: ['p', 'v'], models: 'dmirror_atomic_map under dmirror->mutex (of the device whose ioctl it is): the page into its page table for atomics; folio_unlock' },
    ...exclusiveActionKinds,
    { kind: 'dmirror_release', actor: 'kernel', args: ['p'], models: 'dmirror_fops_release: mmu_interval_notifier_remove (waits for invalidations in progress), xa_destroy' },
  ],

  init(s): DmirrorDriver {
    ownDeviceMemory(s, 'device-private'); // dmirror_allocate_chunk: MEMORY_DEVICE_PRIVATE, pagemap.owner = the device
    if (s.dev1) splitDeviceMemory(s); // the second dmirror device's own chunk, its own pgmap->owner
    const pages = s.mms.length * V(s);
    const z = () => Array.from({ length: pages }, () => 0);
    const n = () => Array.from({ length: pages }, () => NONE);
    return { faults: emptyFaults(s), lock: NONE, migPhase: z(), migToDev: z(), migSrc: n(), migDst: n(), devOwner: s.frames.map(() => NONE), exclPhase: z() };
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    const fault: Action[] = [];
    faultEnabled(s, mutations(s, ctx), fault);
    for (const a of fault) {
      const f = d.faults[a.a]!;
      // The commit takes dmirror->mutex (of the dmirror of the device the fault is for).
      if (a.k === 'fault_commit' && mutexBusy(s, f.proc, faultDevice(s, a.a))) continue;
      if (a.k === 'range_fault') {
        // hmm_range_fault waits on a migration entry (migration_entry_wait).
        const pte = s.mms[f.proc]!.ptes[f.vpage]!;
        if (pte.frame !== NONE && (s.frames[pte.frame]!.locked || frameMigrating(s, pte.frame))) continue;
      }
      out.push(a);
    }
    exclusiveEnabled(s, out);
    s.invs.forEach((inv, i) => {
      if (!inv.live || inv.cb[inv.proc] !== 0) return;
      const trylock = !inv.blockable;
      if (trylock || !mutexBusy(s, inv.proc)) out.push({ k: 'dmirror_invalidate', a: i, b: NONE });
    });
    // The second device's dmirror has its own notifier on the process (slot p + procs) and its own mutex.
    if (s.dev1) {
      s.invs.forEach((inv, i) => {
        if (!inv.live || inv.cb[subOf(s, inv.proc, DEV1)] !== 0) return;
        if (!inv.blockable || !mutexBusy(s, inv.proc, DEV1)) out.push({ k: 'dmirror_invalidate', a: i, b: DEV1 });
      });
    }
    // HMM_DMIRROR_MIGRATE_TO_DEV needs the device-private pool (a config with device memory).
    const canStart = canMigrateTo(s, DEV);
    const canStart1 = s.dev1 !== undefined && canMigrateTo(s, DEV1);
    s.mms.forEach((mm, p) => {
      if (!mm.alive) return;
      const reg = s.regs[p]!;
      // The ioctls take the mmap read lock (a CPU fault too): they wait while fork holds it for write.
      const open = reg.live && !reg.closing && !forking(s, p);
      mm.ptes.forEach((pte, v) => {
        const i = slot(s, p, v);
        switch (d.migPhase[i]) {
          case 0: {
            // The ioctl's -EINVAL (no VMA, or a PROT_NONE one) changes nothing: it is offered only where
            // user space may change a VMA's protection (Config.mprotect), as in hmm-tests.c's migrate_mixed,
            // so that the explorers of the other configs do not spend steps on it.
            const einval = ctx.cfg.mprotect !== undefined && ctx.cfg.mprotect !== 0 && migrateVmaCheck(s, p, v) !== null;
            if (open && (canStart || canStart1) && einval && !invalidating(s, p, v)) {
              if (canStart) out.push({ k: 'dmirror_migrate', a: p, b: v });
              if (canStart1) out.push({ k: 'dmirror_migrate1', a: p, b: v });
            } else if (open && (canStart || canStart1) && pte.mapped && vmaReadable(pte) && !invalidating(s, p, v)) {
              const skip = collectSkip(s, p, v);
              if (skip === null || SHOWN_SKIPS.has(skip)) {
                if (canStart) out.push({ k: 'dmirror_migrate', a: p, b: v });
                if (canStart1) out.push({ k: 'dmirror_migrate1', a: p, b: v });
              }
            }
            if (!forking(s, p) && canDevmemFault(s, p, v)) out.push({ k: 'dmirror_devmem_fault', a: p, b: v });
            if (open && d.exclPhase[i] === 0 && canMakeExclusive(s, p, v)) {
              out.push({ k: 'dmirror_exclusive', a: p, b: v });
              if (s.dev1) out.push({ k: 'dmirror_exclusive1', a: p, b: v });
            }
            break;
          }
          case 1: {
            const src = d.migSrc[i]!;
            if (s.frames[src]!.locked && !mappersOf(s, src).some(([q, w]) => invalidating(s, q, w))) out.push({ k: 'dmirror_migrate_copy', a: p, b: v });
            break;
          }
          case 2: {
            // The map step takes the mutex of the dmirror whose page table it changes: the migrating
            // device's, or on the way back the one that migrated the page (on the device that owns it).
            const toDev = d.migToDev[i]!;
            const owner = toDev ? p : d.devOwner[d.migSrc[i]!]!;
            const dev = toDev ? migDevice(toDev) : s.frames[d.migSrc[i]!]!.owner;
            if (owner === NONE || !mutexBusy(s, owner, dev)) out.push({ k: 'dmirror_migrate_finalize', a: p, b: v });
            break;
          }
        }
      });
      // The file is released once no ioctl of it runs (no migration to the device in progress) and no
      // invalidation of the mm is active (mmu_interval_notifier_remove).
      // dmirror_atomic_map takes the mutex of the dmirror whose ioctl it is (device 0's or device 1's). It
      // runs after make_device_exclusive's invalidation ended, with the folio still locked, so that no
      // restore can run before it (the mutant exclusive-map-after-unlock maps without waiting).
      mm.ptes.forEach((_, v) => {
        const x = d.exclPhase[slot(s, p, v)]!;
        // The mutant waits only for make_device_exclusive's own invalidation (the entry not yet made).
        const waits = invalidating(s, p, v) && (ctx.mutant !== 'exclusive-map-after-unlock' || s.mms[p]!.ptes[v]!.exclusive === NONE);
        if (x !== 0 && !waits && !mutexBusy(s, p, exclDevice(x))) out.push({ k: 'dmirror_atomic_map', a: p, b: v });
      });
      const busy = d.migPhase.some((ph, k) => ph !== 0 && d.migToDev[k] !== 0 && Math.floor(k / V(s)) === p) || d.exclPhase.some((x, k) => x !== 0 && Math.floor(k / V(s)) === p);
      const accessing = mutexBusy(s, p) || (s.dev1 !== undefined && mutexBusy(s, p, DEV1));
      if (reg.live && reg.closing && !procInvalidating(s, p) && !accessing && !busy) out.push({ k: 'dmirror_release', a: p, b: NONE });
    });
  },

  apply(s, a, ctx) {
    const d = s.drv;
    // hmm_range_fault checks the VMA (hmm_vma_walk_test, hmm_vma_fault's -EPERM) before it faults
    // anything: a refused access fails below (faultApply), without migrating or restoring the page.
    const rf = a.k === 'range_fault' ? d.faults[a.a]! : null;
    if (rf && hmmVmaCheck(s.mms[rf.proc]!.ptes[rf.vpage]!, rf.write) === null) {
      const f = rf;
      const pte = s.mms[f.proc]!.ptes[f.vpage]!;
      const priv = devicePrivate(s, f.proc, f.vpage);
      // hmm_vma_handle_pte: a device-private entry is returned only to its owner (page_pgmap(page)->owner
      // == range->dev_private_owner); for another device a fault is required: handle_mm_fault ->
      // do_swap_page -> the owner's migrate_to_ram (dmirror_devmem_fault), and hmm_range_fault returns
      // -EBUSY. The mutant map-foreign-private skips the owner check.
      const foreign = priv !== NONE && s.frames[priv]!.owner !== faultDevice(s, a.a) && ctx.mutant !== 'map-foreign-private';
      if (foreign) ctx.emit({ t: 'private_fault', proc: f.proc, vpage: f.vpage, frame: priv, outcome: 'migrate' });
      // A fault that needs write on a read-only device-private entry (copy-on-write after fork):
      // handle_mm_fault -> do_swap_page -> migrate_to_ram first; hmm_range_fault returns -EBUSY.
      if (foreign || (f.write && !pte.writable && priv !== NONE)) {
        if (canDevmemFault(s, f.proc, f.vpage)) devmemFault(s, f.proc, f.vpage, ctx);
        f.phase = 0;
        return;
      }
      // hmm_vma_handle_pte on a device-exclusive entry: fault, which restores it
      // (remove_device_exclusive_entry), then -EBUSY.
      if (pte.exclusive !== NONE) {
        if (!invalidating(s, f.proc, f.vpage) && freeInvalidationSlot(s) !== NONE) {
          startInvalidation(s, f.proc, 1 << f.vpage, 'exclusive', ctx, (k) => self.onInvalidateStart(s, k, ctx), NONE);
        }
        f.phase = 0;
        return;
      }
    }
    if (applyExclusive(s, a, dmirror, ctx)) return;
    if (faultApply(s, a, mutations(s, ctx), dmirror, ctx, (f) => {
      if (f.job !== NONE) s.jobs[f.job]!.state = 'ready'; // dmirror_read/_write tries dmirror_do_read again
    })) return;
    switch (a.k) {
      case 'dmirror_invalidate': {
        // The callback of device a.b's dmirror (DEV1: the second device's; NONE: the device under test's).
        const inv = s.invs[a.a]!;
        const dev = a.b === DEV1 ? DEV1 : DEV;
        const sub = subOf(s, inv.proc, dev);
        if (!inv.blockable && mutexBusy(s, inv.proc, dev)) {
          callbackRefuse(s, a.a, sub, ctx); // mutex_trylock failed: return false
          return;
        }
        if (ctx.mutant !== 'no-set-seq') setSeq(s, a.a, sub);
        zapMirror(s, inv.proc, ctx.mutant === 'zap-range-off-by-one' ? lastPageDropped(inv.pages) : inv.pages, dev);
        callbackReturn(s, a.a, sub, ctx);
        return;
      }
      case 'dmirror_migrate':
        migrateToDevice(s, a.a, a.b, DEV, ctx);
        return;
      case 'dmirror_migrate1':
        migrateToDevice(s, a.a, a.b, DEV1, ctx);
        return;
      case 'dmirror_devmem_fault':
        devmemFault(s, a.a, a.b, ctx);
        return;
      case 'dmirror_migrate_copy': {
        const i = slot(s, a.a, a.b);
        const src = s.frames[d.migSrc[i]!]!;
        const dst = d.migToDev[i] ? deviceAlloc(s, src.value, migDevice(d.migToDev[i]!)) : findFreeFrame(s) === NONE ? NONE : ramAlloc(s, NONE, src.value);
        if (dst === NONE) {
          // No destination page: migrate_vma_finalize restores the source.
          src.locked = false;
          d.migPhase[i] = 0;
          return;
        }
        s.frames[dst]!.locked = true;
        d.migDst[i] = dst;
        d.migPhase[i] = 2;
        return;
      }
      case 'dmirror_migrate_finalize': {
        const i = slot(s, a.a, a.b);
        const src = d.migSrc[i]!;
        const dst = d.migDst[i]!;
        const pte = s.mms[a.a]!.ptes[a.b]!;
        if (d.migToDev[i]) {
          // dmirror_migrate_finalize_and_map: the device page into this dmirror's page table (the
          // migrating device's).
          const dev = migDevice(d.migToDev[i]!);
          d.devOwner[dst] = a.a;
          const fr = s.frames[dst]!;
          const e = mirrorOf(s, dev)[a.a]![a.b]!;
          e.frame = dst;
          e.gen = fr.gen;
          e.writable = pte.writable;
          e.epoch = pte.epoch;
          e.p2p = false;
          if (dev === DEV1) {
            e.dmaDev = DEV1;
            e.dmaAddr = 'iova';
          }
        } else {
          // dmirror_devmem_fault_finalize_and_map: erase the range from the page table of the dmirror
          // that migrated the page (rpage->zone_device_data), on the device that owns it, not from any other.
          const owner = d.devOwner[src]!;
          if (owner !== NONE) zapMirror(s, owner, 1 << a.b, s.frames[src]!.owner);
          d.devOwner[src] = NONE;
        }
        finalizeMigration(s, src, dst);
        d.migPhase[i] = 0;
        return;
      }
      case 'dmirror_exclusive':
      case 'dmirror_exclusive1': {
        // make_device_exclusive: the folio is locked (and returned locked); secondary MMUs are told
        // (MMU_NOTIFY_EXCLUSIVE: every dmirror's callback runs, the caller's too, since
        // dmirror_interval_invalidate skips only its own migrations); the PTE is converted at the
        // invalidation's end. lib/test_hmm.c passes no owner (make_device_exclusive(mm, addr, NULL,
        // &folio)); the model's invalidation carries the device, which no dmirror callback reads, so that
        // the PTE remembers whose entry it is (Pte.exclusive): the kernel's entry names no device, the
        // device that holds it is the one whose page table dmirror_atomic_map then fills.
        const dev = a.k === 'dmirror_exclusive1' ? DEV1 : DEV;
        const f = s.mms[a.a]!.ptes[a.b]!.frame;
        // The mutant exclusive-map-after-unlock does not keep the folio locked until its map step.
        if (ctx.mutant !== 'exclusive-map-after-unlock') s.frames[f]!.locked = true;
        startInvalidation(s, a.a, 1 << a.b, 'exclusive', ctx, (k) => self.onInvalidateStart(s, k, ctx), dev);
        d.exclPhase[slot(s, a.a, a.b)] = dev === DEV1 ? 2 : 1;
        return;
      }
      case 'dmirror_atomic_map': {
        // dmirror_atomic_map: the page into the page table of the dmirror whose ioctl it is, tagged for
        // atomics, while make_device_exclusive's folio lock keeps the entry from being restored. (The
        // model maps only an entry still there, as the locked folio guarantees; the mutant, with no lock
        // held, maps the page it was given, as the kernel's dmirror_atomic_map does.)
        const i = slot(s, a.a, a.b);
        const dev = exclDevice(d.exclPhase[i]!);
        const pte = s.mms[a.a]!.ptes[a.b]!;
        const unlocked = ctx.mutant === 'exclusive-map-after-unlock';
        if (pte.frame !== NONE && (pte.exclusive === dev || (unlocked && pte.mapped))) {
          const fr = s.frames[pte.frame]!;
          const e = mirrorOf(s, dev)[a.a]![a.b]!;
          e.frame = pte.frame;
          e.gen = fr.gen;
          e.writable = true;
          e.epoch = pte.epoch;
          e.p2p = false;
          if (dev === DEV1) {
            e.dmaDev = DEV1;
            e.dmaAddr = 'iova';
          }
        }
        if (!unlocked && pte.frame !== NONE) s.frames[pte.frame]!.locked = false; // folio_unlock, folio_put
        d.exclPhase[i] = 0;
        return;
      }
      case 'dmirror_release': {
        const p = a.a;
        mirrorTeardown(s, p, 'dmirror released', ctx);
        if (s.dev1) {
          // The second device's file too (the hmm2 fixture's teardown closes both).
          const all = (1 << s.mms[p]!.ptes.length) - 1;
          unsubscribe(s, subOf(s, p, DEV1), ctx);
          dirtyWritten(s, p, all, DEV1);
          zapMirror(s, p, all, DEV1);
        }
        s.jobs.forEach((j, k) => {
          if (j.proc === p && (j.state === 'ready' || j.state === 'faulting')) recordFailure(s, k, DEREGISTERED);
        });
        return;
      }
    }
  },

  onRegister(s, proc) {
    subscribe(s, proc); // dmirror_fops_open: mmu_interval_notifier_insert(0, ULONG_MAX & PAGE_MASK)
    // The hmm2 fixture opens both devices' files (FIXTURE_SETUP(hmm2): fd0, fd1): each its own notifier.
    if (s.dev1) subscribe(s, proc, subOf(s, proc, DEV1));
  },

  onInvalidateStart(s, inv, _ctx) {
    const iv = s.invs[inv]!;
    // dmirror_interval_invalidate: "Ignore invalidation callbacks for device private pages since the
    // invalidation is handled as part of the migration process."
    // Each dmirror compares the range's owner with its own device (range->owner == dmirror->mdevice):
    // the second device's callback runs for the first device's migrations, and the other way round.
    if (iv.cause === 'device-migrate' && iv.owner === DEV && iv.cb[iv.proc] === 0) callbackReturn(s, inv, iv.proc, _ctx);
    else if (s.dev1 && iv.cause === 'device-migrate' && iv.owner === DEV1 && iv.cb[subOf(s, iv.proc, DEV1)] === 0) callbackReturn(s, inv, subOf(s, iv.proc, DEV1), _ctx);
    // The mutant: an owner filter on MMU_NOTIFY_EXCLUSIVE that does not look at the owner (in each
    // dmirror's callback: both devices run the same dmirror_interval_invalidate).
    else if (_ctx.mutant === 'exclusive-skip-any-owner' && iv.cause === 'exclusive') {
      if (iv.cb[iv.proc] === 0) callbackReturn(s, inv, iv.proc, _ctx);
      if (s.dev1 && iv.cb[subOf(s, iv.proc, DEV1)] === 0) callbackReturn(s, inv, subOf(s, iv.proc, DEV1), _ctx);
    }
  },

  onDeviceFault(s, job) {
    const j = s.jobs[job]!;
    startFault(s, j.proc, j.vpage, j.write, job);
  },

  // A blockable callback waits on dmirror->mutex, which a device access in progress holds until its
  // DMA lands.
  waits(s, _ctx, out) {
    for (const dev of s.dev1 ? [DEV, DEV1] : [DEV]) {
      s.invs.forEach((inv, i) => {
        const sub = subOf(s, inv.proc, dev);
        if (!inv.live || inv.cb[sub] !== 0) return;
        s.jobs.forEach((j, k) => {
          if (j.state === 'running' && j.proc === inv.proc && (j.dev ?? DEV) === dev) waitsOn(out, callbackWaitId(i, sub), { target: { k: 'dma', job: k }, heldBy: [], releasedBy: 'hardware' });
        });
      });
    }
  },
});

/** This strategy as the world holds it, for the invalidations its migrations start. */
const self = dmirror;
