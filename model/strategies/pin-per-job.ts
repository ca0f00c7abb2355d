// pin-per-job: seed 000 (Christian König: "we make sure that all memory accessed by the GPU jobs stays in
// place while those jobs run, pretty much the same pinning you do for the DMA"). At submit the driver pins
// the page the job touches with pin_user_pages (short-term: no FOLL_LONGTERM, since the job finishes in
// bounded time), programs the GPU page table and hands the job to the hardware; when the job's fence
// signals it unpins (unpin_user_pages_dirty_lock) and unmaps the page from the GPU page table. There is
// no notifier: while a job runs its page cannot migrate (migration fails on the pin, reclaim skips it),
// and a munmap leaves the GPU on the old frame until the job ends.
// Kernel queues only: with user-mode queues the kernel never sees a submission, so it has nothing to pin
// at submit and no fence to unpin at (the design does not apply; see queue-preempt).
// Simplification: a pin of a copy-on-write shared anonymous page first unshares it, as the 2022 "reliable
// GUP pins of anonymous pages" series makes every FOLL_PIN do (FAULT_FLAG_UNSHARE), in every config.
// The pin is pin_user_pages_fast: gup_fast, the lockless walk, first (its own step, model/fork.ts: it
// may race fork's write-protect, and re-checks mm->write_protect_seq), then the slow path if that failed.
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { failJob } from '../job-error.ts';
import { gupCheckVmaFlags, invalidating, mmapWriteLocked, pinFrame, setMirror, swapIn, unpinFrame, vmaWritable, zapMirror } from '../mm.ts';
import { wpReusable, wpReuse } from '../swap.ts';
import { breakCow } from '../world.ts';
import { gupFastByJob, gupFastClear, gupFastCounters, gupFastFinish, gupFastNext, gupFastSlots, gupFastStart } from '../gup-fast.ts';
import type { GupFastSlots } from '../gup-fast.ts';

interface PinJobDriver extends GupFastSlots {
  /** Per job slot: the frame its pin holds, or NONE (gup_fast's pin, its re-check to come, included). */
  pinned: number[];
  /** Per job slot: the translation the GPU page table got for it (frame, gen). */
  tFrame: number[];
  tGen: number[];
  /** Per job slot (mutant pin-after-handoff): handed to the hardware, the pin still to come. */
  late: number[];
}

/** Another handed-over job of the same page whose GPU page-table entry points to a frame other than `f`. */
function otherTranslation(s: State<PinJobDriver>, j: number, f: number): boolean {
  const d = s.drv;
  const job = s.jobs[j]!;
  return s.jobs.some((o, k) => k !== j && o.state !== 'free' && o.proc === job.proc && o.vpage === job.vpage && d.tFrame[k] !== NONE && d.tFrame[k] !== f);
}

/** Unpin job `j`'s page; unmap it from the GPU page table unless another job still uses that entry. */
function release(s: State<PinJobDriver>, j: number, ctx: DriverContext): void {
  const d = s.drv;
  const job = s.jobs[j]!;
  if (d.pinned[j] !== NONE) unpinFrame(s, d.pinned[j]!, job.write, ctx);
  d.pinned[j] = NONE;
  d.late[j] = 0;
  gupFastClear(d, j);
  const e = s.dev.mirror[job.proc]![job.vpage]!;
  const shared = s.jobs.some((o, k) => k !== j && o.state !== 'free' && o.proc === job.proc && o.vpage === job.vpage && d.tFrame[k] === d.tFrame[j]);
  if (d.tFrame[j] !== NONE && e.frame === d.tFrame[j] && e.gen === d.tGen[j] && !shared) zapMirror(s, job.proc, 1 << job.vpage);
  d.tFrame[j] = NONE;
}

/** Program the GPU page table with the pinned frame `f` (mapping epoch `epoch`) and hand job `j` to the hardware. */
function handOff(s: State<PinJobDriver>, j: number, f: number, writable: boolean, epoch: number, ctx: DriverContext): void {
  const d = s.drv;
  const job = s.jobs[j]!;
  setMirror(s, job.proc, job.vpage, f, s.frames[f]!.gen, writable, epoch);
  d.tFrame[j] = f;
  d.tGen[j] = s.frames[f]!.gen;
  job.state = 'ready';
  if (ctx.mutant === 'unpin-at-handoff') {
    unpinFrame(s, f, job.write, ctx);
    d.pinned[j] = NONE;
  }
}

/**
 * pin_user_pages failed: the job completes with the errno (-EFAULT: not mapped, or check_vma_flags refused
 * the access, `protection`; -ENOMEM: no frame to swap in).
 */
function fail(s: State, j: number, errno: 'EFAULT' | 'ENOMEM', ctx: DriverContext, protection = false): void {
  const cause = protection ? 'protection' : errno === 'EFAULT' ? 'not-mapped' : 'fault-failed';
  failJob(s, j, { errno, from: 'gup', cause, detail: `pin_user_pages: -${errno}${protection ? ' (check_vma_flags: the VMA does not allow the access)' : ''}` }, ctx);
}

export const pinPerJob = defineStrategy({
  name: 'pin-per-job',
  summary: 'pin_user_pages what a job touches at submit, program the GPU page table, unpin when its fence signals; no notifier',
  from: 'seed 000 (Christian König, 2016); GPU drivers before HMM userptr',
  device: { kind: 'gpu', recoverable: false },
  configs: ['kernel-queue', 'kernel-queue-fork-2021', 'mprotect', 'zone-movable', 'process-exit'],
  mutants: [
    { name: 'unpin-at-handoff', pattern: 'the page is unpinned as soon as the job is handed to the hardware, not when its fence signals: the page migrates or is freed under the queued DMA (get_user_pages then put_page right after dma_map)' },
    { name: 'pin-after-handoff', pattern: 'the GPU page table is programmed and the job handed to the hardware before the page is pinned: a migration in between frees the page the GPU will use' },
    { name: 'gup-fast-without-seq-retry', configs: ['kernel-queue', 'mprotect', 'zone-movable', 'process-exit'], pattern: 'the submit pins through a lockless page-table walk that never reads mm->write_protect_seq nor re-checks it after the pin (a hand-rolled lockless walk, or get_user_pages_fast before 57efa1fe5957): the pin lands between fork\'s check for maybe-pinned pages and its write-protect, the pinned page is shared copy-on-write, and the parent\'s next write leaves the GPU on the child\'s page' },
    { name: 'pin-without-unshare', pattern: 'a copy-on-write shared anonymous page is pinned as it is: the pin diverges from the page tables at the next write fault and the device reads or writes the other process\'s page (before the 2022 "reliable GUP pins of anonymous pages" series)' },
  ],
  needsRegistration: false,
  actionKinds: [
    { kind: 'gup_fast', actor: 'kernel', args: ['job'], models: 'the submit ioctl\'s pin_user_pages_fast, its lockless part: gup_fast reads mm->write_protect_seq and pins the job\'s page through its present, writable PTE (and, where no fork can write-protect before its re-check, programs the GPU page table and hands the job over too)', guard: 'the job is submitted, not tried yet, and gup_fast can pin its page (write_protect_seq even, the PTE present and writable)' },
    { kind: 'pin_job', actor: 'kernel', args: ['job'], models: 'the submit ioctl: gup_fast\'s read_seqcount_retry (a fork since: unpin, fall back), or the slow path pin_user_pages under the mmap lock (unsharing a COW page); program the GPU page table, hand the job to the scheduler' },
    { kind: 'pin_late', actor: 'kernel', args: ['job'], models: 'mutant pin-after-handoff: pin_user_pages after the job was handed over' },
  ],

  // Symmetry: the driver's state is per job slot, and names no slot.
  jobSymmetry: { byJob: ['pinned', 'tFrame', 'tGen', 'late', ...gupFastByJob] },
  invSymmetry: {},

  // The finite model: a job's GPU page-table translation is a (frame, gen); gup_fast's pending re-check a seq and an epoch.
  counters(d: PinJobDriver, c, s) {
    d.tGen.forEach((g, j) => (d.tGen[j] = c.gen(d.tFrame[j]!, g)));
    gupFastCounters(d, c, (j) => s.jobs[j]!);
  },

  init: (s): PinJobDriver => ({
    pinned: s.jobs.map(() => NONE),
    tFrame: s.jobs.map(() => NONE),
    tGen: s.jobs.map(() => 0),
    late: s.jobs.map(() => 0),
    ...gupFastSlots(s.jobs.length),
  }),

  enabled(s, ctx, out) {
    const d = s.drv;
    s.jobs.forEach((j, i) => {
      // GUP's slow path waits for a migration or unmap of the page in progress (migration_entry_wait, the
      // mmap lock), and for a fork (the mmap lock). The GPU page-table update for the job waits for the
      // jobs still using the entry it would change (a VM update syncs to the fences of the VM's earlier users).
      const pte = s.mms[j.proc]!.ptes[j.vpage]!;
      const busyEntry = pte.mapped && otherTranslation(s, i, pte.frame);
      if (j.state === 'submitted' && !busyEntry) {
        // pin-after-handoff programs the GPU first and pins later: it never takes gup_fast's pin first.
        const next = ctx.mutant === 'pin-after-handoff' ? 'slow' : gupFastNext(s, ctx.cfg, d, i, j.proc, j.vpage, ctx.mutant !== 'gup-fast-without-seq-retry');
        if (next === 'gup_fast') out.push({ k: 'gup_fast', a: i, b: NONE });
        else if (next === 'recheck' || (!invalidating(s, j.proc, j.vpage) && !mmapWriteLocked(s, j.proc))) out.push({ k: 'pin_job', a: i, b: NONE });
      }
      if (d.late[i] === 1 && !invalidating(s, j.proc, j.vpage)) out.push({ k: 'pin_late', a: i, b: NONE });
    });
  },

  apply(s, a: Action, ctx) {
    const d = s.drv;
    const j = a.a;
    const job = s.jobs[j]!;
    const pte = s.mms[job.proc]!.ptes[job.vpage]!;
    if (a.k === 'pin_late') {
      d.late[j] = 0;
      if (pte.mapped && pte.frame !== NONE) {
        pinFrame(s, pte.frame, ctx);
        d.pinned[j] = pte.frame;
      }
      return;
    }
    if (a.k === 'gup_fast') {
      const { pin, pending } = gupFastStart(s, ctx.cfg, d, j, job.proc, job.vpage, ctx, ctx.mutant !== 'gup-fast-without-seq-retry');
      d.pinned[j] = pin.frame;
      // No fork can write-protect before the re-check: it cannot fail, and the submit goes on at once.
      if (!pending) handOff(s, j, pin.frame, true, pin.epoch, ctx);
      return;
    }
    if (a.k !== 'pin_job') return;
    if (d.fast[j] === 1) {
      // The end of gup_fast: read_seqcount_retry on mm->write_protect_seq (a fork since: the slow path next).
      const pin = gupFastFinish(s, ctx.cfg, d, j, job.proc, d.pinned[j]!, ctx);
      if (!pin) {
        d.pinned[j] = NONE;
        return;
      }
      return handOff(s, j, pin.frame, true, pin.epoch, ctx);
    }
    gupFastClear(d, j);
    if (!pte.mapped) return fail(s, j, 'EFAULT', ctx);
    // FOLL_WRITE for a job that writes: check_vma_flags refuses a VMA without VM_WRITE (no FOLL_FORCE),
    // and any access to a PROT_NONE one.
    if (gupCheckVmaFlags(pte, job.write)) return fail(s, j, 'EFAULT', ctx, true);
    if (pte.frame === NONE && !swapIn(s, pte)) return fail(s, j, 'ENOMEM', ctx);
    if (!pte.writable && ctx.mutant !== 'pin-without-unshare') {
      // wp_page_reuse: exclusive already (a read-only VMA's PTE stays read-only: FAULT_FLAG_UNSHARE only
      // marks the page exclusive).
      if (wpReusable(s, pte.frame)) {
        wpReuse(s, pte.frame);
        pte.writable = vmaWritable(pte);
      }
      else {
        breakCow(s, pinPerJob, ctx, job.proc, job.vpage); // FOLL_WRITE / FAULT_FLAG_UNSHARE: GUP retries after it
        return;
      }
    }
    const f = pte.frame;
    if (ctx.mutant === 'pin-after-handoff') d.late[j] = 1;
    else {
      pinFrame(s, f, ctx);
      d.pinned[j] = f;
    }
    const writable = ctx.mutant === 'pin-without-unshare' ? true : pte.writable;
    handOff(s, j, f, writable, pte.epoch, ctx);
  },

  gupFastWithoutSeq: (ctx) => ctx.mutant === 'gup-fast-without-seq-retry',

  onSubmit() {
    // The job waits in 'submitted' for pin_job (the submit ioctl's own step).
  },

  onFenceSignal(s, job, ctx) {
    release(s, job, ctx);
  },
  // The design has no registration: a GPU driver of seed 000 pins per job at submit, with no MR or userptr
  // object to create first (needsRegistration: false). Offered anyway, the world's register/deregister
  // would only toggle a flag that the design never reads, and multiply the state space for nothing
  // (kernel-queue-fork-2021's proof scope: past 4,000,000 states with them, 94,114 without).
  canRegister: () => false,
});
