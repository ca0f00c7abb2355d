// Shrink a failing action list to a 1-minimal one: no single action (nor pair) can be removed and the
// rest still replay and break the same property.
//
// Removing an action can shift the slots later actions name (an invalidation takes the lowest free slot,
// so without an earlier munmap the migration is inv0, not inv1), or strand the actions that depended on
// it (the munmap's invalidate_end). Candidates are therefore replayed leniently: an action that is not
// enabled as written is matched to the enabled action of the same kind that differs only in its slot
// arguments (inv, job, fault), the renaming kept for the rest of the list; if there is none, the action
// is dropped (as fast-check skips a command whose check fails). The list returned is the one that ran,
// which replays exactly.
import type { Model } from '../model/model.ts';
import { enabled, init, sameAction, stepInPlace } from '../model/model.ts';
import type { Action } from '../model/types.ts';
import type { Property } from '../properties/types.ts';
import { Monitor } from './system.ts';

/** Argument names that number slots, not things of the world (a process, a page). */
const SLOT_ARGS = new Set(['inv', 'job', 'fault']);

interface Replayed {
  /** Index of the step that broke `propertyId`, or -1. */
  at: number;
  /** The actions as they ran, after renaming. */
  actions: Action[];
}

function replayRenaming(m: Model, xs: readonly Action[], props: readonly Property<any>[], propertyId: string): Replayed {
  const s = init(m);
  const mon = new Monitor(m, props, s);
  const rename = new Map<string, number>(); // `${argName}:${old}` -> new
  const ran: Action[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const names = m.kinds.get(x.k)?.args ?? [];
    const map = (v: number, j: number) => (SLOT_ARGS.has(names[j] ?? '') ? (rename.get(`${names[j]}:${v}`) ?? v) : v);
    const a: Action = { k: x.k, a: map(x.a, 0), b: map(x.b, 1) };
    const en = enabled(m, s);
    let chosen = en.find((e) => sameAction(e, a));
    if (!chosen) {
      // Same kind, same non-slot arguments, another slot.
      chosen = en.find(
        (e) => e.k === a.k && (SLOT_ARGS.has(names[0] ?? '') || e.a === a.a) && (SLOT_ARGS.has(names[1] ?? '') || e.b === a.b),
      );
      if (!chosen) continue; // not enabled here: the candidate runs without it
      if (SLOT_ARGS.has(names[0] ?? '')) rename.set(`${names[0]}:${x.a}`, chosen.a);
      if (SLOT_ARGS.has(names[1] ?? '')) rename.set(`${names[1]}:${x.b}`, chosen.b);
    }
    ran.push(chosen);
    const v = mon.check(s, stepInPlace(m, s, chosen));
    if (v) return { at: v.property === propertyId ? i : -1, actions: ran };
  }
  return { at: -1, actions: ran };
}

export function minimize(m: Model, actions: readonly Action[], props: readonly Property<any>[], propertyId: string): Action[] {
  const fails = (xs: readonly Action[]): Action[] | null => {
    const r = replayRenaming(m, xs, props, propertyId);
    return r.at >= 0 ? r.actions : null;
  };
  let cur = fails(actions);
  if (!cur) return [...actions];
  let changed = true;
  while (changed) {
    changed = false;
    // Chunks first (halves, quarters, ...), then single actions, then pairs: an action and the one that
    // ends it (an invalidation and its invalidate_end) often only go together.
    for (let size = Math.floor(cur.length / 2); size >= 1; size = Math.floor(size / 2)) {
      for (let i = cur.length - size; i >= 0; i--) {
        const cand = fails([...cur.slice(0, i), ...cur.slice(i + size)]);
        if (cand) {
          cur = cand;
          changed = true;
          i = Math.min(i, cur.length - size + 1);
        }
      }
    }
    for (let i = cur.length - 1; i >= 1 && !changed; i--) {
      for (let j = i - 1; j >= 0; j--) {
        const cand = fails(cur.filter((_, k) => k !== i && k !== j));
        if (cand) {
          cur = cand;
          changed = true;
          break;
        }
      }
    }
  }
  return cur;
}
