// pin_user_pages_fast as the steps of a driver that pins one page per slot (a job, an I/O): gup_fast,
// the lockless walk (model/fork.ts: gupFastCan, gupFastPin), then, where a fork may write-protect in
// between, its re-check of mm->write_protect_seq as a step of its own (gupFastRecheck), then, if gup_fast
// gave up or the re-check failed, the slow path under the mmap lock (the driver's own step).
// mm/gup.c: gup_fast_fallback -> gup_fast (raw_seqcount_try_begin, the walk, read_seqcount_retry), and
// __gup_longterm_locked for the pages gup_fast did not pin.
// pin-per-job and p2p-gup keep this bookkeeping in their driver state, one entry per job slot.
import type { Config, State } from './types.ts';
import type { Counters } from './canonical.ts';
import type { DriverContext } from './strategy.ts';
import { gupFastCan, gupFastPin, gupFastRecheck, gupFastRecheckPending } from './fork.ts';
import type { GupFastPin } from './fork.ts';

/** pin_user_pages_fast's progress per slot, plain arrays of the driver's state. */
export interface GupFastSlots {
  /** 0 not tried; 1 gup_fast pinned, its write_protect_seq re-check to come; 2 gup_fast gave up, the slow path to come. */
  fast: number[];
  /** While `fast` is 1: the write_protect_seq gup_fast read, and the PTE epoch it pinned in (the driver keeps the frame). */
  fastSeq: number[];
  fastEpoch: number[];
}

/** The driver arrays of GupFastSlots, for a strategy's jobSymmetry.byJob. */
export const gupFastByJob = ['fast', 'fastSeq', 'fastEpoch'] as const;

export function gupFastSlots(n: number): GupFastSlots {
  const zero = () => Array.from({ length: n }, () => 0);
  return { fast: zero(), fastSeq: zero(), fastEpoch: zero() };
}

/** The next step of pin_user_pages_fast for slot `i` on (proc, vpage). */
export type GupFastNext = 'gup_fast' | 'recheck' | 'slow';

/**
 * Which step comes for slot `i`: its re-check if gup_fast pinned; gup_fast if not tried yet and it can
 * pin; otherwise the slow path (which the caller guards by its own locks). `seq` false: a lockless walk
 * that neither reads mm->write_protect_seq nor re-checks it (a driver mutant's).
 */
export function gupFastNext(s: State, cfg: Config, d: GupFastSlots, i: number, proc: number, vpage: number, seq = true): GupFastNext {
  if (d.fast[i] === 1) return 'recheck';
  if (d.fast[i] === 0 && gupFastCan(s, cfg, proc, vpage, seq)) return 'gup_fast';
  return 'slow';
}

/**
 * gup_fast for slot `i`: the pin, and whether its re-check is left for a step of its own (a fork of `proc`
 * may still write-protect before it); if not, the re-check cannot fail and the caller goes on at once.
 */
export function gupFastStart(s: State, cfg: Config, d: GupFastSlots, i: number, proc: number, vpage: number, ctx: DriverContext, seq = true): { pin: GupFastPin; pending: boolean } {
  const pin = gupFastPin(s, proc, vpage, ctx);
  if (!seq || !gupFastRecheckPending(s, cfg, proc)) return { pin, pending: false };
  d.fast[i] = 1;
  d.fastSeq[i] = pin.seq;
  d.fastEpoch[i] = pin.epoch;
  return { pin, pending: true };
}

/**
 * The end of gup_fast for slot `i`, which pinned `frame`: read_seqcount_retry. Returns the pin if it
 * stands; null if a fork write-protected since (the pin dropped, the slow path to come: `fast` is 2).
 */
export function gupFastFinish(s: State, cfg: Config, d: GupFastSlots, i: number, proc: number, frame: number, ctx: DriverContext): GupFastPin | null {
  const pin = { frame, seq: d.fastSeq[i]!, epoch: d.fastEpoch[i]! };
  gupFastClear(d, i);
  if (gupFastRecheck(s, cfg, proc, pin, ctx)) return pin;
  d.fast[i] = 2;
  return null;
}

/** Slot `i` done with pin_user_pages_fast (pinned by either path, failed, or released). */
export function gupFastClear(d: GupFastSlots, i: number): void {
  d.fast[i] = 0;
  d.fastSeq[i] = 0;
  d.fastEpoch[i] = 0;
}

/** The finite model: a pending re-check's seq and epoch are the process's write_protect_seq and a PTE epoch of the slot's page. */
export function gupFastCounters(d: GupFastSlots, c: Counters, page: (i: number) => { proc: number; vpage: number }): void {
  d.fast.forEach((f, i) => {
    if (f !== 1) return;
    const { proc, vpage } = page(i);
    d.fastSeq[i] = c.writeProtectSeq(proc, d.fastSeq[i]!);
    d.fastEpoch[i] = c.epoch(proc, vpage, d.fastEpoch[i]!);
  });
}
