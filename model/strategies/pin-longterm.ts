// pin-longterm: pinned RDMA MRs and GPU userptr (KERNEL.md §3). Registration pins every page with
// pin_user_pages(FOLL_LONGTERM) and writes the MR's page list into the device; there is no notifier, so
// the device does not follow the address space: after munmap it still uses the old frame, and what fork
// does to a pinned page is the kernel's business (a kernel-version knob). Deregistration drains the
// process's jobs, then unpins with unpin_user_pages_dirty_lock.
// FOLL_LONGTERM first migrates a page in ZONE_MOVABLE or CMA to ZONE_NORMAL (check_and_migrate_movable_pages,
// model/zones.ts): the registration waits for that migration, then pins (longterm_pin).
// ib_umem_get pins with pin_user_pages_fast: gup_fast, the lockless walk over the range, first (within the
// register ioctl; try_grab_folio_fast refuses a page that is not longterm-pinnable, "let the caller fall
// back to the slow path"), its mm->write_protect_seq re-check a step of its own where a fork may
// write-protect in between (gup_fast_recheck), and the slow path under the mmap lock if it failed.
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { forking, freeFrames, freeInvalidationSlot, invalidating, mmapWriteLocked, pinFrame, procInvalidating, putFrame, setMirror, unpinFrame, vmaWritable, zapMirror } from '../mm.ts';
import { migrateForLongterm, unpinnablePages } from '../zones.ts';
import { gupFastCan, gupFastPin, gupFastRecheck, gupFastRecheckPending } from '../fork.ts';
import { wpReusable, wpReuse } from '../swap.ts';
import { breakCow } from '../world.ts';
import { doAnonymousPage, mapsZeroPage, pteNone } from '../zero-page.ts';

interface PinDriver {
  /** The MR's page list: mr[proc][vpage] = the frame pinned, or NONE (gup_fast's pins, their re-check to come, included). */
  mr: number[][];
  /** Per process, pin_user_pages_fast's progress: 0 none; 1 gup_fast pinned the range, its write_protect_seq re-check to come; 2 the re-check failed, the slow path to come. */
  fast: number[];
  /** Per process while `fast` is 1: the write_protect_seq gup_fast read, and per page the PTE epoch it pinned in. */
  fastSeq: number[];
  fastEpoch: number[][];
}

const ALL = (s: State) => (1 << s.mms[0]!.ptes.length) - 1;

/** ib_umem_release: unpin (or, in the mutants, put) every page of the MR; the device forgets it. */
function release(s: State<PinDriver>, p: number, ctx: DriverContext): void {
  const mr = s.drv.mr[p]!;
  mr.forEach((f, v) => {
    if (f === NONE) return;
    if (ctx.mutant === 'put-page-not-unpin' || ctx.mutant === 'get-user-pages') putFrame(s.frames[f]!);
    else unpinFrame(s, f, true, ctx);
    mr[v] = NONE;
  });
  zapMirror(s, p, ALL(s));
  clearFast(s, p);
  s.regs[p]!.live = false;
  s.regs[p]!.closing = false;
}

function clearFast(s: State<PinDriver>, p: number): void {
  s.drv.fast[p] = 0;
  s.drv.fastSeq[p] = 0;
  s.drv.fastEpoch[p]!.fill(0);
}

/** pin_user_pages over every page of the registration: the MR's page list, the device's translations. */
function pinAll(s: State<PinDriver>, p: number, ctx: DriverContext): void {
  const mr = s.drv.mr[p]!;
  s.mms[p]!.ptes.forEach((pte, v) => {
    // An untouched page (configs with the zero page): pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) finds no
    // page (follow_page_pte), and faultin_page's write fault (do_anonymous_page with FAULT_FLAG_WRITE)
    // allocates a zeroed page of its own, writable: the pin never takes the zero page. The mutant
    // ro-pin-zero-page pins without FOLL_WRITE: the read fault maps the zero page and, without
    // gup_must_unshare's FOLL_LONGTERM clause, GUP pins it as it is; the MR maps it read-only.
    if (pteNone(pte)) doAnonymousPage(s, pte, ctx.mutant !== 'ro-pin-zero-page');
    if (ctx.mutant === 'get-user-pages') s.frames[pte.frame]!.refcount++;
    else pinFrame(s, pte.frame, ctx);
    mr[v] = pte.frame;
    setMirror(s, p, v, pte.frame, s.frames[pte.frame]!.gen, ctx.mutant === 'ro-pin-zero-page' ? pte.writable : true, pte.epoch);
  });
  s.regs[p]!.opening = false;
}

/** The registration fails (ibv_reg_mr returns the errno): nothing is pinned. */
function failPin(s: State<PinDriver>, p: number, errno: 'ENOMEM' | 'EFAULT', ctx: DriverContext): void {
  clearFast(s, p);
  s.regs[p]!.live = false;
  s.regs[p]!.opening = false;
  ctx.emit({ t: 'longterm_pin_failed', proc: p, errno });
}

/**
 * The retry of __gup_longterm_locked once the migration ended, or the slow path after gup_fast's re-check
 * failed: every page present and now longterm-pinnable is pinned; a page that could not move (-ENOMEM: no
 * normal frame) or went away fails it. A page a fork write-protected since is unshared first, as
 * FOLL_WRITE's fault does (do_wp_page: reused if exclusive, else a copy-on-write break, and GUP retries).
 */
function longtermPin(s: State<PinDriver>, p: number, ctx: DriverContext): void {
  const ptes = s.mms[p]!.ptes;
  if (!ptes.every((pte) => pte.mapped && (pte.frame !== NONE || pteNone(pte)) && vmaWritable(pte))) return failPin(s, p, 'EFAULT', ctx);
  for (let v = 0; v < ptes.length; v++) {
    const pte = ptes[v]!;
    // An untouched page is faulted in for write by the pin itself (pinAll); the zero page is never
    // reused (wpReusable): its write fault copies it (wp_page_copy), and GUP retries.
    if (pte.writable || pteNone(pte)) continue;
    if (wpReusable(s, pte.frame)) {
      wpReuse(s, pte.frame);
      pte.writable = true;
    }
    else {
      breakCow(s, pinLongterm, ctx, p, v);
      return;
    }
  }
  if (unpinnablePages(s, ctx.cfg, p, ALL(s)) !== 0) return failPin(s, p, 'ENOMEM', ctx);
  // The write faults of the untouched pages need a frame each (VM_FAULT_OOM: the pin fails -ENOMEM).
  if (ptes.filter(pteNone).length > freeFrames(s)) return failPin(s, p, 'ENOMEM', ctx);
  clearFast(s, p);
  pinAll(s, p, ctx);
}

/**
 * A PTE of the range that maps the zero page: GUP cannot pin it as it is. pin_user_pages(FOLL_WRITE)
 * takes a write fault (faultin_page -> do_wp_page -> wp_page_copy: a fresh zeroed page, never a reuse of
 * the zero page) and retries; a read-only FOLL_LONGTERM pin gets the same fresh exclusive page since
 * 84209e87c696 ("mm/gup: reliable R/O long-term pinning in COW mappings": gup_must_unshare is true for the
 * zero page in a COW mapping, and FAULT_FLAG_UNSHARE copies it). The mutant ro-pin-zero-page pins it.
 */
function zeroPageToUnshare(s: State<PinDriver>, p: number, ctx: DriverContext): number {
  if (ctx.mutant === 'ro-pin-zero-page') return NONE;
  const v = s.mms[p]!.ptes.findIndex((pte) => mapsZeroPage(s, pte));
  return v < 0 ? NONE : v;
}

/** Can gup_fast pin every page of the range now (FOLL_LONGTERM: each longterm-pinnable)? */
function gupFastRange(s: State<PinDriver>, p: number, ctx: DriverContext): boolean {
  if (ctx.mutant === 'get-user-pages' || ctx.mutant === 'put-page-not-unpin') return false; // not FOLL_PIN: the slow path's model only
  if (ctx.mutant !== 'pin-without-longterm' && unpinnablePages(s, ctx.cfg, p, ALL(s)) !== 0) return false;
  return s.mms[p]!.ptes.every((_, v) => gupFastCan(s, ctx.cfg, p, v));
}

/**
 * gup_fast over the range (gup_fast_pte_range: try_grab_folio_fast pins each page). Where no fork can
 * write-protect before its re-check, the MR is made at once; otherwise the
 * re-check is the next step (gup_fast_recheck).
 */
function gupFastRegister(s: State<PinDriver>, p: number, ctx: DriverContext): void {
  const d = s.drv;
  const pins = s.mms[p]!.ptes.map((_, v) => gupFastPin(s, p, v, ctx));
  pins.forEach((pin, v) => (d.mr[p]![v] = pin.frame));
  if (!gupFastRecheckPending(s, ctx.cfg, p)) return makeMr(s, p, pins.map((pin) => pin.epoch));
  d.fast[p] = 1;
  d.fastSeq[p] = pins[0]!.seq;
  pins.forEach((pin, v) => (d.fastEpoch[p]![v] = pin.epoch));
  s.regs[p]!.opening = true;
}

/** The pinned page list written into the device (its translations, from the epochs the pins were taken in). */
function makeMr(s: State<PinDriver>, p: number, epochs: readonly number[]): void {
  s.drv.mr[p]!.forEach((f, v) => setMirror(s, p, v, f, s.frames[f]!.gen, true, epochs[v]!));
  clearFast(s, p);
  s.regs[p]!.opening = false;
}

/** The end of gup_fast: read_seqcount_retry; a fork since: gup_fast_unpin_user_pages, the slow path next. */
function gupFastRecheckRange(s: State<PinDriver>, p: number, ctx: DriverContext): void {
  const d = s.drv;
  const mr = d.mr[p]!;
  const seq = d.fastSeq[p]!;
  const epochs = [...d.fastEpoch[p]!];
  const stands = mr.map((frame, v) => gupFastRecheck(s, ctx.cfg, p, { frame, seq, epoch: epochs[v]! }, ctx));
  if (stands.every(Boolean)) return makeMr(s, p, epochs);
  mr.fill(NONE);
  d.fastSeq[p] = 0;
  d.fastEpoch[p]!.fill(0);
  d.fast[p] = 2;
}

export const pinLongterm = defineStrategy({
  name: 'pin-longterm',
  summary: 'pin_user_pages(FOLL_LONGTERM) at registration, no notifier; unpin at deregistration',
  from: 'pinned RDMA MRs, GPU userptr; Documentation/core-api/pin_user_pages.rst',
  device: { kind: 'rdma', recoverable: false },
  configs: ['kernel-queue', 'user-queue', 'kernel-queue-fork-2021', 'dax-file', 'zone-movable', 'zero-page'],
  mutants: [
    { name: 'unpin-before-dma-lands', pattern: 'deregistration unpins at once, before the in-flight DMA lands: the page is freed under the device' },
    { name: 'put-page-not-unpin', pattern: 'a FOLL_PIN page released with put_page: the pin count never drops (why unpin_user_page exists)' },
    { name: 'get-user-pages', pattern: 'get_user_pages instead of pin_user_pages: fork cannot see the pin and COW takes the page from the pinner (17839856fd58)' },
    {
      name: 'ro-pin-zero-page', configs: ['zero-page'],
      pattern: 'a long-term pin without FOLL_WRITE (ib_umem_get of an MR without IB_ACCESS_LOCAL_WRITE) of an untouched page in a private writable mapping pins the shared zero page, as GUP did before 84209e87c696 ("mm/gup: reliable R/O long-term pinning in COW mappings", v6.2: gup_must_unshare now unshares it): the next CPU write replaces the PTE by a fresh page (wp_page_copy) and the device keeps reading the zero page, never the data',
    },
    { name: 'pin-without-longterm', pattern: 'a long-lived registration pinned with plain FOLL_PIN, without FOLL_LONGTERM: its pages are never migrated out of ZONE_MOVABLE or CMA, and memory offlining and CMA allocations fail for as long as it lives' },
  ],
  needsRegistration: true,
  actionKinds: [
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'ib_dereg_mr after the queue pairs drained: unpin_user_pages_dirty_lock' },
    {
      kind: 'longterm_pin', actor: 'kernel', args: ['p'],
      models: '__gup_longterm_locked after check_and_migrate_movable_pages\' migration ended: pin every page (or fail the registration)',
      guard: 'the registration is opening (no gup_fast re-check to come), no invalidation of the process is in progress and its mmap lock is free',
    },
    {
      kind: 'gup_fast_recheck', actor: 'kernel', args: ['p'],
      models: 'the end of ib_umem_get\'s gup_fast: read_seqcount_retry(&mm->write_protect_seq); unchanged: the MR is made with the pages pinned; a fork since: gup_fast_unpin_user_pages, the slow path next (longterm_pin)',
      guard: 'gup_fast pinned the registration\'s range and a fork could write-protect before its re-check',
    },
  ],

  init: (s): PinDriver => ({
    mr: s.mms.map((mm) => mm.ptes.map(() => NONE)),
    fast: s.mms.map(() => 0),
    fastSeq: s.mms.map(() => 0),
    fastEpoch: s.mms.map((mm) => mm.ptes.map(() => 0)),
  }),

  // The finite model: a pending re-check's seq is the process's write_protect_seq, its epochs PTE epochs.
  counters(d, c) {
    d.fast.forEach((f, p) => {
      if (f !== 1) return;
      d.fastSeq[p] = c.writeProtectSeq(p, d.fastSeq[p]!);
      d.fastEpoch[p]!.forEach((x, v) => (d.fastEpoch[p]![v] = c.epoch(p, v, x)));
    });
  },

  enabled(s, _ctx, out) {
    const d = s.drv;
    s.regs.forEach((r, p) => {
      if (r.live && d.fast[p] === 1) out.push({ k: 'gup_fast_recheck', a: p, b: NONE });
      else if (r.live && r.opening && !procInvalidating(s, p) && !mmapWriteLocked(s, p)) out.push({ k: 'longterm_pin', a: p, b: NONE });
      if (r.live && r.closing && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) out.push({ k: 'dereg_finish', a: p, b: NONE });
    });
  },

  apply(s, a: Action, ctx) {
    if (a.k === 'dereg_finish') release(s, a.a, ctx);
    if (a.k === 'longterm_pin') longtermPin(s, a.a, ctx);
    if (a.k === 'gup_fast_recheck') gupFastRecheckRange(s, a.a, ctx);
  },

  // pin_user_pages over the whole range: every page present and exclusive, or untouched (faulted in for
  // write as it is pinned), or the zero page (copied by the pin's write fault first); another
  // copy-on-write page would need a write fault first (wp_page_copy, an invalidation): the model asks for
  // it to be resolved before registering. FOLL_LONGTERM
  // refuses a DAX file mapping (the filesystem could never move its block): the registration fails.
  // While a fork runs, only gup_fast can pin (it takes no lock, and the fork's invalidation is nothing to
  // it): before copy_page_range's raw_write_seqcount_begin it pins and its re-check comes later
  // (gup_fast_recheck); once the seq is odd it gives up at once, and the slow path sleeps on the mmap
  // lock: the registration waits for the fork.
  canRegister(s, p, ctx) {
    const fork = forking(s, p);
    if (fork && !gupFastRange(s, p, ctx)) return false; // gupFastCan also leaves a page under another invalidation alone
    // The mutant ro-pin-zero-page takes untouched pages and the zero page too (a read-only pin faults them in for a read).
    // The zero page is taken too: the pin copies it first (zeroPageToUnshare), which needs an invalidation slot.
    const roZero = (pte: State['mms'][number]['ptes'][number]) => ctx.mutant === 'ro-pin-zero-page' && pteNone(pte);
    const ptes = s.mms[p]!.ptes;
    if (!ptes.every((pte, v) => pte.mapped && (roZero(pte) || pteNone(pte) || mapsZeroPage(s, pte) || (pte.frame !== NONE && pte.writable)) && !pte.dax && (fork || !invalidating(s, p, v)))) return false;
    const zeros = ctx.mutant === 'ro-pin-zero-page' ? 0 : ptes.filter((pte) => mapsZeroPage(s, pte)).length;
    if (zeros > 0 && freeInvalidationSlot(s) === NONE) return false;
    // The write faults of the untouched pages and the copies of the zero page need a free frame each (else -ENOMEM: not offered).
    if (ctx.mutant !== 'ro-pin-zero-page' && ptes.filter(pteNone).length + zeros > freeFrames(s)) return false;
    // A migrate-out to ZONE_NORMAL needs an invalidation slot (the model's, not the kernel's, limit).
    return unpinnablePages(s, ctx.cfg, p, ALL(s)) === 0 || ctx.mutant === 'pin-without-longterm' || freeInvalidationSlot(s) !== NONE;
  },

  onRegister(s, p, ctx) {
    if (gupFastRange(s, p, ctx)) return gupFastRegister(s, p, ctx);
    // gup_fast gave up on the zero page (not writable): the slow path's write fault copies it first,
    // inside its invalidation, and the pin follows once it ended (longterm_pin, which unshares the rest).
    const zero = zeroPageToUnshare(s, p, ctx);
    if (zero !== NONE) {
      s.regs[p]!.opening = true;
      breakCow(s, pinLongterm, ctx, p, zero);
      return;
    }
    // gup_fast gave up: __gup_longterm_locked: pages in ZONE_MOVABLE or CMA are migrated out first (check_and_migrate_movable_pages).
    const out = ctx.mutant === 'pin-without-longterm' ? 0 : unpinnablePages(s, ctx.cfg, p, ALL(s));
    if (out === 0) return pinAll(s, p, ctx);
    s.regs[p]!.opening = true;
    if (migrateForLongterm(s, p, out, ctx, (i) => pinLongterm.onInvalidateStart(s, i, ctx)) === NONE) failPin(s, p, 'ENOMEM', ctx);
  },

  onDeregister(s, p, ctx) {
    if (ctx.mutant === 'unpin-before-dma-lands') release(s, p, ctx);
  },
});
