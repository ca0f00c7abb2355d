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
//   - an mm's write_protect_seq (bumped twice by each fork, and a failed fork may be retried) and every
//     gup_fast snapshot of it: renumbered as the notifier seqs are, in a domain of their own;
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
import { CB_RETURNED, DEV, NONE } from './types.ts';
import type { State } from './types.ts';
import type { Strategy } from './strategy.ts';
import { canonicalSlots } from './swap.ts';

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
  /**
   * A value of process `proc`'s mm->write_protect_seq (a gup_fast snapshot, model/fork.ts): renumbered as
   * the notifier seqs are (equality and the parity of the mm's own kept), in a domain of its own.
   */
  writeProtectSeq(proc: number, seq: number): number;
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
  /** vs[0..n): the values learnt; after freeze, sorted without repeats, beside their new numbers cs[0..n). */
  private readonly vs: number[] = [];
  private readonly cs: number[] = [];
  private n = 0;
  constructor(private seqLike: boolean) {}

  reset(seqLike: boolean): void {
    this.seqLike = seqLike;
    this.n = 0;
  }

  learn(x: number): void {
    this.vs[this.n++] = x;
  }

  freeze(): void {
    // Insertion sort without repeats: a domain holds a handful of values.
    const vs = this.vs;
    const all = this.n;
    let n = 0;
    for (let i = 0; i < all; i++) {
      const x = vs[i]!;
      let j = n - 1;
      while (j >= 0 && vs[j]! > x) j--;
      if (j >= 0 && vs[j] === x) continue;
      for (let k = n; k > j + 1; k--) vs[k] = vs[k - 1]!;
      vs[j + 1] = x;
      n++;
    }
    this.n = n;
    const cs = this.cs;
    if (!this.seqLike) {
      for (let i = 0; i < n; i++) cs[i] = i;
      return;
    }
    // seq: gaps of 1 kept, longer gaps become 2; then shifted so that the largest keeps its parity.
    cs[0] = 0;
    for (let i = 1; i < n; i++) cs[i] = cs[i - 1]! + Math.min(vs[i]! - vs[i - 1]!, 2);
    const shift = 2 + ((vs[n - 1]! - cs[n - 1]!) & 1);
    for (let i = 0; i < n; i++) cs[i]! += shift;
  }

  map(x: number): number {
    const vs = this.vs;
    for (let i = 0; i < this.n; i++) if (vs[i] === x) return this.cs[i]!;
    throw new Error(`model/canonical: ${x} was not learnt in its domain (a counter visited when renumbering but not when learning)`);
  }
}

/**
 * Learns values per domain, then renumbers them. One is kept per shape of state and reused (reset at
 * each canonicalisation): the searches canonicalise millions of states.
 */
class Renumber implements Counters {
  private learning = true;
  /** Domains by number: frames' generations, then mms' seqs, then PTEs' epochs, then mms' write_protect_seqs; drivers' own by name. */
  private readonly domains: Domain[] = [];
  private readonly named = new Map<string, Domain>();
  private readonly remember: number[] = [];
  private nFrames = 0;
  private nProcs = 0;
  private nPages = 0;
  /** Whether anything compares values at all; if not, every value is 0. */
  private observed = false;
  /** In use (a canonicalisation inside another, from a strategy's hook, takes a fresh one). */
  busy = false;

  reset(s: State, observed: boolean): this {
    this.learning = true;
    this.observed = observed;
    this.nFrames = s.frames.length;
    this.nProcs = s.mms.length;
    this.nPages = s.mms[0]!.ptes.length;
    const wp = this.nFrames + this.nProcs + this.nProcs * this.nPages;
    const n = wp + this.nProcs;
    for (let i = 0; i < n; i++) {
      const seqLike = (i >= this.nFrames && i < this.nFrames + this.nProcs) || i >= wp;
      const d = this.domains[i];
      if (d === undefined) this.domains[i] = new Domain(seqLike);
      else d.reset(seqLike);
    }
    this.domains.length = n;
    for (const d of this.named.values()) d.reset(false);
    this.remember.length = 0;
    return this;
  }

  private val(d: Domain | undefined, x: number): number {
    if (this.learning) {
      d!.learn(x);
      return x;
    }
    return d!.map(x);
  }


  // While learning, every call returns its value unchanged: an anchor is learnt from, never written.
  gen(frame: number, gen: number): number {
    if (frame === NONE) return this.learning ? gen : 0;
    return this.val(this.domains[frame], gen);
  }
  seq(proc: number, seq: number): number {
    return this.val(this.domains[this.nFrames + proc], seq);
  }
  epoch(proc: number, vpage: number, epoch: number): number {
    return this.val(this.domains[this.nFrames + this.nProcs + proc * this.nPages + vpage], epoch);
  }
  writeProtectSeq(proc: number, seq: number): number {
    return this.val(this.domains[this.nFrames + this.nProcs + this.nProcs * this.nPages + proc], seq);
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
    for (const d of this.domains) d.freeze();
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
  for (let p = 0; p < s.mms.length; p++) {
    const mm = s.mms[p]!;
    mm.seq = c.seq(p, mm.seq);
    mm.wpSeq = c.writeProtectSeq(p, mm.wpSeq);
    for (let v = 0; v < mm.ptes.length; v++) {
      const pte = mm.ptes[v]!;
      pte.epoch = c.epoch(p, v, pte.epoch);
      pte.swap = c.value(pte.swap);
    }
  }
  const several = s.subs.length > s.mms.length;
  for (let k = 0; k < s.subs.length; k++) {
    const sb = s.subs[k]!;
    if (several && !sb.live) continue; // a free slot's seq is dead (clearDead)
    sb.seq = c.seq(sb.proc, sb.seq);
  }
  for (const inv of s.invs) {
    if (!inv.live) continue;
    const gens = inv.oldGens;
    for (let v = 0; v < gens.length; v++) gens[v] = c.gen(inv.oldFrames[v]!, gens[v]!);
  }
  // Every mirroring device's page table (the second one's in a config with two, Config.mirrors).
  for (const mirror of s.dev1 ? [s.dev.mirror, s.dev1.mirror] : [s.dev.mirror]) {
    for (let p = 0; p < mirror.length; p++) {
      const row = mirror[p]!;
      for (let v = 0; v < row.length; v++) {
        const e = row[v]!;
        if (e.frame === NONE) continue;
        e.gen = c.gen(e.frame, e.gen);
        e.epoch = c.epoch(p, v, e.epoch);
      }
    }
  }
  for (const j of s.jobs) {
    if (j.state === 'free') continue;
    // A write still to land carries a fresh value the reference memory will remember: keep it apart.
    j.value = j.write ? c.remembered(j.value) : c.value(j.value);
    j.mapEpoch = c.epoch(j.proc, j.vpage, j.mapEpoch);
    if (j.frame === NONE) continue;
    j.gen = c.gen(j.frame, j.gen);
    j.epoch = c.epoch(j.proc, j.vpage, j.epoch);
  }
  for (let p = 0; p < s.regs.length; p++) {
    const epochs = s.regs[p]!.epochs;
    for (let v = 0; v < epochs.length; v++) if (epochs[v] !== -1) epochs[v] = c.epoch(p, v, epochs[v]!);
  }
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
    inv.avoid = 0;
    inv.rmap = NONE;
    inv.oldFrames.fill(NONE);
    inv.oldGens.fill(0);
    inv.cb.fill(CB_RETURNED);
  }
  const several = s.subs.length > s.mms.length;
  for (let k = 0; k < s.subs.length; k++) {
    // A freed notifier the kernel no longer reaches (out of the tree and the deferred list, no callback
    // owed) is a slot nothing reads until the next insert allocates it afresh.
    const sb = s.subs[k]!;
    if (sb.freed && !sb.live && !s.invs.some((inv) => inv.live && inv.cb[k] !== CB_RETURNED)) sb.freed = false;
    // A free slot's seq is dead: subscribe writes it afresh. With two notifiers per process
    // (model/subscriptions.ts) it must be cleared, or it tells apart states whose live notifiers' seqs
    // the renumbering then numbers differently. With one per process it is kept as it always was (it
    // only splits states; clearing it there too is sound, but changes every config's pinned state count).
    if (several && !sb.live) sb.seq = 0;
  }
  for (const row of s.dev1 ? [...s.dev.mirror, ...s.dev1.mirror] : s.dev.mirror) {
    for (const e of row) {
      if (e.frame !== NONE) continue;
      e.gen = 0;
      e.epoch = 0;
      e.writable = false;
      e.p2p = false;
      e.dmaDev = DEV;
      e.dmaAddr = 'iova';
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
      if (j.dev !== undefined) j.dev = DEV; // submit writes it afresh
    }
    if (j.frame === NONE) {
      // The translation (dma_start sets all four together) is not taken yet.
      j.gen = 0;
      j.epoch = 0;
      j.p2p = false;
      j.dmaDev = DEV;
      j.dmaAddr = 'iova';
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
  canonicalSlots(s); // swap slots: renumbered by first appearance (model/swap.ts)
  strategy.clearDead?.(s.drv, s);
  const r = (spare.busy ? new Renumber() : spare).reset(s, opts.observeValues ?? false);
  r.busy = true;
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
  r.busy = false;
}

/** The renumbering canonicalize reuses (the model is single-threaded; a nested call takes a fresh one). */
const spare = new Renumber();
