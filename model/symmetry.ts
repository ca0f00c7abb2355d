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

/** A per-slot entry of slot `j` as a string; the fields in `refs` that name slot `j` itself are written `@`, so the string does not name the slot. */
function entryKey(x: unknown, j: number, refs: readonly string[]): string {
  if (refs.length === 0 || x === null || typeof x !== 'object') return JSON.stringify(x);
  return JSON.stringify(x, (field, v: unknown) => (refs.includes(field) && v === j ? '@' : v));
}

/**
 * What job `j` holds, as a string that orders slots. A reference to another slot keeps that slot's number
 * (none of the shipped drivers stores one: a fault context names only its own job): the form is then not
 * the only one of its orbit, which costs states, never a verdict.
 */
function slotKey(s: State, j: number, sym: JobSymmetry, mons: readonly JobIndexedMemory[]): string {
  let k = JSON.stringify(s.jobs[j]);
  const drv = s.drv as Bag;
  for (const name of sym.byJob) k += `|${entryKey((drv[name] as unknown[])[j], j, refsOf(sym, name))}`;
  for (const m of mons) if (m.inKey) for (const name of m.byJob) k += `|${JSON.stringify(((m.mem as Bag)[name] as unknown[])[j])}`;
  return k;
}

function refsOf(sym: JobSymmetry, array: string): string[] {
  return (sym.jobRefs ?? []).filter((r) => r.array === array).map((r) => r.field);
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
  const n = s.jobs.length;
  if (n < 2) return null;
  const keys = Array.from({ length: n }, (_, j) => slotKey(s, j, sym, mons));
  let sorted = true;
  for (let j = 1; j < n && sorted; j++) if (keys[j - 1]! > keys[j]!) sorted = false;
  if (sorted) return null;
  const perm = keys.map((_, j) => j).sort((x, y) => (keys[x]! < keys[y]! ? -1 : keys[x]! > keys[y]! ? 1 : x - y));
  relabelJobSlots(s, sym, mons, perm);
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
