// What the kernel paths of a state are waiting on, as data: the wait-for graph the liveness properties
// name in their messages (which fence, which lock, which job, and who can release it), and in which they
// find a deadlock's cycle. The world contributes the invalidate callbacks still owed; a strategy adds
// what its own steps wait on through its `waits` hook (a callback's fence, a buffer move's fences and
// reservation lock, a signalling path in direct reclaim). Pure: computed from a state, never stored.
import type { State } from './types.ts';
import type { DriverContext, Strategy } from './strategy.ts';
import { CB_RETURNED } from './types.ts';

/** Who releases a resource once nothing it depends on waits: the kernel's own steps, the device, user space, or nobody. */
export type Releaser = 'kernel' | 'hardware' | 'user' | 'nobody';

/** What a kernel path waits on, named as the kernel names it. */
export type WaitTarget =
  /** A job's dma_fence: signalled by the hardware (a kernel queue) or only by user space (a user queue). */
  | { k: 'fence'; job: number }
  /** amdkfd's per-process eviction fence (signalled once the hardware preempted the process's queues). */
  | { k: 'eviction-fence'; proc: number }
  /** The exporter's copy fence for a buffer page being moved. */
  | { k: 'copy-fence'; proc: number; vpage: number }
  /** A DMA in flight that must land first (the HCA draining, a fenced UMR completing). */
  | { k: 'dma'; job: number }
  /** A process's buffer's dma_resv lock (ww_mutex). */
  | { k: 'resv-lock'; proc: number }
  /** The dma_resv_unlock of a process's buffer by the path that holds the lock (the waiter itself). */
  | { k: 'resv-unlock'; proc: number }
  /** A driver's own lock (umem_mutex, the notifier lock). */
  | { k: 'driver-lock'; name: string }
  /** The end of an invalidation (an allocation in direct reclaim waits for the reclaim it started). */
  | { k: 'invalidation'; inv: number }
  /** The hardware preempting a process's queues. */
  | { k: 'preemption'; proc: number }
  /**
   * A revoked MR memory key's usecount draining to 0 (mlx5r_deref_wait_odp_mkey): the page-fault
   * handlers that still hold it (`handlers`) finishing.
   */
  | { k: 'mkey-usecount'; proc: number; handlers: number };

export interface WaitOn {
  target: WaitTarget;
  /** The waits that must end before this is released (the lock's holder, the fence's signaller), by id. */
  heldBy: string[];
  /** Who releases it once those have ended. */
  releasedBy: Releaser;
}

export type WaitKind = 'callback' | 'move' | 'fault' | 'signal' | 'teardown';

/** One kernel path that is waiting (or owes a step that cannot run yet). */
export interface Wait {
  /** Stable id: `callback:<inv>:<sub>`, `move:<proc>:<vpage>`, `map:<job>`, `signal:<proc>`, `detach:<proc>`, `dereg:<proc>`. */
  id: string;
  kind: WaitKind;
  /** The waiter, in a few words ("the invalidate callback of the reclaim invalidation 1 of p0"). */
  what: string;
  /** False where the path may not sleep (mmu_notifier_range_blockable false: the OOM reaper). */
  mayBlock: boolean;
  on: WaitOn[];
}

export const callbackWaitId = (inv: number, sub: number): string => `callback:${inv}:${sub}`;
export const moveWaitId = (proc: number, vpage: number): string => `move:${proc}:${vpage}`;

/** The callbacks of invalidation `inv` still owed, as wait ids (what its end waits on). */
export function pendingCallbackIds(s: { readonly invs: readonly { readonly live: boolean; readonly cb: readonly number[] }[] }, inv: number): string[] {
  const iv = s.invs[inv]!;
  if (!iv.live) return [];
  const out: string[] = [];
  iv.cb.forEach((c, sub) => c !== CB_RETURNED && out.push(callbackWaitId(inv, sub)));
  return out;
}

/** The world's waits: every invalidate callback still owed, with nothing named yet (the strategy adds that). */
export function worldWaits(s: State): Wait[] {
  const out: Wait[] = [];
  s.invs.forEach((inv, i) => {
    if (!inv.live) return;
    inv.cb.forEach((c, sub) => {
      if (c === CB_RETURNED) return;
      out.push({
        id: callbackWaitId(i, sub),
        kind: 'callback',
        what: `the invalidate callback of subscription ${sub} for the ${inv.cause} invalidation ${i} of p${inv.proc}`,
        mayBlock: inv.blockable,
        on: [],
      });
    });
  });
  return out;
}

/** Every wait of a state: the world's, then the strategy's own (its hook may also name what a callback waits on). */
export function waitsOf(strategy: Strategy, s: State, ctx: DriverContext): Wait[] {
  const out = worldWaits(s);
  strategy.waits?.(s, ctx, out);
  return out;
}

/** Add what wait `id` waits on (a strategy's hook naming a callback's wait); creates nothing if `id` is absent. */
export function waitsOn(out: Wait[], id: string, on: WaitOn): void {
  out.find((w) => w.id === id)?.on.push(on);
}

/** Who signals a job's fence: the hardware on a kernel queue, only user space on a user queue. */
export function fenceReleaser(queue: 'kernel' | 'user'): Releaser {
  return queue === 'user' ? 'user' : 'hardware';
}

// ---- Explaining waits -----------------------------------------------------------------------------

export function describeTarget(t: WaitTarget): string {
  switch (t.k) {
    case 'fence':
      return `job ${t.job}'s fence`;
    case 'eviction-fence':
      return `p${t.proc}'s eviction fence`;
    case 'copy-fence':
      return `the copy fence of p${t.proc} v${t.vpage}'s move`;
    case 'dma':
      return `job ${t.job}'s DMA in flight`;
    case 'resv-lock':
      return `p${t.proc}'s dma_resv lock`;
    case 'resv-unlock':
      return `its own dma_resv_unlock of p${t.proc}'s buffer`;
    case 'driver-lock':
      return `the driver lock ${t.name}`;
    case 'invalidation':
      return `the end of invalidation ${t.inv}`;
    case 'preemption':
      return `the preemption of p${t.proc}'s queues`;
    case 'mkey-usecount':
      return `the usecount of p${t.proc}'s mkey (${t.handlers} page-fault handler(s) still hold it)`;
  }
}

const releaserText: Record<Releaser, string> = {
  kernel: 'the kernel releases it',
  hardware: 'the hardware releases it',
  user: 'only user space can release it',
  nobody: 'nothing releases it',
};

/** "job 0's fence (only user space can release it)", "p0's dma_resv lock (held by the move of p0 v0)". */
export function describeOn(ws: readonly Wait[], on: WaitOn): string {
  const holders = on.heldBy.map((h) => ws.find((w) => w.id === h)?.what ?? h);
  const who = holders.length > 0 ? `held by ${holders.join(' and ')}` : releaserText[on.releasedBy];
  return `${describeTarget(on.target)} (${who})`;
}

/** What wait `id` waits on, as a clause: "waits on job 0's fence (only user space can release it)". */
export function describeWait(ws: readonly Wait[], id: string): string {
  const w = ws.find((x) => x.id === id);
  if (!w) return 'has no wait the model names';
  if (w.on.length === 0) return 'waits on nothing outside itself: its own next steps can run, yet none of them ends it';
  return `waits on ${w.on.map((o) => describeOn(ws, o)).join(', and on ')}`;
}

/** Does anything but user space release what `id` waits on, all the way down? */
export function onlyUserReleases(ws: readonly Wait[], id: string, seen = new Set<string>()): boolean {
  const w = ws.find((x) => x.id === id);
  if (!w || seen.has(id)) return false;
  seen.add(id);
  return w.on.some((o) => (o.heldBy.length === 0 ? o.releasedBy === 'user' : o.heldBy.some((h) => onlyUserReleases(ws, h, seen))));
}

/** Does what `id` waits on end, down some chain, in something nothing releases (a leaked lock)? */
export function nothingReleases(ws: readonly Wait[], id: string, seen = new Set<string>()): boolean {
  const w = ws.find((x) => x.id === id);
  if (!w || seen.has(id)) return false;
  seen.add(id);
  return w.on.some((o) => (o.heldBy.length === 0 ? o.releasedBy === 'nobody' : o.heldBy.some((h) => nothingReleases(ws, h, seen))));
}

/** One edge of a wait-for cycle: `from` waits on `on`, which `to` holds. */
export interface CycleEdge {
  from: string;
  on: WaitTarget;
  to: string;
}

/**
 * A cycle in the wait-for graph reachable from wait `id` (the waits its targets are held by, and theirs),
 * or null: the deadlock, as data.
 */
export function waitCycle(ws: readonly Wait[], id: string): CycleEdge[] | null {
  const path: CycleEdge[] = [];
  const onPath = new Set<string>();
  const done = new Set<string>();
  const visit = (cur: string): CycleEdge[] | null => {
    onPath.add(cur);
    const w = ws.find((x) => x.id === cur);
    for (const o of w?.on ?? []) {
      for (const h of o.heldBy) {
        path.push({ from: cur, on: o.target, to: h });
        if (onPath.has(h)) return path.slice(path.findIndex((e) => e.from === h));
        if (!done.has(h)) {
          const c = visit(h);
          if (c) return c;
        }
        path.pop();
      }
    }
    onPath.delete(cur);
    done.add(cur);
    return null;
  };
  return visit(id);
}

/** "A waits on X, held by B; B waits on Y, held by A". */
export function describeCycle(ws: readonly Wait[], cycle: readonly CycleEdge[]): string {
  const what = (id: string) => ws.find((w) => w.id === id)?.what ?? id;
  return cycle.map((e) => `${what(e.from)} waits on ${describeTarget(e.on)}, held by ${what(e.to)}`).join('; ');
}

/** The cycle as ids, for a violation's values: "callback:1:0 -> signal:0 -> callback:1:0". */
export function cycleIds(cycle: readonly CycleEdge[]): string {
  return [...cycle.map((e) => e.from), cycle[0]!.from].join(' -> ');
}
