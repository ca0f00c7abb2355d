// Every slot of a trace named by what it is: "job0: the read of p0 v1 submitted at step 8",
// "inv0: the migrate invalidation of p0 v1 begun at step 6", "fault3: the fault of p0 v1 started by
// register(p0) at step 3". A slot is reused once free, so a name holds for one lifetime: from the step
// that filled the slot on.
import { NONE, type State } from '../../model/types.ts';
import { pagesText } from './state.ts';

export interface SlotLife {
  /** `job0`, `inv1`, `fault3`. */
  id: string;
  /** 1-based step that filled the slot (0: the initial state). */
  from: number;
  /** "the read of p0 v1 submitted at step 8, to a user queue". */
  what: string;
}

/** The births of slots between two states, at step `n` (1-based) made by `call`. */
export function slotsBorn(a: State, b: State, n: number, call: string, queue: 'kernel' | 'user'): SlotLife[] {
  const out: SlotLife[] = [];
  b.jobs.forEach((j, i) => {
    if (a.jobs[i]!.state !== 'free' || j.state === 'free') return;
    const kind = j.write ? `write of ${j.value} to` : 'read of';
    const q = queue === 'user' ? ', on a user queue (a doorbell: the kernel never sees the submission, and only user space ends the job)' : ', on a kernel queue';
    out.push({ id: `job${i}`, from: n, what: `the ${kind} p${j.proc} v${j.vpage} submitted at step ${n}${q}` });
  });
  b.invs.forEach((inv, i) => {
    if (a.invs[i]!.live || !inv.live) return;
    out.push({ id: `inv${i}`, from: n, what: `the ${inv.cause} invalidation of p${inv.proc} ${pagesText(inv.pages)}${inv.blockable ? '' : ' (non-blockable)'} begun at step ${n} by ${call}` });
  });
  // The driver's own slots: arrays of records with a `live` flag (a fault context, a move), named as the
  // action argument that refers to them (`faults[3]` -> `fault3`).
  const da = a.drv as Record<string, unknown> | null;
  const db = b.drv as Record<string, unknown> | null;
  if (db && typeof db === 'object') {
    for (const [key, arr] of Object.entries(db)) {
      if (!Array.isArray(arr)) continue;
      const before = (da?.[key] ?? []) as unknown[];
      arr.forEach((r, i) => {
        if (!isRecord(r) || r['live'] !== true) return;
        const o = before[i];
        if (isRecord(o) && o['live'] === true && !restarted(o, r)) return;
        const name = key.endsWith('s') ? key.slice(0, -1) : key;
        out.push({ id: `${name}${i}`, from: n, what: `${recordWhat(name, r)} started by ${call} at step ${n}` });
      });
    }
  }
  return out;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A live record whose page changed is a new lifetime (a slot refilled within one step). */
function restarted(o: Record<string, unknown>, r: Record<string, unknown>): boolean {
  return o['proc'] !== r['proc'] || o['vpage'] !== r['vpage'] || o['job'] !== r['job'];
}

function recordWhat(name: string, r: Record<string, unknown>): string {
  const at = typeof r['proc'] === 'number' && typeof r['vpage'] === 'number' ? ` of p${r['proc']} v${r['vpage']}` : typeof r['proc'] === 'number' ? ` of p${r['proc']}` : '';
  const job = typeof r['job'] === 'number' && r['job'] !== NONE ? ` for job${r['job']}` : typeof r['job'] === 'number' ? ' for the driver itself' : '';
  return `the ${name}${at}${job}${r['write'] === true ? ' (for writing)' : ''}`;
}

/** Name `id` as it was at step `n`: its latest lifetime begun at or before `n`. */
export function slotAt(lives: readonly SlotLife[], id: string, n: number): SlotLife | undefined {
  let best: SlotLife | undefined;
  for (const l of lives) if (l.id === id && l.from <= n && (!best || l.from >= best.from)) best = l;
  return best;
}
