// Symmetry reduction over job slots. A job slot is a name, not a place: a job is submitted into the lowest
// free slot, the world and the drivers treat every slot alike, and a property judges what a job did, never
// which slot it sat in. Two states that differ only by which slot holds which job (with everything that
// names a slot relabelled alike) have the same futures up to that relabelling, and the same verdicts, so an
// exhaustive search keeps one of them: the one whose jobs are sorted.
//
// The order is total on what a slot holds: the world's job record (its counters already renumbered, and
// renumbering does not depend on the slots' order: model/canonical.ts ranks each domain's values), what the
// driver stores per slot (its arrays indexed by job slot), and what the monitors of the verdict properties
// remember per slot. Two slots that tie hold the same thing, and swapping them changes nothing: so every
// state of an orbit sorts to one form. A strategy opts in by saying where it stores job slots
// (`Strategy.jobSymmetry`); a property whose monitor has memory by saying which of it is per slot
// (`Property.byJob`). test/symmetry.test.ts checks, for every strategy that opts in, that the sorted form
// has the same successors as the state it came from, up to sorting.
import { NONE } from './types.ts';
import type { State } from './types.ts';

/** Where a driver's state names job slots (Strategy.jobSymmetry). */
export interface JobSymmetry {
  /**
   * Arrays of the driver's state indexed by job slot: their first `jobs.length` entries are the slots'
   * (an array may go on past them, as the fault contexts of the mirroring drivers do, one per page).
   */
  byJob: readonly string[];
  /** Fields of the records of a driver's array that hold a job slot, or NONE. */
  jobRefs?: readonly { array: string; field: string }[];
}

/** A monitor's memory, relabelled with the jobs: its arrays indexed by job slot; `inKey`: it decides a verdict, so it orders slots too. */
export interface JobIndexedMemory {
  mem: unknown;
  byJob: readonly string[];
  inKey: boolean;
}

type Bag = Record<string, unknown>;

/** A slot's reference to itself, in a comparison: below every slot number and NONE, so it names no slot. */
const SELF = -2;

/** Order two plain values (numbers, booleans, strings, arrays, records of one shape): <0, 0, >0. */
function cmp(x: unknown, y: unknown): number {
  if (x === y) return 0;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'boolean' || typeof x === 'string') return (x as string | boolean) < (y as string | boolean) ? -1 : 1;
  if (x === null || y === null) return x === null ? -1 : 1;
  if (Array.isArray(x)) {
    const ya = y as unknown[];
    if (x.length !== ya.length) return x.length - ya.length;
    for (let i = 0; i < x.length; i++) {
      const c = cmp(x[i], ya[i]);
      if (c !== 0) return c;
    }
    return 0;
  }
  const xr = x as Bag;
  const yr = y as Bag;
  for (const f in xr) {
    const c = cmp(xr[f], yr[f]);
    if (c !== 0) return c;
  }
  return 0;
}

/** Order two records of a per-slot array, held by slots j and k, reading a field in `refs` that names its own slot as SELF. */
function cmpRecords(x: Bag, j: number, y: Bag, k: number, refs: readonly string[]): number {
  for (const f in x) {
    const isRef = refs.includes(f);
    const a = isRef && x[f] === j ? SELF : x[f];
    const b = isRef && y[f] === k ? SELF : y[f];
    const c = cmp(a, b);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Order slots j and k by what they hold: the world's job record, what the driver stores per slot, what the
 * verdict properties remember per slot. A reference to another slot keeps that slot's number (none of the
 * shipped drivers stores one: a fault context names only its own job): the sorted form is then not the
 * only one of its orbit, which costs states, never a verdict.
 */
function cmpSlots(s: State, j: number, k: number, sym: JobSymmetry, refs: readonly (readonly string[])[], mons: readonly JobIndexedMemory[]): number {
  let c = cmp(s.jobs[j], s.jobs[k]);
  if (c !== 0) return c;
  const drv = s.drv as Bag;
  for (let n = 0; n < sym.byJob.length; n++) {
    const a = drv[sym.byJob[n]!] as unknown[];
    const r = refs[n]!;
    c = r.length > 0 && typeof a[j] === 'object' ? cmpRecords(a[j] as Bag, j, a[k] as Bag, k, r) : cmp(a[j], a[k]);
    if (c !== 0) return c;
  }
  return cmpMemories(mons, (m) => m.byJob, j, k);
}

/** Order slots j and k by what the verdict properties' monitors remember per slot (the arrays `names` gives). */
function cmpMemories<T extends { mem: unknown; inKey: boolean }>(mons: readonly T[], names: (m: T) => readonly string[], j: number, k: number): number {
  for (const m of mons) {
    if (!m.inKey) continue;
    for (const name of names(m)) {
      const a = (m.mem as Bag)[name] as unknown[];
      const c = cmp(a[j], a[k]);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** Per array of `sym.byJob`: its fields that name a job slot. */
const refsCache = new WeakMap<JobSymmetry, string[][]>();
function refsOf(sym: JobSymmetry): string[][] {
  let r = refsCache.get(sym);
  if (!r) refsCache.set(sym, (r = sym.byJob.map((name) => (sym.jobRefs ?? []).filter((x) => x.array === name).map((x) => x.field))));
  return r;
}

/** Replace a[0..perm.length) by a[perm[k]]. */
function permute(a: unknown[], perm: readonly number[]): void {
  const old = a.slice(0, perm.length);
  for (let k = 0; k < perm.length; k++) a[k] = old[perm[k]!];
}

/**
 * Sort `s`'s job slots (and every place that names one) in place. Returns the permutation applied
 * (slot k now holds what slot perm[k] held), or null if the slots were already in order.
 */
export function sortJobSlots(s: State, sym: JobSymmetry, mons: readonly JobIndexedMemory[]): number[] | null {
  const refs = refsOf(sym);
  const perm = sortedOrder(s.jobs.length, (j, k) => cmpSlots(s, j, k, sym, refs, mons));
  if (perm) relabelJobSlots(s, sym, mons, perm);
  return perm;
}

/**
 * The stable order of slots 0..n by `cmp` (an insertion sort: a scope has a handful), or null if they are
 * in order already. Slots that tie hold the same thing.
 */
function sortedOrder(n: number, cmp: (j: number, k: number) => number): number[] | null {
  if (n < 2) return null;
  let sorted = true;
  for (let j = 1; j < n && sorted; j++) if (cmp(j - 1, j) > 0) sorted = false;
  if (sorted) return null;
  const perm = [0];
  for (let j = 1; j < n; j++) {
    let i = perm.length;
    while (i > 0 && cmp(perm[i - 1]!, j) > 0) i--;
    perm.splice(i, 0, j);
  }
  return perm;
}

/** Relabel `s`'s job slots in place: slot k takes what slot perm[k] held, and every place that names a slot follows. */
export function relabelJobSlots(s: State, sym: JobSymmetry, mons: readonly JobIndexedMemory[], perm: readonly number[]): void {
  const n = s.jobs.length;
  const to: number[] = [];
  perm.forEach((old, k) => (to[old] = k));
  permute(s.jobs, perm);
  const drv = s.drv as Bag;
  for (const name of sym.byJob) permute(drv[name] as unknown[], perm);
  for (const r of sym.jobRefs ?? []) {
    for (const rec of drv[r.array] as Bag[]) {
      const v = rec[r.field] as number;
      if (v >= 0 && v < n) rec[r.field] = to[v]!;
    }
  }
  for (const m of mons) for (const name of m.byJob) permute((m.mem as Bag)[name] as unknown[], perm);
}

// ---- Symmetry over invalidation slots ------------------------------------------------------------------
//
// An invalidation slot is a name too: mm.ts `freeInvalidation` gives the lowest free one, and nothing
// treats a slot by its number (every loop over `s.invs` asks whether some invalidation matches, never
// which is first). What names a slot: the world's fork in progress (`s.fork.inv`), the link between the
// two invalidations of a shared page's migration (`Invalidation.rmap`), what a driver stores per slot or
// as a reference to one (a lock its callback holds, `LOCK_BY_INV + i`: Strategy.invSymmetry), and what a
// monitor remembers per slot (Property.byInv). The comparison orders slots by their records, with a link
// read as "linked" and each reference as "this slot is named here", so that slots that tie hold the same
// thing and are named alike.

/** Where a driver's state names invalidation slots (Strategy.invSymmetry). */
export interface InvSymmetry {
  /** Arrays of the driver's state indexed by invalidation slot. */
  byInv?: readonly string[];
  /**
   * Fields of the driver's state (a number, or an array of numbers) that hold `offset + slot` when they
   * name an invalidation slot (a lock held by that invalidation's callback), and some other value
   * (NONE, below `offset`) when they do not.
   */
  invRefs?: readonly { field: string; offset: number }[];
}

/** A monitor's memory, relabelled with the invalidations: its arrays indexed by invalidation slot. */
export interface InvIndexedMemory {
  mem: unknown;
  byInv: readonly string[];
  inKey: boolean;
}

/** Invalidation.rmap read in a comparison: a link to another slot is "linked", whichever slot it names. */
const LINKED = -100;

function cmpInvRecords(x: Bag, y: Bag): number {
  for (const f in x) {
    let a = x[f];
    let b = y[f];
    if (f === 'rmap') {
      if ((a as number) >= 0) a = LINKED;
      if ((b as number) >= 0) b = LINKED;
    }
    const c = cmp(a, b);
    if (c !== 0) return c;
  }
  return 0;
}

/** How many of the driver's references (InvSymmetry.invRefs) name slot i. */
function namedBy(drv: Bag, sym: InvSymmetry, i: number): number {
  let n = 0;
  for (const r of sym.invRefs ?? []) {
    const v = drv[r.field];
    if (Array.isArray(v)) {
      for (const x of v as number[]) if (x === r.offset + i) n++;
    } else if (v === r.offset + i) n++;
  }
  return n;
}

function cmpInvSlots(s: State, i: number, k: number, sym: InvSymmetry, mons: readonly InvIndexedMemory[]): number {
  let c = cmpInvRecords(s.invs[i] as unknown as Bag, s.invs[k] as unknown as Bag);
  if (c !== 0) return c;
  c = (s.fork.inv === i ? 1 : 0) - (s.fork.inv === k ? 1 : 0);
  if (c !== 0) return c;
  const drv = s.drv as Bag;
  for (const name of sym.byInv ?? []) {
    const a = drv[name] as unknown[];
    c = cmp(a[i], a[k]);
    if (c !== 0) return c;
  }
  c = namedBy(drv, sym, i) - namedBy(drv, sym, k);
  if (c !== 0) return c;
  return cmpMemories(mons, (m) => m.byInv, i, k);
}

/**
 * Sort `s`'s invalidation slots (and every place that names one) in place, as sortJobSlots sorts job
 * slots. Returns the permutation applied (slot k now holds what slot perm[k] held), or null.
 */
export function sortInvSlots(s: State, sym: InvSymmetry, mons: readonly InvIndexedMemory[]): number[] | null {
  const perm = sortedOrder(s.invs.length, (i, k) => cmpInvSlots(s, i, k, sym, mons));
  if (perm) relabelInvSlots(s, sym, mons, perm);
  return perm;
}

/** Relabel `s`'s invalidation slots in place: slot k takes what slot perm[k] held, and every place that names a slot follows. */
export function relabelInvSlots(s: State, sym: InvSymmetry, mons: readonly InvIndexedMemory[], perm: readonly number[]): void {
  const n = s.invs.length;
  const to: number[] = [];
  perm.forEach((old, k) => (to[old] = k));
  permute(s.invs, perm);
  for (const inv of s.invs) if (inv.rmap >= 0 && inv.rmap < n) inv.rmap = to[inv.rmap]!;
  if (s.fork.inv >= 0 && s.fork.inv < n) s.fork.inv = to[s.fork.inv]!;
  const drv = s.drv as Bag;
  for (const name of sym.byInv ?? []) permute(drv[name] as unknown[], perm);
  const rename = (v: number, offset: number): number => (v - offset >= 0 && v - offset < n ? offset + to[v - offset]! : v);
  for (const r of sym.invRefs ?? []) {
    const v = drv[r.field];
    if (Array.isArray(v)) for (let x = 0; x < v.length; x++) v[x] = rename(v[x] as number, r.offset);
    else drv[r.field] = rename(v as number, r.offset);
  }
  for (const m of mons) for (const name of m.byInv) permute((m.mem as Bag)[name] as unknown[], perm);
}
