// pin-longterm: pinned RDMA MRs and GPU userptr (KERNEL.md §3). Registration pins every page with
// pin_user_pages(FOLL_LONGTERM) and writes the MR's page list into the device; there is no notifier, so
// the device does not follow the address space: after munmap it still uses the old frame, and what fork
// does to a pinned page is the kernel's business (a kernel-version knob). Deregistration drains the
// process's jobs, then unpins with unpin_user_pages_dirty_lock.
// Simplification: frames are not in ZONE_MOVABLE/CMA, so the long-term pin's migrate-out step is a no-op.
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { invalidating, pinFrame, putFrame, setMirror, unpinFrame, zapMirror } from '../mm.ts';

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

export const pinLongterm = defineStrategy({
  name: 'pin-longterm',
  summary: 'pin_user_pages(FOLL_LONGTERM) at registration, no notifier; unpin at deregistration',
  from: 'pinned RDMA MRs, GPU userptr; Documentation/core-api/pin_user_pages.rst',
  device: { kind: 'rdma', recoverable: false },
  configs: ['kernel-queue', 'user-queue', 'kernel-queue-fork-2021', 'dax-file'],
  mutants: [
    { name: 'unpin-before-dma-lands', pattern: 'deregistration unpins at once, before the in-flight DMA lands: the page is freed under the device' },
    { name: 'put-page-not-unpin', pattern: 'a FOLL_PIN page released with put_page: the pin count never drops (why unpin_user_page exists)' },
    { name: 'get-user-pages', pattern: 'get_user_pages instead of pin_user_pages: fork cannot see the pin and COW takes the page from the pinner (17839856fd58)' },
  ],
  needsRegistration: true,
  actionKinds: [
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'ib_dereg_mr after the queue pairs drained: unpin_user_pages_dirty_lock' },
  ],

  init: (s): PinDriver => ({ mr: s.mms.map((mm) => mm.ptes.map(() => NONE)) }),

  enabled(s, _ctx, out) {
    s.regs.forEach((r, p) => {
      if (r.live && r.closing && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) out.push({ k: 'dereg_finish', a: p, b: NONE });
    });
  },

  apply(s, a: Action, ctx) {
    if (a.k === 'dereg_finish') release(s, a.a, ctx);
  },

  // pin_user_pages over the whole range: every page present and exclusive (a copy-on-write page would
  // need a write fault first; the model asks for it to be resolved before registering). FOLL_LONGTERM
  // refuses a DAX file mapping (the filesystem could never move its block): the registration fails.
  canRegister(s, p) {
    return s.mms[p]!.ptes.every((pte, v) => pte.mapped && pte.frame !== NONE && pte.writable && !pte.dax && !invalidating(s, p, v));
  },

  onRegister(s, p, ctx) {
    const mr = s.drv.mr[p]!;
    s.mms[p]!.ptes.forEach((pte, v) => {
      if (ctx.mutant === 'get-user-pages') s.frames[pte.frame]!.refcount++;
      else pinFrame(s, pte.frame, ctx);
      mr[v] = pte.frame;
      setMirror(s, p, v, pte.frame, s.frames[pte.frame]!.gen, true, pte.epoch);
    });
  },

  onDeregister(s, p, ctx) {
    if (ctx.mutant === 'unpin-before-dma-lands') release(s, p, ctx);
  },
});
