// Shrink a failing action list to a 1-minimal one: no single action can be removed and the rest still
// replay and break the same property. Greedy from the front, repeated until nothing changes.
import type { Model } from '../model/model.ts';
import type { Action } from '../model/types.ts';
import type { Property } from '../properties/types.ts';
import { runActions } from './run.ts';

export function minimize(m: Model, actions: readonly Action[], props: readonly Property<any>[], propertyId: string): Action[] {
  const fails = (xs: readonly Action[]) => {
    const r = runActions(m, xs, props);
    return r.violation?.property === propertyId ? r.step : -1;
  };
  let cur = [...actions];
  const end = fails(cur);
  if (end < 0) return cur;
  cur = cur.slice(0, end + 1);
  // Single removals first, then pairs: an action and the one that ends it (an invalidation and its
  // invalidate_end) often only go together.
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = cur.length - 1; i >= 0; i--) {
      const cand = [...cur.slice(0, i), ...cur.slice(i + 1)];
      const at = fails(cand);
      if (at >= 0) {
        cur = cand.slice(0, at + 1);
        changed = true;
      }
    }
    for (let i = cur.length - 1; i >= 1 && !changed; i--) {
      for (let j = i - 1; j >= 0; j--) {
        const cand = cur.filter((_, k) => k !== i && k !== j);
        const at = fails(cand);
        if (at >= 0) {
          cur = cand.slice(0, at + 1);
          changed = true;
          break;
        }
      }
    }
  }
  return cur;
}
