// The world's own actions: what processes (user), the core mm (kernel) and the device (hardware) do,
// whatever the driver. Each is a guard (in worldEnabled) and an update (in applyWorld); the comment on
// each names the kernel path it models. The driver's steps come from the strategy.
import { CB_RETURNED, DEV, DEV1, NONE, PEER, VM_RW } from './types.ts';
import type { Action, Config, Job, Pte, State } from './types.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import {
  allocFrame,
  callbacksReturned,
  findFreeFrame,
  freeFrames,
  forking,
  freeInvalidationSlot,
  invalidating,
  mirrorOf,
  mmapWriteLocked,
  mmInvEnd,
  procInvalidating,
  startInvalidation,
  swapIn,
  unmapFrame,
  vmaReadable,
  vmaWritable,
} from './mm.ts';
import { applyMprotect, finishMprotect, mprotectActionKinds, mprotectEnabled } from './mprotect.ts';
import { applySubscription, subscriptionActionKinds, subscriptionEnabled } from './subscriptions.ts';
import { applyPressure, pressureActionKinds, pressureEnabled, queueRuns, reapPage } from './oom.ts';
import { collectForMigration, coreMmPage, cpuCanTouch, finishPeerMove, pteLocked } from './p2p.ts';
import { finishExclusive } from './hmm-exclusive.ts';
import { allocFrameOutside, applyZones, zoneActionKinds, zoneOf, zonesEnabled } from './zones.ts';
import { cachedFrame, removable, removeMapping, swapOut, wpReusable, wpReuse, zapSwapEntry } from './swap.ts';
import { applyExit, exitEnabled, finishExit } from './exit.ts';
import { FATAL_DEVICE_FAULT, clearJobError, noJobError, recordFailure } from './job-error.ts';
import { canMigrateShared, finishSharedMigration, rmapReturned, startSharedMigration } from './migrate-shared.ts';
import { doAnonymousPage, isZeroPfn, pteNone, zeroFrame } from './zero-page.ts';
import { applyFork, canFork, finishFork, forkActionKinds, forkCopied, forkEnabled, noFork, startFork } from './fork.ts';

export const worldActionKinds: readonly ActionKind[] = [
  { kind: 'cpu_read', actor: 'user', args: ['p', 'v'], models: 'a CPU load (do_swap_page if swapped out)' },
  { kind: 'cpu_write', actor: 'user', args: ['p', 'v'], models: 'a CPU store (do_wp_page on a copy-on-write page)' },
  { kind: 'fork', actor: 'user', args: ['p'], models: 'fork(): dup_mmap takes the mmap write lock; copy_page_range\'s invalidate_range_start (MMU_NOTIFY_PROTECTION_PAGE); the pages are copied one by one (model/fork.ts)' },
  { kind: 'munmap', actor: 'user', args: ['p', 'v'], models: 'munmap(): unmap_region with MMU_NOTIFY_UNMAP' },
  { kind: 'mmap', actor: 'user', args: ['p', 'v'], models: 'mmap(MAP_ANONYMOUS|MAP_POPULATE) of one page' },
  { kind: 'register', actor: 'user', args: ['p'], models: 'ibv_reg_mr / a userptr ioctl over the address space' },
  { kind: 'deregister', actor: 'user', args: ['p'], models: 'ibv_dereg_mr / closing the userptr' },
  { kind: 'submit', actor: 'user', args: ['p', 'v'], models: 'a job that reads the page (a submit ioctl on a kernel queue, a doorbell on a user queue)' },
  { kind: 'submit_write', actor: 'user', args: ['p', 'v'], models: 'a job that writes (a DMA write / RDMA WRITE into the page)' },
  { kind: 'user_signal', actor: 'user', args: ['job'], models: 'user space satisfying the wait a user-queue job is blocked on (a user fence)' },
  { kind: 'dma_start', actor: 'hardware', args: ['job'], models: 'the device translates through its page table and issues the DMA' },
  { kind: 'dma_land', actor: 'hardware', args: ['job'], models: 'the DMA reaches memory' },
  { kind: 'job_complete', actor: 'hardware', args: ['job'], models: 'a kernel-queue job (or a failed one) completes and its fence signals' },
  { kind: 'migrate', actor: 'kernel', args: ['p', 'v'], models: 'migrate_pages / compaction: try_to_migrate with MMU_NOTIFY_MIGRATE', starts: true },
  { kind: 'dax_move', actor: 'kernel', args: ['p', 'v'], models: 'a DAX filesystem moving a file block (dax_layout_busy_page, unmap_mapping_range, the new block mapped)', starts: true },
  { kind: 'reclaim', actor: 'kernel', args: ['p', 'v'], models: 'shrink_folio_list: add_to_swap, try_to_unmap, pageout (the page stays in the swap cache)', starts: true },
  {
    kind: 'remove_mapping', actor: 'kernel', args: ['f'], starts: true,
    models: 'shrink_folio_list on an unmapped page of the swap cache: pageout if dirty, __remove_mapping -> __delete_from_swap_cache, free',
    guard: 'frame f is in the swap cache, unmapped, unlocked, and has no reference besides the cache\'s (no pin)',
  },
  { kind: 'invalidate_end', actor: 'kernel', args: ['inv'], models: 'after every callback returned: the PTE change, then mmu_notifier_invalidate_range_end' },
  ...zoneActionKinds,
  ...pressureActionKinds,
  ...subscriptionActionKinds,
  ...forkActionKinds,
];

/**
 * The jobs of the second mirroring device (configs with Config.mirrors 2): hmm-tests.c's hmm2 tests issue
 * HMM_DMIRROR_READ / HMM_DMIRROR_WRITE on fd1, the file of /dev/hmm_dmirror1; `submit` and `submit_write`
 * stay device 0's.
 */
export const secondDeviceActionKinds: readonly ActionKind[] = [
  { kind: 'submit1', actor: 'user', args: ['p', 'v'], models: 'a job of device 1 that reads the page (HMM_DMIRROR_READ on the second device\'s file)' },
  { kind: 'submit1_write', actor: 'user', args: ['p', 'v'], models: 'a job of device 1 that writes the page (HMM_DMIRROR_WRITE on the second device\'s file)' },
];

/**
 * The world's action kinds in `cfg`: mprotect's only where the config allows it, the second device's jobs
 * only where it has two, so that the other configs' explorers (their swarm masks over user kinds) are as
 * before.
 */
export function worldKindsOf(cfg: Config): readonly ActionKind[] {
  const kinds = cfg.mprotect ? [...worldActionKinds, ...mprotectActionKinds] : worldActionKinds;
  return cfg.mirrors === 2 ? [...kinds, ...secondDeviceActionKinds] : kinds;
}

/** The user actions of a process (first argument p): an OOM victim does none. */
const victimUserKinds: ReadonlySet<string> = new Set(
  [...worldActionKinds, ...mprotectActionKinds, ...secondDeviceActionKinds].filter((k) => k.actor === 'user' && k.args[0] === 'p').map((k) => k.kind),
);

/** A device's page table as initialState makes it: every entry empty. */
function emptyDevice(procs: number, vpages: number): State['dev'] {
  return {
    kind: 'gpu',
    recoverable: false,
    mirror: Array.from({ length: procs }, () =>
      Array.from({ length: vpages }, () => ({ frame: NONE, gen: 0, writable: false, epoch: 0, p2p: false, dmaDev: DEV, dmaAddr: 'iova' as const })),
    ),
  };
}

export function initialState(cfg: Config): State {
  const { procs, vpages, frames, jobs, invalidations } = cfg.scope;
  const vram = cfg.scope.vram ?? 0;
  const notifiers = cfg.scope.notifiers ?? 1;
  const s: State = {
    // System RAM first, then the peer's VRAM (p2p until its driver hands a frame out as device-private).
    frames: Array.from({ length: frames + vram }, (_, f) => ({
      kind: f < frames ? ('system' as const) : ('p2p' as const),
      owner: f < frames ? NONE : PEER,
      locked: false,
      gen: 0, refcount: 0, pincount: 0, mapcount: 0, value: 0, free: true, dirty: false, slot: NONE, zone: zoneOf(cfg, f),
    })),
    mms: Array.from({ length: procs }, () => ({
      alive: false,
      oomVictim: false,
      oomReaped: false,
      seq: 2, // __mmu_notifier_register starts invalidate_seq at 2
      active: 0,
      wpSeq: 0, // seqcount_init(&mm->write_protect_seq)
      ptes: Array.from({ length: vpages }, (): Pte => ({ mapped: false, frame: NONE, writable: false, prot: VM_RW, swapped: false, swap: 0, slot: NONE, epoch: 0, dax: false, shared: false, exclusive: NONE })),
    })),
    // Scope.notifiers slots per process (model/subscriptions.ts): slot p + k * procs is p's k-th notifier.
    subs: Array.from({ length: procs * notifiers }, (_, k) => ({ live: false, proc: k % procs, seq: 0, deferred: false, removing: false, freed: false })),
    invs: Array.from({ length: invalidations }, () => ({
      live: false,
      proc: 0,
      pages: 0,
      cause: 'migrate' as const,
      owner: NONE,
      blockable: true,
      avoid: 0,
      rmap: NONE,
      oldFrames: Array.from({ length: vpages }, () => NONE),
      oldGens: Array.from({ length: vpages }, () => 0),
      cb: Array.from({ length: procs * notifiers }, () => CB_RETURNED),
    })),
    dev: emptyDevice(procs, vpages),
    peer: { kind: 'gpu', present: vram > 0 },
    jobs: Array.from({ length: jobs }, (): Job => ({ state: 'free', proc: 0, vpage: 0, write: false, value: 0, frame: NONE, gen: 0, epoch: 0, mapEpoch: 0, p2p: false, dmaDev: DEV, dmaAddr: 'iova', error: noJobError() })),
    queues: Array.from({ length: procs }, () => ({ state: 'running' as const })),
    regs: Array.from({ length: procs }, (_, p) => ({ live: false, proc: p, closing: false, opening: false, epochs: Array.from({ length: vpages }, () => -1) })),
    nextValue: 1,
    forks: 0,
    fork: noFork(),
    drv: {},
  };
  if (cfg.exit) s.mms.forEach((mm) => (mm.exiting = false));
  if (cfg.zeroPage) {
    // ZERO_PAGE(0): a frame slot of its own after the others, never allocated, never freed.
    const z = s.frames.length;
    s.frames.push({ kind: 'system', owner: NONE, locked: false, gen: 0, refcount: 0, pincount: 0, mapcount: 0, value: 0, free: true, dirty: false, slot: NONE, zone: 'normal' });
    zeroFrame(s.frames[z]!);
    s.zeroPfn = z;
  }
  if (cfg.mirrors === 2) {
    // The hmm2 fixture's second dmirror device: its page table; every job says which device runs it.
    s.dev1 = emptyDevice(procs, vpages);
    s.jobs.forEach((j) => (j.dev = DEV));
  }
  // Process 0 starts with every page mapped and populated (value 0); with the zero page, mapped and
  // untouched (pte_none: the first access faults it in, do_anonymous_page).
  const mm = s.mms[0]!;
  mm.alive = true;
  mm.ptes.forEach((pte, v) => {
    pte.mapped = true;
    pte.frame = cfg.zeroPage ? NONE : allocFrame(s, 0);
    pte.writable = !cfg.zeroPage;
    pte.dax = (((cfg.dax ?? 0) >> v) & 1) === 1;
    pte.shared = (((cfg.shared ?? 0) >> v) & 1) === 1;
  });
  return s;
}

function freeJobSlot(s: State): number {
  for (let j = 0; j < s.jobs.length; j++) if (s.jobs[j]!.state === 'free') return j;
  return NONE;
}

/** A read-only page do_wp_page reuses in place (wp_can_reuse_anon_folio, model/swap.ts): no other reference. */
function cowReusable(s: State, pte: Pte): boolean {
  return wpReusable(s, pte.frame);
}

const act = (k: string, a = NONE, b = NONE): Action => ({ k, a, b });

export function worldEnabled(s: State, cfg: Config, strat: Strategy, ctx: DriverContext, out: Action[]): void {
  const canInvalidate = freeInvalidationSlot(s) !== NONE;
  const haveFrame = findFreeFrame(s) !== NONE;
  const jobSlot = freeJobSlot(s) !== NONE;
  for (let p = 0; p < s.mms.length; p++) {
    const mm = s.mms[p]!;
    if (!mm.alive) continue;
    // fork and mprotect hold the mmap write lock: a CPU access that faults (swap-in, copy-on-write) waits
    // for it, and so do mmap and munmap (they take it for write).
    const faultsWait = mmapWriteLocked(s, p);
    for (let v = 0; v < mm.ptes.length; v++) {
      const pte = mm.ptes[v]!;
      const busy = invalidating(s, p, v);
      if (pte.mapped) {
        const present = pte.frame !== NONE;
        // A fault in needs a free frame, unless the swap cache still has the page (do_swap_page).
        const faultIn = !faultsWait && (haveFrame || cachedFrame(s, pte.slot) !== NONE);
        // A read of an untouched page maps the zero page: no frame needed (do_anonymous_page).
        const readIn = faultIn || (!faultsWait && s.zeroPfn !== undefined && pteNone(pte));
        // A device-private page or a page locked by a move: the CPU access faults and waits for its
        // owner (migrate_to_ram, the move fence); the strategy models that path.
        const touch = cpuCanTouch(s, pte) && pte.exclusive === NONE; // a device-exclusive entry faults first
        // An access the VMA does not allow faults with SIGSEGV (access_error in do_user_addr_fault): none.
        if (touch && vmaReadable(pte) && (present || readIn)) out.push(act('cpu_read', p, v));
        if (touch && vmaWritable(pte) && (present ? pte.writable || (!faultsWait && (cowReusable(s, pte) || (!busy && canInvalidate))) : faultIn)) {
          out.push(act('cpu_write', p, v));
        }
        // A driver's buffer VMA stays mapped (simplification), and munmap waits for a locked page.
        const driverVma = present && s.frames[pte.frame]!.owner !== NONE && s.frames[pte.frame]!.kind !== 'device-private';
        if (!busy && !faultsWait && canInvalidate && !driverVma && !pteLocked(s, pte)) out.push(act('munmap', p, v));
        if (pte.exclusive !== NONE) {
          // Simplification: the kernel's own moves leave a device-exclusive page alone.
        } else if (pte.dax) {
          // The filesystem moves a DAX block only once the page is idle (dax_layout_busy_page waits for
          // every extra reference, a pin included, to drop).
          const fr = present ? s.frames[pte.frame]! : null;
          if (fr && !busy && canInvalidate && fr.mapcount === 1 && fr.refcount === fr.mapcount && !pteLocked(s, pte)) out.push(act('dax_move', p, v));
        } else if (present && !busy && canInvalidate && s.frames[pte.frame]!.mapcount === 1 && coreMmPage(s.frames[pte.frame]!) && !pteLocked(s, pte)) {
          out.push(act('migrate', p, v));
          const pinned = s.frames[pte.frame]!.pincount > 0;
          if (!(pinned && cfg.kernel.reclaimSkipsPinned)) out.push(act('reclaim', p, v));
        } else if (present && !busy && cfg.migrateShared && canMigrateShared(s, p, v)) {
          out.push(act('migrate', p, v)); // a page two processes map: try_to_migrate's rmap walk (model/migrate-shared.ts)
        }
        if (jobSlot && (!strat.needsRegistration || (s.regs[p]!.live && !s.regs[p]!.closing && !s.regs[p]!.opening))) {
          out.push(act('submit', p, v));
          out.push(act('submit_write', p, v));
          if (s.dev1) {
            out.push(act('submit1', p, v));
            out.push(act('submit1_write', p, v));
          }
        }
      } else if (haveFrame && !busy && !faultsWait) {
        out.push(act('mmap', p, v));
      }
    }
    if (canFork(s, p) && canInvalidate && !procInvalidating(s, p) && !mm.ptes.some((pte) => pteLocked(s, pte))) {
      out.push(act('fork', p));
    }
    const reg = s.regs[p]!;
    if (!reg.live && strat.canRegister(s, p, ctx)) out.push(act('register', p));
    if (reg.live && !reg.closing) out.push(act('deregister', p));
  }
  for (let j = 0; j < s.jobs.length; j++) {
    const job = s.jobs[j]!;
    if (job.state === 'ready' && queueRuns(s, job.proc)) out.push(act('dma_start', j));
    else if (job.state === 'running') out.push(act('dma_land', j));
    else if (job.state === 'failed' || (job.state === 'landed' && cfg.queue === 'kernel')) out.push(act('job_complete', j));
    else if (job.state === 'landed') out.push(act('user_signal', j));
  }
  // A fork's invalidate_range_end comes once copy_page_range has copied every page.
  for (let i = 0; i < s.invs.length; i++) {
    const inv = s.invs[i]!;
    if (inv.live && callbacksReturned(s, i) && (inv.cause !== 'fork' || forkCopied(s)) && rmapReturned(s, i)) out.push(act('invalidate_end', i));
  }
  forkEnabled(s, out);
  mprotectEnabled(s, cfg, out);
  for (let f = 0; f < s.frames.length; f++) if (removable(s, f)) out.push(act('remove_mapping', f));
  zonesEnabled(s, out);
  subscriptionEnabled(s, out);
  pressureEnabled(s, out, victimUserKinds);
  exitEnabled(s, cfg, out);
  // A process a driver killed (SIGKILL), or one that is exiting, does nothing more in user space, and
  // signals no user fence.
  const gone = (proc: number) => s.mms[proc]!.killed === true || s.mms[proc]!.exiting === true;
  if (s.mms.some((mm, p) => gone(p))) {
    for (let i = out.length - 1; i >= 0; i--) {
      const x = out[i]!;
      const proc = x.k === 'user_signal' ? s.jobs[x.a]!.proc : victimUserKinds.has(x.k) ? x.a : NONE;
      if (proc !== NONE && gone(proc)) out.splice(i, 1);
    }
  }
}

/**
 * The kernel variant insert-not-covered: __mmu_interval_notifier_insert gives a notifier inserted while an
 * invalidation of the mm is active the seq of an idle mm (invalidate_seq - 1), as if no range covered it,
 * instead of the mm's odd seq ("we must assume this new range is included"). Applied to the notifiers the
 * driver's registration just inserted (model/mm.ts subscribe is the kernel's own insert).
 */
function insertNotCovered(s: State, proc: number, wasLive: readonly boolean[]): void {
  const mm = s.mms[proc]!;
  if (mm.active === 0) return;
  s.subs.forEach((sb, k) => {
    if (wasLive[k] || !sb.live || sb.proc !== proc || sb.deferred) return;
    sb.seq = mm.seq - 1;
  });
}

/** Start a copy-on-write break of (proc, vpage): the write fault's invalidation. */
export function breakCow(s: State, strat: Strategy, ctx: DriverContext, proc: number, vpage: number): boolean {
  if (invalidating(s, proc, vpage)) return false;
  return startInvalidation(s, proc, 1 << vpage, 'cow', ctx, (i) => strat.onInvalidateStart(s, i, ctx)) !== NONE;
}

/** Apply a world action; returns false if the action is not one of the world's. */
export function applyWorld(s: State, a: Action, cfg: Config, strat: Strategy, ctx: DriverContext): boolean {
  const start = (proc: number, pages: number, cause: 'migrate' | 'munmap' | 'reclaim' | 'dax-move') =>
    startInvalidation(s, proc, pages, cause, ctx, (i) => strat.onInvalidateStart(s, i, ctx));
  switch (a.k) {
    case 'cpu_read': {
      const pte = s.mms[a.a]!.ptes[a.b]!;
      if (s.zeroPfn !== undefined && pteNone(pte)) doAnonymousPage(s, pte, false);
      else if (pte.frame === NONE) swapIn(s, pte);
      ctx.emit({ t: 'cpu_read', proc: a.a, vpage: a.b, frame: pte.frame, value: s.frames[pte.frame]!.value });
      return true;
    }
    case 'cpu_write': {
      const pte = s.mms[a.a]!.ptes[a.b]!;
      if (s.zeroPfn !== undefined && pteNone(pte)) doAnonymousPage(s, pte, true);
      else if (pte.frame === NONE) swapIn(s, pte, true);
      if (!pte.writable) {
        if (!cowReusable(s, pte)) {
          // do_wp_page on a shared page: the copy is an invalidation; the store is retried after it.
          breakCow(s, strat, ctx, a.a, a.b);
          return true;
        }
        wpReuse(s, pte.frame); // folio_free_swap of a page the swap cache still holds
        pte.writable = true; // wp_page_reuse
      }
      const fr = s.frames[pte.frame]!;
      fr.value = s.nextValue;
      fr.dirty = true;
      s.nextValue++;
      ctx.emit({ t: 'cpu_write', proc: a.a, vpage: a.b, frame: pte.frame, value: fr.value });
      return true;
    }
    case 'fork':
      startFork(s, a.a, ctx, (i) => strat.onInvalidateStart(s, i, ctx));
      return true;
    case 'munmap':
      start(a.a, 1 << a.b, 'munmap');
      return true;
    case 'migrate': {
      const pte = s.mms[a.a]!.ptes[a.b]!;
      const fr = s.frames[pte.frame]!;
      // folio_migrate_mapping: a page with references beyond its mappings (a pin, a GUP reference)
      // cannot be migrated: migrate_pages fails with -EAGAIN.
      if (fr.refcount > fr.mapcount && cfg.kernel.migrateFailsPinned) {
        ctx.emit({ t: 'migrate_refused', proc: a.a, vpage: a.b, frame: pte.frame });
        return true;
      }
      if (fr.mapcount > 1) startSharedMigration(s, a.a, a.b, ctx, (i) => strat.onInvalidateStart(s, i, ctx));
      else start(a.a, 1 << a.b, 'migrate');
      return true;
    }
    case 'dax_move':
      start(a.a, 1 << a.b, 'dax-move');
      return true;
    case 'reclaim':
      if (cfg.kernel.reclaimWithoutNotifier) {
        // Kernel variant reclaim-without-notifier: try_to_unmap_one changes the PTE with no
        // invalidate_range_start/end around it, so no callback runs and no device is told.
        swapOut(s, s.mms[a.a]!.ptes[a.b]!);
        ctx.emit({ t: 'unmap_unnotified', proc: a.a, vpage: a.b });
        return true;
      }
      start(a.a, 1 << a.b, 'reclaim');
      return true;
    case 'mmap': {
      const pte = s.mms[a.a]!.ptes[a.b]!;
      pte.mapped = true;
      // With the zero page, mmap(MAP_ANONYMOUS) without MAP_POPULATE: the page stays untouched (pte_none).
      pte.frame = cfg.zeroPage ? NONE : allocFrame(s, 0);
      pte.writable = !cfg.zeroPage;
      pte.prot = VM_RW; // mmap(PROT_READ | PROT_WRITE)
      pte.swapped = false;
      pte.slot = NONE;
      pte.dax = false; // anonymous memory
      pte.shared = false; // MAP_PRIVATE
      pte.exclusive = NONE;
      pte.epoch++;
      ctx.emit({ t: 'mmap', proc: a.a, vpage: a.b, ...(cfg.zeroPage ? { untouched: true } : {}) });
      return true;
    }
    case 'register': {
      const reg = s.regs[a.a]!;
      reg.live = true;
      reg.closing = false;
      reg.opening = false;
      s.mms[a.a]!.ptes.forEach((pte, v) => (reg.epochs[v] = pte.mapped ? pte.epoch : -1));
      const wasLive = s.subs.map((sb) => sb.live);
      strat.onRegister(s, a.a, ctx);
      if (cfg.kernel.insertNotCovered) insertNotCovered(s, a.a, wasLive);
      return true;
    }
    case 'deregister':
      s.regs[a.a]!.closing = true;
      strat.onDeregister(s, a.a, ctx);
      return true;
    case 'submit':
    case 'submit_write':
    case 'submit1':
    case 'submit1_write': {
      const j = freeJobSlot(s);
      const job = s.jobs[j]!;
      job.proc = a.a;
      job.vpage = a.b;
      job.write = a.k === 'submit_write' || a.k === 'submit1_write';
      if (s.dev1) job.dev = a.k === 'submit1' || a.k === 'submit1_write' ? DEV1 : DEV;
      job.mapEpoch = s.mms[a.a]!.ptes[a.b]!.epoch;
      job.value = 0;
      if (job.write) {
        job.value = s.nextValue;
        s.nextValue++;
      }
      job.frame = NONE;
      clearJobError(s, j);
      if (cfg.queue === 'kernel') {
        job.state = 'submitted';
        strat.onSubmit(s, j, ctx);
      } else {
        job.state = 'ready'; // a doorbell: the kernel never sees it
      }
      return true;
    }
    case 'dma_start': {
      const job = s.jobs[a.a]!;
      // The device that runs the job translates through its own page table.
      const e = mirrorOf(s, job.dev)[job.proc]![job.vpage]!;
      const by = job.dev !== undefined ? { dev: job.dev } : {};
      if (e.frame !== NONE && (e.writable || !job.write)) {
        job.state = 'running';
        job.frame = e.frame;
        job.gen = e.gen;
        job.epoch = e.epoch;
        job.p2p = e.p2p;
        job.dmaDev = e.dmaDev;
        job.dmaAddr = e.dmaAddr;
        ctx.emit({ t: 'dma_start', job: a.a, proc: job.proc, vpage: job.vpage, frame: e.frame, gen: e.gen, p2p: e.p2p, recoverable: s.dev.recoverable, ...by });
      } else if (s.dev.recoverable) {
        job.state = 'faulting';
        ctx.emit({ t: 'device_fault', job: a.a, proc: job.proc, vpage: job.vpage, fatal: false });
        strat.onDeviceFault(s, a.a, ctx);
      } else {
        recordFailure(s, a.a, FATAL_DEVICE_FAULT);
        ctx.emit({ t: 'device_fault', job: a.a, proc: job.proc, vpage: job.vpage, fatal: true });
      }
      return true;
    }
    case 'dma_land': {
      const job = s.jobs[a.a]!;
      const fr = s.frames[job.frame]!;
      if (job.write) fr.value = job.value;
      else job.value = fr.value;
      job.state = 'landed';
      ctx.emit({
        t: 'dma_land',
        job: a.a,
        proc: job.proc,
        vpage: job.vpage,
        frame: job.frame,
        gen: job.gen,
        epoch: job.epoch,
        write: job.write,
        value: job.value,
        p2p: job.p2p,
        dmaDev: job.dmaDev,
        dmaAddr: job.dmaAddr,
        ...(job.dev !== undefined ? { dev: job.dev } : {}),
      });
      return true;
    }
    case 'job_complete':
    case 'user_signal': {
      const job = s.jobs[a.a]!;
      const error = job.state === 'failed';
      ctx.emit({ t: 'fence_signal', job: a.a, error });
      strat.onFenceSignal(s, a.a, ctx);
      job.state = 'free';
      clearJobError(s, a.a);
      return true;
    }
    case 'invalidate_end':
      finishInvalidation(s, a.a, cfg, strat, ctx);
      return true;
    case 'remove_mapping':
      removeMapping(s, a.a);
      ctx.emit({ t: 'swapcache_free', frame: a.a });
      return true;
    default:
      return applyFork(s, a, cfg, strat, ctx) || applyMprotect(s, a, strat, ctx) || applyZones(s, a, cfg, strat, ctx) || applySubscription(s, a, ctx) || applyPressure(s, a, cfg, strat, ctx) || applyExit(s, a, strat, ctx);
  }
}

/**
 * Everything the core mm does once every callback returned (the callers of
 * mmu_notifier_invalidate_range_start go on), then invalidate_range_end: the seq becomes even again
 * and read_begin's sleepers wake.
 */
function finishInvalidation(s: State, i: number, cfg: Config, strat: Strategy, ctx: DriverContext): void {
  const inv = s.invs[i]!;
  const mm = s.mms[inv.proc]!;
  let changed = false;
  for (let v = 0; v < mm.ptes.length; v++) {
    if (!((inv.pages >> v) & 1)) continue;
    const pte = mm.ptes[v]!;
    switch (inv.cause) {
      case 'munmap':
        // zap_pte_range: a special PTE (the zero page) has no folio to put.
        if (pte.frame !== NONE && !isZeroPfn(s, pte.frame)) unmapFrame(s, pte.frame);
        zapSwapEntry(s, pte); // free_swap_and_cache
        pte.mapped = false;
        pte.frame = NONE;
        pte.swapped = false;
        pte.writable = false;
        pte.prot = VM_RW; // no VMA: nothing to protect (mmap gives the next one its own)
        pte.exclusive = NONE; // zap_pte_range drops a device-exclusive entry too
        pte.epoch++;
        ctx.emit({ t: 'munmap', proc: inv.proc, vpage: v });
        changed = true;
        break;
      case 'migrate':
      case 'dax-move':
      case 'cow': {
        // migrate: move_to_new_folio + remove_migration_ptes; cow: wp_page_copy; dax-move: the block's
        // data copied to its new place, the new pfn faulted in. All copy the contents
        // as they are now, so a DMA that landed before the callbacks returned is carried over.
        if (pte.frame === NONE) break;
        if (inv.rmap !== NONE) {
          if (finishSharedMigration(s, i, v)) changed = true;
          break;
        }
        const old = pte.frame;
        // A migration out of ZONE_MOVABLE / CMA (FOLL_LONGTERM, offlining) takes its new page elsewhere.
        const nf = inv.avoid !== 0 ? allocFrameOutside(s, s.frames[old]!.value, inv.avoid) : allocFrame(s, s.frames[old]!.value);
        if (nf === NONE) break; // -ENOMEM: the old mapping stays
        if (inv.cause === 'migrate' && s.frames[old]!.slot !== NONE) {
          // folio_migrate_mapping of a page in the swap cache: the new page takes its place in the cache.
          s.frames[nf]!.slot = s.frames[old]!.slot;
          s.frames[nf]!.dirty = s.frames[old]!.dirty;
          s.frames[old]!.slot = NONE;
        }
        pte.frame = nf;
        // wp_page_copy maps the copy writable; remove_migration_ptes restores the PTE as it was (a
        // read-only page, e.g. one the swap cache shares with a child's swap entry, stays read-only); a
        // copy in a read-only VMA (an unshare) stays read-only.
        if (inv.cause === 'cow' || s.frames[nf]!.slot === NONE) pte.writable = vmaWritable(pte);
        // wp_page_copy of the zero page: a zeroed page (the zero page's value is 0), no folio to put.
        if (!isZeroPfn(s, old)) unmapFrame(s, old);
        changed = true;
        break;
      }
      case 'reclaim':
        if (swapOut(s, pte)) changed = true;
        break;
      case 'fork': // copied page by page before (model/fork.ts)
      case 'exit': // exit_mmap's unmap comes after mn_itree_inv_end (finishExit)
        break;
      case 'mprotect':
        if (finishMprotect(s, pte)) changed = true;
        break;
      case 'oom':
        reapPage(s, inv.proc, v, ctx);
        pte.exclusive = NONE;
        changed = true;
        break;
      case 'exclusive':
        // make_device_exclusive (with the device as owner) or remove_device_exclusive_entry (none).
        if (finishExclusive(s, inv.proc, v, inv.owner)) changed = true;
        break;
      case 'peer-move':
        // The GPU driver moves its page once the peer-memory clients' callbacks returned.
        if (finishPeerMove(s, inv.proc, v, ctx)) changed = true;
        break;
      case 'device-migrate':
        // migrate_vma_collect: lock the pages, migration entries in the CPU PTEs; the copy and the new
        // PTEs are the migrating driver's later steps (migrate_vma_pages, migrate_vma_finalize).
        if (collectForMigration(s, inv.proc, v)) changed = true;
        break;
    }
  }
  if (inv.cause === 'fork') changed = finishFork(s, ctx);
  if (inv.cause === 'exit') changed = true;
  inv.live = false;
  mmInvEnd(s, inv.proc); // mmu_notifier_invalidate_range_end
  ctx.emit({ t: 'invalidate_end', inv: i, proc: inv.proc, pages: inv.pages, cause: inv.cause, changed });
  if (inv.cause === 'exit') finishExit(s, inv.proc, strat, ctx);
}
