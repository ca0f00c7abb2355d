// The finite model: a canonical form of a state, so that two states no future can tell apart are one.
//
// The state holds counters that grow without bound: a frame's allocation generation (bumped on every
// free), the mm's and each subscription's invalidate seq, a PTE's epoch (bumped by munmap and mmap), and a
// driver's own counters (queue-preempt's eviction count). The protocol and the properties only ever
// compare such a value with another of its own domain (a translation's generation with its frame's, a
// read_begin snapshot with the subscription's seq, a job's epoch with its PTE's), and only make a new one
// by adding one to the largest of its domain. So any renumbering that keeps, per domain, the order, the
// equalities, and the relations that the operations read, leaves every future the same (data
// independence): the canonical form renumbers each domain densely from its smallest value, which makes
// the reachable space of every config finite. Per domain:
//   - a frame's generations (the frame's own, and every (frame, gen) stored elsewhere): ranks 0, 1, ...;
//     the frame's own is the largest, and free_page's gen + 1 is again a fresh value;
//   - a PTE's epochs (the PTE's, its mirror entry's, its jobs', its registration's, the driver's
//     snapshots): ranks 0, 1, ..., the smallest to 0, because fork gives the child's PTEs epoch 0 (the
//     child's slot has only ever held 0 before);
//   - an mm's seqs (mm->notifier_subscriptions->invalidate_seq, every interval_sub->invalidate_seq, every
//     mmu_interval_read_begin snapshot): mmu_interval_notifier_insert stores seq - 1 and the seq's parity
//     says whether an invalidation is active, so gaps of 1 are kept, longer gaps become 2, and the
//     largest (the mm's own) keeps its parity;
//   - written values (a frame's contents, a swap slot's, a job's): every write stores a fresh value
//     (State.nextValue, one more than any before), values are only copied, and only a property compares
//     them (no-lost-write, with the latest write to each page it remembers). A value no monitor
//     remembers can never again equal one it will remember (those are fresh, 0, or copies of what it
//     remembers), so all such values are one: 1; 0 (a page never written) stays 0; the values a monitor
//     remembers, or that a job's write still carries, are ranked from 2, and the next write's value is
//     above them all;
//   - a driver's own counter: ranks.
// A value stored where it names nothing (the generation of an empty mirror entry, the fields of a free
// job slot or of an ended invalidation) is dead: nothing reads it before it is written again, and the
// canonical form clears it.
import { CB_RETURNED, NONE } from './types.ts';
import type { State } from './types.ts';
import type { Strategy } from './strategy.ts';

/**
 * What a strategy (or a property's monitor) says of the counters it stores: each call returns the value to
 * store back. Called twice per canonicalisation: once to learn the values, once to renumber them.
 */
export interface Counters {
  /** A frame generation stored beside its frame (give NONE as the frame when the slot names none). */
  gen(frame: number, gen: number): number;
  /** An invalidate seq of process `proc`'s mm (a read_begin snapshot). */
  seq(proc: number, seq: number): number;
  /** A PTE epoch of (proc, vpage). */
  epoch(proc: number, vpage: number, epoch: number): number;
  /** A value written to memory (the contents of a frame, a swap slot, a DMA): 0 is a page never written. */
  value(x: number): number;
  /** A value a property's monitor remembers (and will compare reads with): it keeps that value apart. */
  remembered(x: number): number;
  /** A counter of the driver's own, in a domain it names: compared only within it, grown by one from its largest. */
  count(domain: string, x: number): number;
}

/**
 * One domain's values: learnt unsorted, then sorted without repeats beside their new numbers. Domains hold a
 * handful of values, so a linear search beats a Map.
 */
class Domain {
  vs: number[] = [];
  cs: number[] = [];
  constructor(readonly seqLike: boolean) {}

  freeze(): void {
    // Insertion sort without repeats: a domain holds a handful of values.
    const vs = this.vs;
    let n = 0;
    for (let i = 0; i < vs.length; i++) {
      const x = vs[i]!;
      let j = n - 1;
      while (j >= 0 && vs[j]! > x) j--;
      if (j >= 0 && vs[j] === x) continue;
      for (let k = n; k > j + 1; k--) vs[k] = vs[k - 1]!;
      vs[j + 1] = x;
      n++;
    }
    vs.length = n;
    const cs = this.cs;
    if (!this.seqLike) {
      for (let i = 0; i < n; i++) cs.push(i);
      return;
    }
    // seq: gaps of 1 kept, longer gaps become 2; then shifted so that the largest keeps its parity.
    cs.push(0);
    for (let i = 1; i < n; i++) cs.push(cs[i - 1]! + Math.min(vs[i]! - vs[i - 1]!, 2));
    const shift = 2 + ((vs[n - 1]! - cs[n - 1]!) & 1);
    for (let i = 0; i < n; i++) cs[i]! += shift;
  }

  map(x: number): number {
    return this.cs[this.vs.indexOf(x)]!;
  }
}

/** Learns values per domain, then renumbers them. */
class Renumber implements Counters {
  private learning = true;
  /** Domains by number: frames' generations, then mms' seqs, then PTEs' epochs; drivers' own by name. */
  private readonly domains: (Domain | undefined)[] = [];
  private readonly named = new Map<string, Domain>();
  private readonly remember: number[] = [];
  private readonly nFrames: number;
  private readonly nProcs: number;
  private readonly nPages: number;

  /** `observed`: whether anything compares values at all; if not, every value is 0. */
  constructor(
    s: State,
    private readonly observed: boolean,
  ) {
    this.nFrames = s.frames.length;
    this.nProcs = s.mms.length;
    this.nPages = s.mms[0]!.ptes.length;
  }

  private val(d: Domain | undefined, x: number): number {
    if (this.learning) {
      d!.vs.push(x);
      return x;
    }
    return d!.map(x);
  }

  private numbered(i: number, seqLike: boolean): Domain {
    return (this.domains[i] ??= new Domain(seqLike));
  }

  // While learning, every call returns its value unchanged: an anchor is learnt from, never written.
  gen(frame: number, gen: number): number {
    if (frame === NONE) return this.learning ? gen : 0;
    return this.val(this.numbered(frame, false), gen);
  }
  seq(proc: number, seq: number): number {
    return this.val(this.numbered(this.nFrames + proc, true), seq);
  }
  epoch(proc: number, vpage: number, epoch: number): number {
    return this.val(this.numbered(this.nFrames + this.nProcs + proc * this.nPages + vpage, false), epoch);
  }
  count(domain: string, x: number): number {
    let d = this.named.get(domain);
    if (!d) this.named.set(domain, (d = new Domain(false)));
    return this.val(d, x);
  }
  value(x: number): number {
    if (this.learning) return x;
    if (!this.observed || x === 0) return 0;
    const i = this.remember.indexOf(x);
    return i < 0 ? 1 : 2 + i;
  }
  remembered(x: number): number {
    if (this.learning && this.observed && x !== 0) this.remember.push(x);
    return this.value(x);
  }
  /** The value of the next write: above every remembered one. */
  nextValue(x: number): number {
    if (this.learning) return x;
    return this.observed ? 2 + this.remember.length : 0;
  }

  /** Fix the renumbering from the values learnt; later calls map. */
  freeze(): void {
    const r = this.remember.sort((x, y) => x - y);
    let n = 0;
    for (let i = 0; i < r.length; i++) if (i === 0 || r[i] !== r[n - 1]) r[n++] = r[i]!;
    r.length = n;
    for (const d of this.domains) d?.freeze();
    for (const d of this.named.values()) d.freeze();
    this.learning = false;
  }
}

/** Visit every counter of the world's own state (frames, mms, subscriptions, invalidations, mirror, jobs, registrations). */
function worldCounters(s: State, c: Renumber): void {
  s.nextValue = c.nextValue(s.nextValue);
  for (let f = 0; f < s.frames.length; f++) {
    const fr = s.frames[f]!;
    fr.gen = c.gen(f, fr.gen);
    fr.value = c.value(fr.value);
  }
  s.mms.forEach((mm, p) => {
    mm.seq = c.seq(p, mm.seq);
    mm.ptes.forEach((pte, v) => {
      pte.epoch = c.epoch(p, v, pte.epoch);
      pte.swap = c.value(pte.swap);
    });
  });
  for (const sb of s.subs) sb.seq = c.seq(sb.proc, sb.seq);
  for (const inv of s.invs) {
    if (!inv.live) continue;
    inv.oldGens.forEach((g, v) => (inv.oldGens[v] = c.gen(inv.oldFrames[v]!, g)));
  }
  s.dev.mirror.forEach((row, p) =>
    row.forEach((e, v) => {
      if (e.frame === NONE) return;
      e.gen = c.gen(e.frame, e.gen);
      e.epoch = c.epoch(p, v, e.epoch);
    }),
  );
  for (const j of s.jobs) {
    if (j.state === 'free') continue;
    // A write still to land carries a fresh value the reference memory will remember: keep it apart.
    j.value = j.write ? c.remembered(j.value) : c.value(j.value);
    j.mapEpoch = c.epoch(j.proc, j.vpage, j.mapEpoch);
    if (j.frame === NONE) continue;
    j.gen = c.gen(j.frame, j.gen);
    j.epoch = c.epoch(j.proc, j.vpage, j.epoch);
  }
  s.regs.forEach((r, p) => r.epochs.forEach((e, v) => (r.epochs[v] = e === -1 ? -1 : c.epoch(p, v, e))));
}

/** Clear what nothing reads before it is written again (see the file's comment). */
function clearDead(s: State): void {
  for (const inv of s.invs) {
    if (inv.live) continue;
    inv.proc = 0;
    inv.pages = 0;
    inv.cause = 'migrate';
    inv.owner = NONE;
    inv.blockable = true;
    inv.oldFrames.fill(NONE);
    inv.oldGens.fill(0);
    inv.cb.fill(CB_RETURNED);
  }
  for (const row of s.dev.mirror) {
    for (const e of row) {
      if (e.frame !== NONE) continue;
      e.gen = 0;
      e.epoch = 0;
      e.writable = false;
      e.p2p = false;
    }
  }
  for (const j of s.jobs) {
    if (j.state === 'free') {
      j.proc = 0;
      j.vpage = 0;
      j.write = false;
      j.value = 0;
      j.mapEpoch = 0;
      j.p2p = false;
      j.frame = NONE;
    }
    if (j.frame === NONE) {
      // The translation (dma_start sets all four together) is not taken yet.
      j.gen = 0;
      j.epoch = 0;
      j.p2p = false;
    }
  }
}

export interface CanonicalOptions {
  /** Counters stored outside the state (the properties' monitors), renumbered with the state's. */
  extra?: (c: Counters) => void;
  /**
   * A state whose values are learnt but not changed, so that values read from it (by a predicate over the
   * future) keep their meaning: two states canonical alike then differ by a renumbering that fixes them.
   */
  anchor?: State;
  /** Something compares written values (no-lost-write): keep them apart; otherwise every value is 0. */
  observeValues?: boolean;
}

/** Put `s` (a copy the caller owns) in canonical form, in place. */
export function canonicalize(s: State, strategy: Strategy, opts: CanonicalOptions = {}): void {
  const { extra, anchor } = opts;
  clearDead(s);
  strategy.clearDead?.(s.drv, s);
  const r = new Renumber(s, opts.observeValues ?? false);
  if (anchor) {
    worldCounters(anchor, r);
    strategy.counters?.(anchor.drv, r, anchor);
  }
  worldCounters(s, r);
  strategy.counters?.(s.drv, r, s);
  extra?.(r);
  r.freeze();
  worldCounters(s, r);
  strategy.counters?.(s.drv, r, s);
  extra?.(r);
}
