// The fault side of the interval-notifier protocol (KERNEL.md §1), shared by the mirroring strategies.
// Each step that sleeps or drops a lock is its own action:
//   read_begin(f)    seq = mmu_interval_read_begin(sub)          (sleeps while an invalidation runs)
//   range_fault(f)   hmm_range_fault(range)                      (-EBUSY: back to read_begin)
//   fault_commit(f)  lock; if read_retry(sub, seq) retry; program the device PTE; unlock
// A fault context is one page being faulted in for a job (or, with no job, for the driver itself).
import { DEV, DEV1, NONE } from '../types.ts';
import type { Action, DriverRecord, State } from '../types.ts';
import type { ActionKind, DriverContext, Strategy } from '../strategy.ts';
import type { Counters } from '../canonical.ts';
import type { JobSymmetry } from '../symmetry.ts';
import type { Errno, ErrorSource, JobErrorCause } from '../events.ts';
import { dirtyWritten, hmmRangeFault, mmapWriteLocked, readBegin, readRetry, setMirror, unsubscribe, zapMirror } from '../mm.ts';
import { breakCow } from '../world.ts';
import { failJob } from '../job-error.ts';

export interface FaultCtx extends DriverRecord {
  live: boolean;
  proc: number;
  vpage: number;
  write: boolean;
  /** The job waiting for this fault, or NONE. */
  job: number;
  /** 0: before read_begin; 1: seq taken; 2: PTE snapshot taken; 3: retry checked (mutant only). */
  phase: number;
  seq: number;
  frame: number;
  gen: number;
  writable: boolean;
  epoch: number;
  /** The snapshot is another device's memory, to be DMA-mapped with the P2P-aware path. */
  p2p: boolean;
}

/** Mutations of the fault side that strategies offer as mutants. */
export interface FaultMutations {
  /** Program the device PTE without mmu_interval_read_retry. */
  noReadRetry: boolean;
  /** Check mmu_interval_read_retry before taking the driver lock (a separate step). */
  retryOutsideLock: boolean;
  /**
   * Not a mutation: the mirroring device fault context `fault` is for (DEV or DEV1), where a config has
   * two (Config.mirrors): its notifier's seq and its page table. Absent: DEV.
   */
  deviceOf?: (fault: number) => number;
}

/**
 * The subscription slot of the notifier a fault for device `dev` reads (model/subscriptions.ts): the
 * process's own slot for the device under test, p + procs for the second mirroring device.
 */
export function faultSub(s: State, proc: number, dev: number): number {
  return dev === DEV1 ? proc + s.mms.length : proc;
}

export const faultActionKinds: readonly ActionKind[] = [
  { kind: 'read_begin', actor: 'kernel', args: ['fault'], models: 'mmu_interval_read_begin', guard: 'the fault context is live, before its read_begin, and no invalidation of its process is in progress (read_begin sleeps until it ends)' },
  { kind: 'range_fault', actor: 'kernel', args: ['fault'], models: 'hmm_range_fault under the mmap read lock', guard: 'the fault context has taken its seq (read_begin) and its process is not forking or in mprotect (the mmap read lock)' },
  { kind: 'read_retry', actor: 'kernel', args: ['fault'], models: 'mmu_interval_read_retry checked before the driver lock (a mutant)', guard: 'the fault context has its snapshot (range_fault), in the retry-outside-lock mutant' },
  { kind: 'fault_commit', actor: 'kernel', args: ['fault'], models: 'driver lock; mmu_interval_read_retry; program the device PTE; unlock', guard: 'the fault context has its snapshot (range_fault) and the driver lock is free' },
];

export function faultSlots(s: State): number {
  return s.jobs.length + s.mms.length * s.mms[0]!.ptes.length;
}

export function emptyFaults(s: State): FaultCtx[] {
  return Array.from({ length: faultSlots(s) }, () => ({
    live: false, proc: 0, vpage: 0, write: false, job: NONE, phase: 0, seq: 0, frame: NONE, gen: 0, writable: false, epoch: 0, p2p: false,
  }));
}

/**
 * Drivers that use this fault path keep `faults` (from emptyFaults) and the driver lock `lock` (NONE when
 * free) in their state; their own state type extends this one.
 */
export interface MirrorDriver {
  faults: FaultCtx[];
  /**
   * The driver lock where the driver has one for everything (a device-wide notifier lock, as amdgpu's
   * adev->notifier_lock): NONE, or who holds it.
   */
  lock: number;
  /**
   * Per process, where the driver's lock is per object (umem_mutex is per umem, so per MR: one MR per
   * process here): NONE, or who holds process p's. Present: the fault path takes locks[proc], not `lock`.
   */
  locks?: number[];
}

/** Is the driver lock a fault of `proc` takes free (locks[proc] where the lock is per object, else `lock`)? */
export function lockFree(d: MirrorDriver, proc: number): boolean {
  return (d.locks ? d.locks[proc]! : d.lock) === NONE;
}

/** A state whose driver uses this fault path. */
export type MirrorState = State<MirrorDriver>;

export function drvOf(s: MirrorState): MirrorDriver {
  return s.drv;
}

/**
 * The finite model: a fault context's read_begin snapshot is a seq of its mm, its hmm_range_fault snapshot
 * a (frame, gen) and an epoch of its PTE. An idle context's fields are dead (startFault rewrites them).
 */
export function faultCounters(drv: MirrorDriver, c: Counters): void {
  for (const f of drv.faults) {
    if (!f.live) continue;
    if (f.phase >= 1) f.seq = c.seq(f.proc, f.seq);
    if (f.frame === NONE) continue;
    f.gen = c.gen(f.frame, f.gen);
    f.epoch = c.epoch(f.proc, f.vpage, f.epoch);
  }
}

/**
 * What a fault context holds that nothing reads: all of an idle one (startFault rewrites it), the seq
 * before read_begin took it (phase 0), the snapshot before hmm_range_fault took it (phases 0 and 1).
 */
export function faultClearDead(drv: MirrorDriver): void {
  for (const f of drv.faults) {
    if (!f.live) {
      f.proc = 0;
      f.vpage = 0;
      f.write = false;
      f.job = NONE;
      f.phase = 0;
    }
    if (f.phase === 0) f.seq = 0;
    if (f.phase < 2) {
      f.frame = NONE;
      f.gen = 0;
      f.writable = false;
      f.epoch = 0;
      f.p2p = false;
    }
  }
}

/**
 * Symmetry (model/symmetry.ts): fault context j belongs to job slot j (startFault), and names it; the
 * driver lock names an invalidation, never a job.
 */
export const mirrorJobSymmetry: JobSymmetry = { byJob: ['faults'], jobRefs: [{ array: 'faults', field: 'job' }] };

/** The counters hooks of a strategy whose driver state is a MirrorDriver. */
export const mirrorCounters = { counters: faultCounters, clearDead: faultClearDead };

/** Start faulting (proc, vpage) in: for job `job` (in slot `job`), or for the driver (a per-page slot). */
export function startFault(s: MirrorState, proc: number, vpage: number, write: boolean, job: number): void {
  const d = drvOf(s);
  const slot = job !== NONE ? job : s.jobs.length + proc * s.mms[0]!.ptes.length + vpage;
  const f = d.faults[slot]!;
  f.live = true;
  f.proc = proc;
  f.vpage = vpage;
  f.write = write;
  f.job = job;
  f.phase = 0;
  f.frame = NONE;
}

export function faultPending(s: MirrorState, proc: number, vpage: number): boolean {
  for (const f of drvOf(s).faults) if (f.live && f.proc === proc && f.vpage === vpage) return true;
  return false;
}

export function faultEnabled(s: MirrorState, m: FaultMutations, out: Action[]): void {
  const d = drvOf(s);
  d.faults.forEach((f, i) => {
    if (!f.live) return;
    if (f.phase === 0 && readBegin(s, faultSub(s, f.proc, m.deviceOf?.(i) ?? DEV)) !== null) out.push({ k: 'read_begin', a: i, b: NONE });
    else if (f.phase === 1 && !mmapWriteLocked(s, f.proc)) out.push({ k: 'range_fault', a: i, b: NONE }); // mmap read lock
    else if (f.phase === 2 && m.retryOutsideLock) out.push({ k: 'read_retry', a: i, b: NONE });
    else if ((f.phase === 2 && !m.retryOutsideLock) || f.phase === 3) {
      if (lockFree(d, f.proc)) out.push({ k: 'fault_commit', a: i, b: NONE });
    }
  });
}

/** Why a fault was aborted: the errno and cause its job fails with, and a note for people. */
export interface FaultError {
  errno: Errno;
  from: ErrorSource;
  cause: JobErrorCause;
  detail: string;
}

/** Abort a fault: its job completes with an error. */
export function abortFault(s: MirrorState, i: number, err: FaultError, ctx: DriverContext): void {
  const f = drvOf(s).faults[i]!;
  f.live = false;
  if (f.job !== NONE) {
    failJob(s, f.job, err, ctx);
  }
}

/**
 * Apply a fault-path action; `done(f)` is called when the device PTE is programmed. Returns false if the
 * action is not one of the fault path's.
 */
export function faultApply(
  s: MirrorState,
  a: Action,
  m: FaultMutations,
  strat: Strategy,
  ctx: DriverContext,
  done: (f: FaultCtx) => void,
): boolean {
  const d = drvOf(s);
  const f = d.faults[a.a];
  const dev = f ? (m.deviceOf?.(a.a) ?? DEV) : DEV;
  const sub = f ? faultSub(s, f.proc, dev) : NONE;
  switch (a.k) {
    case 'read_begin':
      f!.seq = readBegin(s, sub)!;
      f!.phase = 1;
      ctx.emit({ t: 'fault_seq', fault: a.a, proc: f!.proc, vpage: f!.vpage, seq: f!.seq });
      return true;
    case 'range_fault': {
      const r = hmmRangeFault(s, f!.proc, f!.vpage, f!.write, (p, v) => breakCow(s, strat, ctx, p, v));
      ctx.emit(
        r.ok
          ? { t: 'fault_snapshot', fault: a.a, proc: f!.proc, vpage: f!.vpage, frame: r.frame, gen: r.gen, writable: r.writable, result: 'ok' }
          : { t: 'fault_snapshot', fault: a.a, proc: f!.proc, vpage: f!.vpage, frame: NONE, gen: 0, writable: false, result: r.err },
      );
      if (r.ok) {
        f!.frame = r.frame;
        f!.gen = r.gen;
        f!.writable = r.writable;
        f!.epoch = r.epoch;
        f!.p2p = false;
        f!.phase = 2;
      } else if (r.err === 'EBUSY') {
        f!.phase = 0;
      } else {
        abortFault(s, a.a, { errno: r.err, from: 'hmm_range_fault', cause: r.cause, detail: `hmm_range_fault: -${r.err}${r.cause === 'protection' ? ' (the VMA does not allow the access)' : ''}` }, ctx);
      }
      return true;
    }
    case 'read_retry': {
      const retry = readRetry(s, sub, f!.seq);
      ctx.emit({ t: 'read_retry', proc: f!.proc, vpage: f!.vpage, retry });
      f!.phase = retry ? 0 : 3;
      return true;
    }
    case 'fault_commit': {
      // The lock is taken and released within this step: nothing else runs while it is held.
      if (f!.phase === 2 && !m.noReadRetry) {
        const retry = readRetry(s, sub, f!.seq);
        ctx.emit({ t: 'read_retry', proc: f!.proc, vpage: f!.vpage, retry });
        if (retry) {
          f!.phase = 0;
          return true;
        }
      }
      // Into the page table of the device the fault is for, mapped for that device's DMA.
      setMirror(s, f!.proc, f!.vpage, f!.frame, f!.gen, f!.writable, f!.epoch, f!.p2p, dev, f!.p2p ? 'p2pdma' : 'iova', dev);
      ctx.emit({ t: 'mirror_program', fault: a.a, proc: f!.proc, vpage: f!.vpage, frame: f!.frame, gen: f!.gen, writable: f!.writable, retry: f!.phase === 3 ? 'outside-lock' : m.noReadRetry ? 'none' : 'under-lock' });
      f!.live = false;
      done(f!);
      return true;
    }
    default:
      return false;
  }
}

/**
 * Deregistration of a mirroring driver (mmu_interval_notifier_remove, then the unmap): the subscription
 * goes, written pages are marked dirty, the device forgets the range, pending faults fail, and the
 * registration ends.
 */
export function mirrorTeardown(s: MirrorState, p: number, detail: string, ctx: DriverContext): void {
  const all = (1 << s.mms[p]!.ptes.length) - 1;
  unsubscribe(s, p, ctx);
  dirtyWritten(s, p, all);
  zapMirror(s, p, all);
  drvOf(s).faults.forEach((f, i) => {
    if (f.live && f.proc === p) abortFault(s, i, { errno: 'ECANCELED', from: 'driver', cause: 'deregistered', detail }, ctx);
  });
  s.regs[p]!.live = false;
  s.regs[p]!.closing = false;
}
