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

type Kind = 'rank' | 'seq';

class Domain {
  values: number[] = [];
  map = new Map<number, number>();
  constructor(readonly kind: Kind) {}
}

/** Learns values per domain, then renumbers them. */
class Renumber implements Counters {
  private phase: 'learn' | 'map' = 'learn';
  private readonly domains = new Map<string, Domain>();
  private readonly remember = new Set<number>();
  private readonly values = new Map<number, number>();
  /** Whether anything compares values at all: if not, every value is 0. */
  constructor(private readonly observed: boolean) {}

  private val(key: string, kind: Kind, x: number): number {
    let d = this.domains.get(key);
    if (this.phase === 'learn') {
      if (!d) this.domains.set(key, (d = new Domain(kind)));
      d.values.push(x);
      return x;
    }
    return d!.map.get(x)!;
  }

  gen(frame: number, gen: number): number {
    return frame === NONE ? 0 : this.val(`g${frame}`, 'rank', gen);
  }
  seq(proc: number, seq: number): number {
    return this.val(`s${proc}`, 'seq', seq);
  }
  epoch(proc: number, vpage: number, epoch: number): number {
    return this.val(`e${proc}.${vpage}`, 'rank', epoch);
  }
  count(domain: string, x: number): number {
    return this.val(`c${domain}`, 'rank', x);
  }
  value(x: number): number {
    if (!this.observed) return 0;
    return this.phase === 'learn' ? x : this.values.get(x) ?? 1;
  }
  remembered(x: number): number {
    if (this.phase === 'learn') this.remember.add(x);
    return this.value(x);
  }
  /** The value of the next write: above every remembered one (set by worldCounters before the rest). */
  nextValue(x: number): number {
    if (!this.observed) return 0;
    return this.phase === 'learn' ? x : 2 + this.remember.size;
  }

  /** Fix the renumbering from the values learnt; later calls map. */
  freeze(): void {
    this.remember.delete(0);
    [...this.remember].sort((x, y) => x - y).forEach((v, i) => this.values.set(v, 2 + i));
    this.values.set(0, 0);
    for (const d of this.domains.values()) {
      const vs = [...new Set(d.values)].sort((x, y) => x - y);
      if (d.kind === 'rank') {
        vs.forEach((v, i) => d.map.set(v, i));
        continue;
      }
      // seq: gaps of 1 kept, longer gaps become 2; then shifted so that the largest keeps its parity.
      const c: number[] = [0];
      for (let i = 1; i < vs.length; i++) c.push(c[i - 1]! + Math.min(vs[i]! - vs[i - 1]!, 2));
      const top = vs[vs.length - 1]!;
      const shift = 2 + ((top - c[c.length - 1]!) & 1 ? 1 : 0);
      vs.forEach((v, i) => d.map.set(v, c[i]! + shift));
    }
    this.phase = 'map';
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
      j.gen = 0;
      j.epoch = 0;
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
  const r = new Renumber(opts.observeValues ?? false);
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
