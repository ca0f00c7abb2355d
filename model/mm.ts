// Core mm helpers: frame allocation and freeing, pins, the invalidation's start and end, and
// hmm_range_fault. Used by the world's actions and by strategies; all update a state in place.
import { CB_RETURNED, DEV, DEV1, NONE, VM_READ, VM_WRITE } from './types.ts';
import type { DmaAddr, Frame, InvalidationCause, MirrorEntry, Pte, State } from './types.ts';
import type { DriverContext } from './strategy.ts';
import type { Errno, JobErrorCause } from './events.ts';
import { doSwapPage } from './swap.ts';
import { doAnonymousPage, pteNone } from './zero-page.ts';

/** The lowest free system-RAM frame, or NONE (out of memory). Deterministic: lowest index first. */
export function findFreeFrame(s: State): number {
  for (let f = 0; f < s.frames.length; f++) if (s.frames[f]!.free && s.frames[f]!.kind === 'system') return f;
  return NONE;
}

export function freeFrames(s: State): number {
  let n = 0;
  for (const fr of s.frames) if (fr.free && fr.kind === 'system') n++;
  return n;
}

/** Allocate a frame holding `value`, mapped once (the caller installs the PTE). */
export function allocFrame(s: State, value: number): number {
  const f = findFreeFrame(s);
  if (f === NONE) return NONE;
  claimFrame(s.frames[f]!, NONE, 1, value);
  return f;
}

/** Take a free frame for `owner` (NONE: an anonymous page) with `mapcount` mappings, holding `value`. */
export function claimFrame(fr: Frame, owner: number, mapcount: number, value: number): void {
  fr.free = false;
  fr.owner = owner;
  fr.locked = false;
  fr.refcount = 1;
  fr.mapcount = mapcount;
  fr.pincount = 0;
  fr.value = value;
  fr.dirty = true;
}

/**
 * put_page: drop one reference; free the frame (bump its generation) when none is left and the swap cache
 * does not hold it (its reference is `slot`, model/swap.ts).
 */
export function putFrame(fr: Frame): void {
  fr.refcount--;
  if (fr.refcount <= 0 && fr.slot === NONE) freeFrame(fr);
}

/**
 * The last reference is gone: free_unref_folio gives the page back (its generation bumped: a translation
 * of it is stale from now on). The page is zeroed as it goes, as init_on_free does
 * (CONFIG_INIT_ON_FREE_DEFAULT_ON, kernel_init_pages in free_pages_prepare): a stale DMA that reads it
 * reads zeros, not the contents it had, which no one may count on anyway (without init_on_free the
 * allocator leaves what it likes). Every allocation writes the page afresh, so its old contents are
 * dead, and the finite model needs no value for them.
 */
export function freeFrame(fr: Frame): void {
  fr.refcount = 0;
  fr.free = true;
  fr.gen++;
  fr.dirty = false;
  fr.locked = false;
  fr.value = 0;
  // A system page goes back to the page allocator; VRAM stays its device's.
  if (fr.kind === 'system') fr.owner = NONE;
}

/** Remove one PTE mapping of a frame (page_remove_rmap + put_page). */
export function unmapFrame(s: State, f: number): void {
  const fr = s.frames[f]!;
  fr.mapcount--;
  putFrame(fr);
}

/** pin_user_pages on a present page: FOLL_PIN raises the refcount and the pin count. */
export function pinFrame(s: State, f: number, ctx: DriverContext): void {
  const fr = s.frames[f]!;
  fr.pincount++;
  fr.refcount++;
  ctx.emit({ t: 'pin', frame: f, pincount: fr.pincount });
}

/** unpin_user_page(s)_dirty_lock: mark dirty (if asked), drop the pin and its reference. */
export function unpinFrame(s: State, f: number, dirty: boolean, ctx: DriverContext): void {
  const fr = s.frames[f]!;
  if (dirty && !fr.free) fr.dirty = true;
  fr.pincount--;
  ctx.emit({ t: 'unpin', frame: f, pincount: fr.pincount });
  putFrame(fr);
}

export function ptePresent(pte: Pte): boolean {
  return pte.mapped && pte.frame !== NONE;
}

/** The VMA allows writes (VM_WRITE): a PTE the core mm makes writable must have it. */
export function vmaWritable(pte: Pte): boolean {
  return (pte.prot & VM_WRITE) !== 0;
}

/** The VMA allows reads (VM_READ): PROT_NONE has neither bit. */
export function vmaReadable(pte: Pte): boolean {
  return (pte.prot & VM_READ) !== 0;
}

/** Swap a page back in (do_swap_page, model/swap.ts): the swap cache's page, or the slot read into a new one. */
export function swapIn(s: State, pte: Pte, write = false): boolean {
  return doSwapPage(s, pte, write);
}

/** Is an invalidation of (proc, vpage) in progress? */
export function invalidating(s: State, proc: number, vpage: number): boolean {
  for (const inv of s.invs) if (inv.live && inv.proc === proc && (inv.pages >> vpage) & 1) return true;
  return false;
}

/** Is a munmap of (proc, vpage) in progress (its VMA already detached)? */
export function munmapping(s: State, proc: number, vpage: number): boolean {
  for (const inv of s.invs) if (inv.live && inv.proc === proc && inv.cause === 'munmap' && (inv.pages >> vpage) & 1) return true;
  return false;
}

/** Is `proc` forking? fork holds the mmap write lock: page faults and hmm_range_fault wait for it. */
export function forking(s: State, proc: number): boolean {
  for (const inv of s.invs) if (inv.live && inv.proc === proc && inv.cause === 'fork') return true;
  return false;
}

/**
 * Is the mmap lock of `proc` held for write: fork (dup_mmap) or mprotect (do_mprotect_pkey holds it
 * across mprotect_fixup and change_protection)? Page faults, GUP and hmm_range_fault wait for it.
 */
export function mmapWriteLocked(s: State, proc: number): boolean {
  for (const inv of s.invs) if (inv.live && inv.proc === proc && (inv.cause === 'fork' || inv.cause === 'mprotect')) return true;
  return false;
}

/** Any invalidation of `proc` in progress (mmu_interval_notifier_remove waits for it to end). */
export function procInvalidating(s: State, proc: number): boolean {
  for (const inv of s.invs) if (inv.live && inv.proc === proc) return true;
  return false;
}

export function freeInvalidationSlot(s: State): number {
  for (let i = 0; i < s.invs.length; i++) if (!s.invs[i]!.live) return i;
  return NONE;
}

/** Is a DMA of `proc` in flight (translated, not landed) to one of `pages`? */
export function dmaInFlight(s: State, proc: number, pages: number): boolean {
  for (const j of s.jobs) if (j.state === 'running' && j.proc === proc && (pages >> j.vpage) & 1) return true;
  return false;
}

/**
 * Does the device hold a page of `pages` of `proc`: a translation in its mirror, or a pin on the frame the
 * PTE maps (pin_user_pages)? Such a range is one whose invalidation the design has to answer for.
 */
export function deviceHolds(s: State, proc: number, pages: number): boolean {
  const ptes = s.mms[proc]!.ptes;
  for (let v = 0; v < ptes.length; v++) {
    if (!((pages >> v) & 1)) continue;
    if (s.dev.mirror[proc]![v]!.frame !== NONE) return true;
    if (s.dev1 && s.dev1.mirror[proc]![v]!.frame !== NONE) return true;
    const pte = ptes[v]!;
    if (ptePresent(pte) && s.frames[pte.frame]!.pincount > 0) return true;
  }
  return false;
}

/**
 * mmu_notifier_invalidate_range_start: the mm's seq becomes odd (mn_itree_inv_start_range) and every
 * subscription of the process is owed a callback. The callbacks run as the strategy's own actions; the
 * core mm changes the PTEs only in finishInvalidation, after every callback returned.
 */
export function startInvalidation(
  s: State,
  proc: number,
  pages: number,
  cause: InvalidationCause,
  ctx: DriverContext,
  onStart: (inv: number) => void,
  owner = NONE,
): number {
  const i = freeInvalidationSlot(s);
  if (i === NONE) return NONE;
  const mm = s.mms[proc]!;
  const inv = s.invs[i]!;
  inv.live = true;
  inv.proc = proc;
  inv.pages = pages;
  inv.cause = cause;
  inv.owner = owner; // mmu_notifier_range_init_owner
  inv.blockable = cause !== 'oom'; // __oom_reap_task_mm: mmu_notifier_invalidate_range_start_nonblock
  inv.avoid = 0;
  inv.rmap = NONE;
  for (let v = 0; v < mm.ptes.length; v++) {
    const pte = mm.ptes[v]!;
    const present = (pages >> v) & 1 && ptePresent(pte);
    inv.oldFrames[v] = present ? pte.frame : NONE;
    inv.oldGens[v] = present ? s.frames[pte.frame]!.gen : 0;
  }
  let callbacks = 0;
  for (let k = 0; k < s.subs.length; k++) {
    const sub = s.subs[k]!;
    // mn_itree_invalidate walks the interval tree: a notifier still on the deferred list of its insert is not in it.
    inv.cb[k] = sub.live && sub.proc === proc && !sub.deferred ? 0 : CB_RETURNED;
    if (inv.cb[k] === 0) callbacks++;
  }
  if (mm.active === 0) mm.seq |= 1;
  mm.active++;
  ctx.emit({ t: 'invalidate_start', inv: i, proc, pages, cause, owner, dmaInFlight: dmaInFlight(s, proc, pages), deviceHolds: deviceHolds(s, proc, pages), callbacks });
  onStart(i);
  return i;
}

export function callbacksReturned(s: State, inv: number): boolean {
  for (const c of s.invs[inv]!.cb) if (c !== CB_RETURNED) return false;
  return true;
}

/** The invalidate callback of subscription `sub` returns. */
export function callbackReturn(s: State, inv: number, sub: number, ctx: DriverContext): void {
  s.invs[inv]!.cb[sub] = CB_RETURNED;
  ctx.emit({ t: 'callback_return', inv, sub });
}

/**
 * The callback of subscription `sub` refuses a non-blockable invalidation (returns false: -EAGAIN).
 * mn_itree_invalidate stops at the first refusal and undoes the seq (mn_itree_inv_end); the caller must
 * not call invalidate_range_end and changes no PTE: the invalidation is abandoned here, and the OOM
 * reaper may try again later. (The model has one subscription per process, so no other callback of the
 * same invalidation can be half way through.)
 */
export function callbackRefuse(s: State, inv: number, sub: number, ctx: DriverContext): void {
  const iv = s.invs[inv]!;
  ctx.emit({ t: 'callback_refuse', inv, sub });
  iv.live = false;
  for (let k = 0; k < iv.cb.length; k++) iv.cb[k] = CB_RETURNED;
  // mn_itree_invalidate's out_would_block: mn_itree_inv_end (unless the kernel variant leaves it out).
  if (!ctx.cfg.kernel.refusedStartNotUndone) mmInvEnd(s, iv.proc);
  ctx.emit({ t: 'invalidate_abandon', inv, proc: iv.proc, pages: iv.pages, cause: iv.cause });
}

/**
 * mmu_interval_read_begin: returns the subscription's seq, or null while an invalidation that has set
 * this subscription's seq is running (the caller sleeps: the action is not enabled).
 */
export function readBegin(s: State, sub: number): number | null {
  const sb = s.subs[sub]!;
  const mm = s.mms[sb.proc]!;
  if (mm.active > 0 && sb.seq === mm.seq) return null;
  return sb.seq;
}

/** mmu_interval_read_retry */
export function readRetry(s: State, sub: number, seq: number): boolean {
  return s.subs[sub]!.seq !== seq;
}

/** mmu_interval_set_seq(sub, cur_seq), called from the invalidate callback under the driver lock. */
export function setSeq(s: State, inv: number, sub: number): void {
  s.subs[sub]!.seq = s.mms[s.invs[inv]!.proc]!.seq;
}

/**
 * mmu_interval_notifier_insert over the whole address space of `proc` (__mmu_interval_notifier_insert), in
 * a fresh allocation. With invalidations of the mm active (active_invalidate_ranges): if the mm's seq is
 * odd (mn_itree_is_invalidating: some active start found a notifier in the tree) the notifier goes on the
 * deferred list, not into the tree, so no invalidation calls it until mn_itree_inv_end moves it in
 * (mmInvEnd); otherwise it goes into the tree and the seq is made odd. Either way its seq is the mm's odd
 * seq, so mmu_interval_read_begin sleeps until the end. With none active: into the tree with seq - 1.
 * The model's seq is odd whenever an invalidation is active; the kernel's is odd once a start, or an
 * insert, met a notifier of the mm: here, while another notifier of the mm is linked (in the tree, or on
 * the deferred list), which is the same but for a deferred insert already removed again.
 */
export function subscribe(s: State, proc: number, slot: number = proc): number {
  const sb = s.subs[slot]!;
  const mm = s.mms[proc]!;
  sb.live = true;
  sb.proc = proc;
  sb.freed = false; // a new allocation in the slot
  sb.removing = false;
  if (mm.active > 0) {
    sb.deferred = s.subs.some((o, k) => k !== slot && o.live && o.proc === proc);
    sb.seq = mm.seq;
  } else {
    sb.deferred = false;
    sb.seq = mm.seq - 1;
  }
  return slot;
}

/**
 * mmu_interval_notifier_remove. With no invalidation of the mm active, the notifier leaves the interval
 * tree at once; one still on the deferred list of its insert is taken off it at once too. Otherwise it stays
 * in the tree, queued on the deferred list for removal (every invalidation in progress, and every one that
 * starts before the last ends, still calls it), and remove sleeps (wait_event on subscriptions->wq) until
 * mn_itree_inv_end has taken it out. Returns whether remove returned: only then may its driver free it
 * (freeSubscription). "It cannot be called from any ops callback": the callback would wait for itself.
 */
export function removeNotifier(s: State, sub: number, ctx: DriverContext): boolean {
  const sb = s.subs[sub]!;
  if (!sb.live) return true;
  const waits = s.mms[sb.proc]!.active > 0 && !sb.deferred;
  ctx.emit({ t: 'notifier_remove', sub, proc: sb.proc, waits });
  if (waits) {
    sb.removing = true;
    return false;
  }
  sb.live = false;
  sb.deferred = false;
  sb.removing = false;
  return true;
}

/**
 * The driver frees the struct that embeds the notifier (kfree of the umem_odp, the dmirror, the userptr).
 * Right only once removeNotifier returned; before that the kernel still reaches it (the interval tree, the
 * deferred list, a callback owed): properties/no-kernel-use-after-free.ts.
 */
export function freeSubscription(s: State, sub: number, ctx: DriverContext): void {
  s.subs[sub]!.freed = true;
  ctx.emit({ t: 'notifier_free', sub, proc: s.subs[sub]!.proc });
}

/**
 * A driver's teardown of its notifier, as the correct designs do it once no invalidation of the mm is in
 * progress (their guard: procInvalidating): mmu_interval_notifier_remove returns at once, then the free.
 */
export function unsubscribe(s: State, sub: number, ctx: DriverContext): void {
  removeNotifier(s, sub, ctx);
  freeSubscription(s, sub, ctx);
}

/**
 * mn_itree_inv_end, when the mm's last active invalidation ends (or is abandoned): the deferred list is
 * processed (a deferred insert enters the interval tree, a deferred remove leaves it and its remover wakes),
 * then the seq becomes even.
 */
export function mmInvEnd(s: State, proc: number): void {
  const mm = s.mms[proc]!;
  mm.active--;
  if (mm.active !== 0) return;
  for (const sb of s.subs) {
    if (sb.proc !== proc || !sb.live) continue;
    sb.deferred = false;
    if (sb.removing) {
      sb.removing = false;
      sb.live = false;
    }
  }
  mm.seq++;
}

export type RangeFault =
  | { ok: true; frame: number; gen: number; writable: boolean; epoch: number }
  | { ok: false; err: 'EFAULT' | 'EBUSY' | 'ENOMEM' | 'EPERM'; cause: JobErrorCause };

/**
 * What hmm_range_fault says of the VMA before it faults anything in, for a fault that needs read (and
 * write, if `write`):
 * - hmm_vma_walk_test: no VM_READ (PROT_NONE) -> -EFAULT when a fault is required ("If the vma does not
 *   allow read access, then assume that it does not allow write access either");
 * - hmm_vma_fault: HMM_NEED_WRITE_FAULT in a VMA without VM_WRITE -> -EPERM.
 * Null: the VMA allows the access.
 */
export function hmmVmaCheck(pte: Pte, write: boolean): 'EFAULT' | 'EPERM' | null {
  if (!vmaReadable(pte)) return 'EFAULT';
  if (write && !vmaWritable(pte)) return 'EPERM';
  return null;
}

/**
 * GUP's check_vma_flags for pin_user_pages / get_user_pages without FOLL_FORCE: FOLL_WRITE in a VMA
 * without VM_WRITE, or a read of one without VM_READ, is -EFAULT. Null: allowed.
 */
export function gupCheckVmaFlags(pte: Pte, write: boolean): 'EFAULT' | null {
  if (write ? !vmaWritable(pte) : !vmaReadable(pte)) return 'EFAULT';
  return null;
}

/**
 * hmm_range_fault for one page: snapshot the CPU PTE, faulting it in first (swap-in; for a write, a
 * copy-on-write break, which is an invalidation of its own: -EBUSY, go back to read_begin). Takes no
 * page reference.
 */
export function hmmRangeFault(
  s: State,
  proc: number,
  vpage: number,
  write: boolean,
  breakCow: (proc: number, vpage: number) => boolean,
): RangeFault {
  const pte = s.mms[proc]!.ptes[vpage]!;
  // An exiting mm (mm_users 0): the callers' mmget_not_zero fails (ib_umem_odp_map_dma_and_lock,
  // dmirror_range_fault via mmget_not_zero): -EFAULT, as from an mm with no VMA left.
  if (s.mms[proc]!.exiting === true) return { ok: false, err: 'EFAULT', cause: 'fault-failed' };
  // No VMA: never mapped, unmapped, or being unmapped. munmap detaches the VMA first
  // (vms_gather_munmap_vmas), then may downgrade the mmap lock to read and runs unmap_region, whose
  // notifier is the invalidation in progress: an hmm_range_fault that runs then finds no VMA (-EFAULT).
  if (!pte.mapped || munmapping(s, proc, vpage)) return { ok: false, err: 'EFAULT', cause: 'fault-failed' };
  const denied = hmmVmaCheck(pte, write);
  if (denied) return { ok: false, err: denied, cause: 'protection' };
  // An untouched page (configs with the zero page): hmm_vma_fault -> handle_mm_fault -> do_anonymous_page,
  // the zero page for a read (HMM_PFN_REQ_FAULT alone), a zeroed page of its own for HMM_PFN_REQ_WRITE.
  if (s.zeroPfn !== undefined && pteNone(pte) && !doAnonymousPage(s, pte, write)) return { ok: false, err: 'ENOMEM', cause: 'fault-failed' };
  if (pte.frame === NONE) {
    if (!pte.swapped || !swapIn(s, pte, write)) return pte.swapped ? { ok: false, err: 'ENOMEM', cause: 'fault-failed' } : { ok: false, err: 'EFAULT', cause: 'fault-failed' };
    // do_swap_page with FAULT_FLAG_WRITE: pte_mkdirty, so reclaim writes the page out again.
    if (write && pte.writable) s.frames[pte.frame]!.dirty = true;
  }
  // A write to a read-only page, the zero page included (do_wp_page -> wp_page_copy).
  if (write && !pte.writable) {
    breakCow(proc, vpage);
    return { ok: false, err: 'EBUSY', cause: 'fault-failed' };
  }
  const f = pte.frame;
  return { ok: true, frame: f, gen: s.frames[f]!.gen, writable: pte.writable, epoch: pte.epoch };
}

/**
 * The page table of mirroring device `dev` (DEV: State.dev; DEV1: State.dev1, in a config with two
 * mirroring devices).
 */
export function mirrorOf(s: State, dev: number = DEV): MirrorEntry[][] {
  return dev === DEV1 && s.dev1 ? s.dev1.mirror : s.dev.mirror;
}

/** Mark the frames the device may have written dirty (set_page_dirty before the pages are released). */
export function dirtyWritten(s: State, proc: number, pages: number, dev: number = DEV): void {
  mirrorOf(s, dev)[proc]!.forEach((e, v) => {
    if ((pages >> v) & 1 && e.frame !== NONE && e.writable && s.frames[e.frame]!.gen === e.gen) s.frames[e.frame]!.dirty = true;
  });
}

/**
 * The end of an invalidate callback that unmaps: mark what the device wrote dirty, zap the range from
 * the device's page table, return.
 */
export function zapAndReturn(s: State, inv: number, ctx: DriverContext): void {
  const i = s.invs[inv]!;
  dirtyWritten(s, i.proc, i.pages);
  zapMirror(s, i.proc, i.pages);
  callbackReturn(s, inv, i.proc, ctx);
}

/** Zap the device's mirror entries of `proc` for `pages` (device `dev`'s, where there are two). */
export function zapMirror(s: State, proc: number, pages: number, dev: number = DEV): void {
  const m = mirrorOf(s, dev)[proc]!;
  for (let v = 0; v < m.length; v++) if ((pages >> v) & 1) m[v]!.frame = NONE;
}

/**
 * Program the device's translation of (proc, vpage). The DMA address is mapped for the device itself
 * (`dmaDev`, DEV unless given) and is of kind `dmaAddr` (by default what its mapping path gives: the P2P-aware
 * path's choice, or a plain dma_map's IOVA).
 */
export function setMirror(
  s: State, proc: number, vpage: number, frame: number, gen: number, writable: boolean, epoch: number, p2p = false,
  dmaDev: number = DEV, dmaAddr: DmaAddr = p2p ? 'p2pdma' : 'iova', dev: number = DEV,
): void {
  const e = mirrorOf(s, dev)[proc]![vpage]!;
  e.frame = frame;
  e.gen = gen;
  e.writable = writable;
  e.epoch = epoch;
  e.p2p = p2p;
  e.dmaDev = dmaDev;
  e.dmaAddr = dmaAddr;
}

/** All pages of the address space, as a mask. */
export function allPages(s: State): number {
  return (1 << s.mms[0]!.ptes.length) - 1;
}
