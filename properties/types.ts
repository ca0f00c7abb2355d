// What a property is: a value with a stable id, a kind, a one-sentence meaning and a check over the events
// of a step and a read-only view of the state. A property never sees the driver's private state, and
// never which strategy or mutant runs.
import type { ModelEvent } from '../model/events.ts';
import type { Config, State } from '../model/types.ts';
import type { Counters } from '../model/canonical.ts';
import type { Wait } from '../model/waits.ts';

/**
 * The state as properties may read it: everything but the driver's private data, plus what the model
 * says its kernel paths wait on (`waits()`, computed from the whole state by model/waits.ts: which
 * fence, which lock, held by whom), so that a liveness failure names it without parsing a message.
 */
export type View = DeepReadonly<Omit<State, 'drv'>> & { readonly cfg: Config; waits(): readonly Wait[] };

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type PropertyKind = 'always' | 'sometimes' | 'eventually';

/** A broken property: the clause that broke and the ids and values involved. */
export interface Violation {
  property: string;
  clause: string;
  message: string;
  values: Record<string, number | string | boolean>;
}

export type ActorClass = 'kernel' | 'hardware' | 'user';

/**
 * The progress oracle: is a state where `done` holds reachable from the current state within `bound`
 * steps (Infinity, as every shipped config has it: by any number, the reachable part being finite) of the
 * given actor classes only (by default kernel and hardware: user space does nothing), leaving out the new
 * work the kernel might start on its own (see ReachOptions.retry)? `done` may compare with values read
 * from the current view: states are told apart with those values fixed (model/canonical.ts `anchor`).
 */
export interface Oracle {
  reach(done: (v: View) => boolean, bound: number, actors?: readonly ActorClass[], opts?: ReachOptions): boolean;
}

export interface ReachOptions {
  /**
   * Of user space's actions, only those that finish work it already started (actions on a job, such as
   * signalling a user fence), not new work (CPU accesses, mappings, submissions, registrations): what can
   * release a wait the kernel is in. Keeps a search that includes user space small.
   */
  userCompletionsOnly?: boolean;
  /**
   * Names the goal (e.g. `callback:inv0:sub0`), so that the oracle may answer from what it already
   * found in this state: a goal reached with some actors is reached with more, and the same question in
   * the same state (the same goal, bound, actors and options) has the same answer, which the oracle keeps
   * (src/system.ts, ORACLE_MEMO). So the name must say everything `done` depends on beside the state it
   * is given: the slot, the frame and generation read from the current view.
   */
  goal?: string;
  /**
   * The search leaves out the steps that begin new work on the kernel's own initiative (ActionKind
   * `starts`: a migration, a reclaim, an OOM kill, a buffer move), except these: a retry of the refused
   * move of (proc, vpage) (vpage omitted: any of proc's), or all of them (`retry: 'any'`).
   */
  retry?: { proc: number; vpage?: number } | 'any';
}

export interface CheckContext {
  view: View;
  events: readonly ModelEvent[];
  oracle: Oracle;
}

/**
 * A property. `M` is its monitor's memory (plain data, copied with the state by explorers that branch).
 * always / eventually: `check` returns a violation or null after every step.
 * sometimes: `check` returns a non-null value (a witness) the first time the interesting state is reached.
 */
export interface Property<M = unknown> {
  id: string;
  kind: PropertyKind;
  /**
   * A capability: what a design may give up (migratable, transparent, oom-reclaimable), shown in the
   * table beside the bugs; `dmacheck check --strategy` fails on it only when asked for by --property.
   */
  capability?: boolean;
  meaning: string;
  /**
   * The id of the `sometimes` witness (properties/witnesses.ts) whose reaching means the property had
   * something to judge: e.g. a DMA by a device that cannot recover from faults, for
   * no-fatal-device-fault. A run in which the property did not fail and its premise was never reached
   * proves nothing about it: its cell is `n/a`, never `holds`. Every verdict property has one; a
   * property without one (a user's own) is judged on every run.
   */
  premise?: string;
  init(view: View): M;
  check(mon: M, ctx: CheckContext): Violation | null;
  /**
   * Compares the values written to memory (the events' `value`): the finite model keeps written values
   * apart only while such a property is checked (model/canonical.ts).
   */
  observesValues?: boolean;
  /** A monitor that stores frame generations, seqs, epochs or values passes them through `c` (model/canonical.ts). */
  counters?(mon: M, c: Counters): void;
  /**
   * Its check reads only `ctx.view` and `ctx.oracle`: no events, no monitor memory. Its verdict on a
   * step is then a verdict on the state the step reached, and an exhaustive search checks it once per
   * distinct state instead of once per transition (test/properties.test.ts checks the claim).
   */
  stateOnly?: boolean;
  /**
   * The fields of the monitor's memory that are arrays indexed by job slot (none: `[]`), so that a search
   * relabelling job slots relabels them alike (model/symmetry.ts). A property with memory that does not
   * say turns the reduction off.
   */
  byJob?: readonly string[];
  /** As byJob, for arrays indexed by invalidation slot; a property with memory that does not say keeps invalidation slots unrelabelled. */
  byInv?: readonly string[];
}

export function violation(property: string, clause: string, message: string, values: Violation['values']): Violation {
  return { property, clause, message, values };
}

/** Is (proc, vpage) inside a live invalidation whose callbacks have not all returned, begun on `frame`? */
export function inCallbackWindow(view: View, proc: number, vpage: number, frame: number, gen: number): boolean {
  for (const inv of view.invs) {
    if (!inv.live || inv.proc !== proc || !((inv.pages >> vpage) & 1)) continue;
    if (inv.cb.every((c) => c === 255)) continue;
    if (inv.oldFrames[vpage] === frame && inv.oldGens[vpage] === gen) return true;
  }
  return false;
}

/** Which live processes map `frame` through a present PTE. */
export function mappers(view: View, frame: number): number[] {
  const out: number[] = [];
  view.mms.forEach((mm, p) => {
    if (mm.alive && mm.ptes.some((pte) => pte.mapped && pte.frame === frame)) out.push(p);
  });
  return out;
}
