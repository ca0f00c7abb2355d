// An ODP MR's memory key as a kernel object with a lifetime (drivers/infiniband/hw/mlx5: mr.c, odp.c,
// mlx5_ib.h), shared by any driver whose registrations carry one (Registration.mkey, model/types.ts):
//   registration     mlx5r_store_odp_mkey: xa_store into dev->odp_mkeys, refcount_set(usecount, 1)
//   page fault       pagefault_single_data_segment: xa_lock; xa_load; refcount_inc(usecount); xa_unlock;
//                    the whole fault (hmm_range_fault, umem_mutex, the UMR) runs holding it; then
//                    mlx5r_deref_odp_mkey. A key not in the xarray: "skipping non ODP MR", the fault
//                    fails (the job completes in error)
//   deregistration   __mlx5_ib_dereg_mr: xa_erase, then mlx5r_deref_wait_odp_mkey (drop the xarray's
//                    reference, wait_event until usecount is 0), then destroy_mkey,
//                    ib_umem_odp_release (mmu_interval_notifier_remove) and the kfree of the MR
// Before the usecount (db72438c9319, "RDMA/mlx5: Cleanup the synchronize_srcu() from the ODP flow", 2021)
// the fault path ran under srcu_read_lock(&dev->odp_srcu) and dereg waited in synchronize_srcu after the
// xa_erase: the same wait in another form. Skipping it (mutant dereg-without-deref-wait) frees the MR
// under a running handler.
// Pure functions over the state; what a property reads is Registration.mkey, never the driver's state.
// A registration without a key (a design that calls none of this, or hmm-p2p's NIC, which reuses
// odp-mirror's steps without its key) makes them do nothing: its faults take no reference, its
// deregistration waits for none.
import type { State } from './types.ts';
import type { DriverContext } from './strategy.ts';
import type { Wait } from './waits.ts';

/** Does `proc`'s registration slot have a memory key (the driver called mkeyInit)? */
export function hasMkey(s: State, proc: number): boolean {
  return s.regs[proc]!.mkey !== undefined;
}

/** Give every registration slot its key, not stored (a driver with keys calls this from its init). */
export function mkeyInit(s: State): void {
  for (const r of s.regs) r.mkey = { stored: false, usecount: 0, freed: false };
}

/** mlx5r_store_odp_mkey at registration: a fresh key (a new MR: a new allocation), in odp_mkeys, usecount 1. */
export function mkeyStore(s: State, proc: number): void {
  const k = s.regs[proc]!.mkey;
  if (!k) return;
  k.stored = true;
  k.usecount = 1;
  k.freed = false;
}

/**
 * A page-fault handler for `job` looks the key up (xa_load under the xarray lock) and, if it is there,
 * takes a reference (refcount_inc(&mmkey->usecount)). Returns whether it found the key.
 */
export function mkeyGet(s: State, proc: number, job: number, ctx: DriverContext): boolean {
  const k = s.regs[proc]!.mkey;
  if (!k) return true;
  if (!k.stored) {
    ctx.emit({ t: 'mkey', op: 'miss', proc, job, usecount: k.usecount });
    return false;
  }
  k.usecount++;
  ctx.emit({ t: 'mkey', op: 'get', proc, job, usecount: k.usecount });
  return true;
}

/** mlx5r_deref_odp_mkey: the fault handler is done with the key (refcount_dec_and_test; wake_up at 0). */
export function mkeyPut(s: State, proc: number, job: number, ctx: DriverContext): void {
  const k = s.regs[proc]!.mkey;
  if (!k) return;
  k.usecount--;
  ctx.emit({ t: 'mkey', op: 'put', proc, job, usecount: k.usecount });
}

/**
 * Deregistration revokes the key: xa_erase from odp_mkeys (a later fault finds nothing), and the deref
 * half of mlx5r_deref_wait_odp_mkey (the xarray's reference). What is left is the handlers' references,
 * which the deregistration then waits for (mkeyDrained).
 */
export function mkeyErase(s: State, proc: number, ctx: DriverContext): void {
  const k = s.regs[proc]!.mkey;
  if (!k || !k.stored) return;
  k.stored = false;
  k.usecount--;
  ctx.emit({ t: 'mkey', op: 'erase', proc, job: -1, usecount: k.usecount });
}

/** The wait_event of mlx5r_deref_wait_odp_mkey is over: no page-fault handler holds the key. */
export function mkeyDrained(s: State, proc: number): boolean {
  const k = s.regs[proc]!.mkey;
  return !k || k.usecount === 0;
}

/** The MR is freed (destroy_mkey, kfree of the mlx5_ib_mr): right only once the key drained. */
export function mrFree(s: State, proc: number, ctx: DriverContext): void {
  const k = s.regs[proc]!.mkey;
  if (!k) return;
  k.freed = true;
  ctx.emit({ t: 'mr_free', proc, usecount: k.usecount });
}

/**
 * The finite model: a freed MR no handler holds is a slot nothing reads until the next registration
 * stores a fresh key in it (as model/canonical.ts clears a freed notifier the kernel no longer reaches).
 */
export function mkeyClearDead(s: State): void {
  for (const r of s.regs) if (r.mkey && r.mkey.freed && r.mkey.usecount === 0) r.mkey.freed = false;
}

/**
 * What a deregistration waits on (model/waits.ts): the wait_event of mlx5r_deref_wait_odp_mkey, while
 * page-fault handlers still hold the revoked key. The handlers are kernel work: the kernel releases it.
 */
export function mkeyWaits(s: State, out: Wait[]): void {
  s.regs.forEach((r, p) => {
    const k = r.mkey;
    if (!k || !r.live || !r.closing || k.stored || k.usecount === 0) return;
    out.push({
      id: `dereg:${p}`,
      kind: 'teardown',
      what: `the deregistration of p${p}'s MR (mlx5r_deref_wait_odp_mkey)`,
      mayBlock: true,
      on: [{ target: { k: 'mkey-usecount', proc: p, handlers: k.usecount }, heldBy: [], releasedBy: 'kernel' }],
    });
  });
}
