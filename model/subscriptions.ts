// Several interval notifiers per process: the `subs` layout and a second mm user.
//
// `subs` holds `notifiers` slots per process (Scope.notifiers, 1 unless a config asks for more): slot p
// is the notifier of the device under test's driver on process p (the strategy's: inv.cb[inv.proc]),
// slot p + k * procs the k-th other mm user's. The other mm user stands for a second driver that mirrors
// the same address space through its own mmu_interval_notifier (a second device's driver, as two
// dmirror devices in hmm-tests' double_map): user space opens and closes it, and its invalidate
// callback is one step that takes its own lock, calls mmu_interval_set_seq and zaps its own device's
// page table (which the model does not hold), blockable or not (it never sleeps). What it adds is the
// kernel's side of a second subscriber: invalidations that owe two callbacks, which return in either
// order; an insert while another notifier of the mm is in the tree and an invalidation active goes on the
// deferred list (model/mm.ts subscribe); a refusal by one callback abandons the other's call.
// In a config with two mirroring devices (Config.mirrors) slot p + procs is instead the notifier of the
// second device's driver (the strategy's: lib/test_hmm.c's second dmirror), and there is no other mm user.
import type { Action, State } from './types.ts';
import type { ActionKind, DriverContext } from './strategy.ts';
import { callbackReturn, procInvalidating, setSeq, subscribe, unsubscribe } from './mm.ts';

/** How many notifier slots each process has (the device under test's, then the other mm users'). */
export function notifiersPerProc(s: State): number {
  return s.subs.length / s.mms.length;
}

/** The slot of process p's k-th notifier (k = 0: the device under test's driver). */
export function subSlot(s: State, p: number, k: number): number {
  return p + k * s.mms.length;
}

export const subscriptionActionKinds: readonly ActionKind[] = [
  { kind: 'mm_user_open', actor: 'user', args: ['p', 'user'], models: "a second driver's open: mmu_interval_notifier_insert of its notifier over the process", guard: "the second driver's notifier of the process is not inserted" },
  { kind: 'mm_user_close', actor: 'user', args: ['p', 'user'], models: "the second driver's release: mmu_interval_notifier_remove (no invalidation of the mm in progress, so it returns at once), then kfree", guard: "the second driver's notifier is inserted and no invalidation of the process is in progress (remove would sleep)" },
  { kind: 'mm_user_invalidate', actor: 'kernel', args: ['inv', 'user'], models: "the second driver's invalidate callback: its lock, mmu_interval_set_seq, zap its device's page table, unlock, return true" },
];

/** The kinds above, which a model has only when its scope gives a process more than one notifier. */
export const secondNotifierKinds: ReadonlySet<string> = new Set(subscriptionActionKinds.map((k) => k.kind));

export function subscriptionEnabled(s: State, out: Action[]): void {
  const n = notifiersPerProc(s);
  // With two mirroring devices (Config.mirrors) slot p + procs is the second device's driver's notifier,
  // which that driver inserts and removes: no other mm user.
  if (n === 1 || s.dev1) return;
  s.mms.forEach((mm, p) => {
    if (!mm.alive) return;
    for (let k = 1; k < n; k++) {
      const sb = s.subs[subSlot(s, p, k)]!;
      if (!sb.live) out.push({ k: 'mm_user_open', a: p, b: k });
      else if (!procInvalidating(s, p)) out.push({ k: 'mm_user_close', a: p, b: k });
    }
  });
  s.invs.forEach((inv, i) => {
    if (!inv.live) return;
    for (let k = 1; k < n; k++) if (inv.cb[subSlot(s, inv.proc, k)] === 0) out.push({ k: 'mm_user_invalidate', a: i, b: k });
  });
}

export function applySubscription(s: State, a: Action, ctx: DriverContext): boolean {
  switch (a.k) {
    case 'mm_user_open':
      subscribe(s, a.a, subSlot(s, a.a, a.b));
      return true;
    case 'mm_user_close':
      unsubscribe(s, subSlot(s, a.a, a.b), ctx);
      return true;
    case 'mm_user_invalidate': {
      const sub = subSlot(s, s.invs[a.a]!.proc, a.b);
      setSeq(s, a.a, sub);
      callbackReturn(s, a.a, sub, ctx);
      return true;
    }
  }
  return false;
}
