// pin-longterm: pinned RDMA MRs and GPU userptr (KERNEL.md §3). Registration pins every page with
// pin_user_pages(FOLL_LONGTERM) and writes the MR's page list into the device; there is no notifier, so
// the device does not follow the address space: after munmap it still uses the old frame, and what fork
// does to a pinned page is the kernel's business (a kernel-version knob). Deregistration drains the
// process's jobs, then unpins with unpin_user_pages_dirty_lock.
// FOLL_LONGTERM first migrates a page in ZONE_MOVABLE or CMA to ZONE_NORMAL (check_and_migrate_movable_pages,
// model/zones.ts): the registration waits for that migration, then pins (longterm_pin).
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { freeFrames, freeInvalidationSlot, invalidating, pinFrame, procInvalidating, putFrame, setMirror, unpinFrame, zapMirror } from '../mm.ts';
import { migrateForLongterm, unpinnablePages } from '../zones.ts';
import { doAnonymousPage, mapsZeroPage, pteNone } from '../zero-page.ts';

interface PinDriver {
  /** The MR's page list: mr[proc][vpage] = the frame pinned, or NONE. */
  mr: number[][];
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
  s.regs[p]!.live = false;
  s.regs[p]!.closing = false;
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
  s.regs[p]!.live = false;
  s.regs[p]!.opening = false;
  ctx.emit({ t: 'longterm_pin_failed', proc: p, errno });
}

/**
 * The retry of __gup_longterm_locked once the migration ended: every page present, writable and now
 * longterm-pinnable is pinned; a page that could not move (-ENOMEM: no normal frame) or went away fails it.
 */
function longtermPin(s: State<PinDriver>, p: number, ctx: DriverContext): void {
  const ptes = s.mms[p]!.ptes;
  if (!ptes.every((pte) => pte.mapped && pte.frame !== NONE && pte.writable)) return failPin(s, p, 'EFAULT', ctx);
  if (unpinnablePages(s, ctx.cfg, p, ALL(s)) !== 0) return failPin(s, p, 'ENOMEM', ctx);
  pinAll(s, p, ctx);
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
      guard: 'the registration is opening and no invalidation of the process is in progress',
    },
  ],

  init: (s): PinDriver => ({ mr: s.mms.map((mm) => mm.ptes.map(() => NONE)) }),

  enabled(s, _ctx, out) {
    s.regs.forEach((r, p) => {
      if (r.live && r.opening && !procInvalidating(s, p)) out.push({ k: 'longterm_pin', a: p, b: NONE });
      if (r.live && r.closing && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) out.push({ k: 'dereg_finish', a: p, b: NONE });
    });
  },

  apply(s, a: Action, ctx) {
    if (a.k === 'dereg_finish') release(s, a.a, ctx);
    if (a.k === 'longterm_pin') longtermPin(s, a.a, ctx);
  },

  // pin_user_pages over the whole range: every page present and exclusive, or untouched (faulted in for
  // write as it is pinned); a copy-on-write page, the zero page included, would need a write fault first
  // (wp_page_copy, an invalidation): the model asks for it to be resolved before registering. FOLL_LONGTERM
  // refuses a DAX file mapping (the filesystem could never move its block): the registration fails.
  canRegister(s, p, ctx) {
    // The mutant ro-pin-zero-page takes untouched pages and the zero page too (a read-only pin faults them in for a read).
    const roZero = (pte: State['mms'][number]['ptes'][number]) => ctx.mutant === 'ro-pin-zero-page' && (pteNone(pte) || mapsZeroPage(s, pte));
    const ptes = s.mms[p]!.ptes;
    if (!ptes.every((pte, v) => pte.mapped && (roZero(pte) || pteNone(pte) || (pte.frame !== NONE && pte.writable)) && !pte.dax && !invalidating(s, p, v))) return false;
    // The write faults of the untouched pages need a free frame each (else -ENOMEM: not offered).
    if (ctx.mutant !== 'ro-pin-zero-page' && ptes.filter(pteNone).length > freeFrames(s)) return false;
    // A migrate-out to ZONE_NORMAL needs an invalidation slot (the model's, not the kernel's, limit).
    return unpinnablePages(s, ctx.cfg, p, ALL(s)) === 0 || ctx.mutant === 'pin-without-longterm' || freeInvalidationSlot(s) !== NONE;
  },

  onRegister(s, p, ctx) {
    // __gup_longterm_locked: pages in ZONE_MOVABLE or CMA are migrated out first (check_and_migrate_movable_pages).
    const out = ctx.mutant === 'pin-without-longterm' ? 0 : unpinnablePages(s, ctx.cfg, p, ALL(s));
    if (out === 0) return pinAll(s, p, ctx);
    s.regs[p]!.opening = true;
    if (migrateForLongterm(s, p, out, ctx, (i) => pinLongterm.onInvalidateStart(s, i, ctx)) === NONE) failPin(s, p, 'ENOMEM', ctx);
  },

  onDeregister(s, p, ctx) {
    if (ctx.mutant === 'unpin-before-dma-lands') release(s, p, ctx);
  },
});
