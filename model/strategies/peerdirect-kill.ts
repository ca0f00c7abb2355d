// peerdirect-kill: seed 003's "Can we simply kill the process from the GPU driver? ... We could use
// send_sig_info to send signal from kernel to user space. So theoretically GPU driver could issue KILL
// signal to some process." PeerDirect's MR over VRAM (peerdirect-revoke.ts), but when the GPU must move or
// free the memory under it, the peer-memory client's callback revokes the MR and kills the process
// (send_sig_info(SIGKILL)), instead of leaving it to read the errors. A signal stops user space, not the
// device: the HCA may still complete the DMA it already issued until the QP is destroyed, so the callback
// still waits for it to drain. The killed process then exits as any process does (model/exit.ts, the
// world's steps): do_exit -> exit_mm -> mmput -> exit_mmap, whose unmap of the GPU buffer is a free of
// its VRAM, which calls the peer-memory client's callback once more (the MR is revoked already: it waits
// only for what the HCA still has in flight); then the pages go and the mm dies, and exit_files releases
// the uverbs file (ib_uverbs_close: the QP destroyed, its queued work flushed in error, the MR
// deregistered once the QP drained: dereg_finish).
// PeerDirect's MR has no mmu_notifier on the process's mm (ib_umem_get through a peer-memory client takes
// no notifier): no ->release (Strategy.onRelease) to implement.
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { failJob } from '../job-error.ts';
import { callbackReturn, dmaInFlight, freeInvalidationSlot, invalidating, procInvalidating, setMirror, startInvalidation, subscribe, unsubscribe, zapMirror } from '../mm.ts';
import { bufferPage, p2pPossible, placeInVram, pteLocked, vramFree } from '../p2p.ts';
import { findFreeFrame } from '../mm.ts';
import { callbackWaitId, waitsOn } from '../waits.ts';
import { armed, revoke, type PdDriver } from './peerdirect-revoke.ts';
import { DEV, PEER } from '../types.ts';

type KillDriver = PdDriver;

const ALL = (s: State) => (1 << s.mms[0]!.ptes.length) - 1;
const CB_REVOKED = 1;


/**
 * send_sig_info(SIGKILL, SEND_SIG_PRIV, task): the process runs no more user code, and the fatal signal
 * takes it into do_exit -> exit_mm -> mmput (mm_users 0): the world's exit (model/exit.ts) from here,
 * whose exit_mmap is a kernel step. Killing a process that is exiting already changes nothing.
 */
function kill(s: State<KillDriver>, p: number, ctx: DriverContext): void {
  const mm = s.mms[p]!;
  if (mm.killed === true || mm.exiting === true) return;
  mm.killed = true;
  mm.exiting = true;
  ctx.emit({ t: 'driver_note', note: `send_sig_info(SIGKILL) to p${p}` });
  ctx.emit({ t: 'exit', proc: p, phase: 'do_exit' });
}

/** ib_uverbs_close's destroy of the QP: the work it still queues completes in error. */
function destroyQp(s: State<KillDriver>, p: number, ctx: DriverContext): void {
  s.jobs.forEach((j, k) => {
    if (j.proc === p && (j.state === 'submitted' || j.state === 'ready' || j.state === 'faulting')) {
      failJob(s, k, { errno: 'EIO', from: 'device', cause: 'mr-revoked', detail: 'the QP was destroyed at the uverbs file\'s release: flushed in error' }, ctx);
    }
  });
}

export const peerdirectKill = defineStrategy({
  name: 'peerdirect-kill',
  summary: 'PeerDirect\'s MR over VRAM; a move or free revokes the MR and kills the process (SIGKILL), which exits through exit_mmap; the uverbs file\'s release destroys the QP and deregisters once the HCA drained',
  from: 'seed 003 (Serguei Sagalovitch: send_sig_info); seed 000 (Haggai Eran: "safely terminate a process that misbehaves"); KERNEL.md §7',
  device: { kind: 'rdma', recoverable: false },
  configs: ['p2p-switch'],
  mutants: [
    { name: 'kill-without-revoke', pattern: 'the driver relies on the signal alone and leaves the MR mapped: work the QP already holds still runs after the callback returned, into memory the GPU moves (a kill is not a revoke)' },
    { name: 'kill-without-drain', pattern: 'the callback kills the process and returns at once, as if SIGKILL stopped the device: the HCA\'s DMA in flight lands after the GPU moved or freed the memory' },
    { name: 'dereg-during-callback', pattern: 'the MR\'s deregistration (ib_dereg_mr, from the ioctl or the uverbs file\'s release at exit) removes and frees the peer-memory client\'s registration while an invalidation that calls it (a move or free of the GPU memory, a fork) is still in progress, without waiting for it (as mmu_interval_notifier_remove waits for an invalidation in progress): the callback goes on with a freed registration' },
  ],
  needsRegistration: true,
  killsProcesses: true,
  actionKinds: [
    { kind: 'gpu_move', actor: 'kernel', args: ['p', 'v'], models: 'the GPU driver moves a VRAM page (eviction): the peer-memory clients\' callbacks, then the move', starts: true },
    { kind: 'gpu_free', actor: 'user', args: ['p', 'v'], models: 'the process frees the GPU memory under the MR: the peer-memory clients\' callbacks, then the pages go' },
    { kind: 'pd_kill', actor: 'kernel', args: ['inv'], models: 'the peer-memory client\'s callback: revoke the mkey (fenced UMR, QP to error), then send_sig_info(SIGKILL) to the owner' },
    { kind: 'pd_drain', actor: 'kernel', args: ['inv'], models: 'the callback waits until the HCA drained the DMA in flight, DMA-unmaps, returns' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'ib_dereg_mr once the QP drained: remove the peer-memory client\'s callback, put the peer pages' },
  ],

  init(s): KillDriver {
    placeInVram(s, 0, 'p2p');
    s.mms.forEach((mm) => {
      mm.killed = false;
      mm.exiting = false;
    });
    return { revoked: s.mms.map(() => 0), queued: s.mms.map(() => 0) };
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    const slot = freeInvalidationSlot(s) !== NONE;
    const dest = vramFree(s) || findFreeFrame(s) !== NONE;
    s.mms.forEach((mm, p) => {
      if (!mm.alive) return;
      mm.ptes.forEach((pte, v) => {
        if (!pte.mapped || pte.frame === NONE || !bufferPage(s.frames[pte.frame]!) || invalidating(s, p, v) || pteLocked(s, pte) || !slot) return;
        if (dest) out.push({ k: 'gpu_move', a: p, b: v });
        if (!mm.killed) out.push({ k: 'gpu_free', a: p, b: v });
      });
    });
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const c = inv.cb[inv.proc]!;
      if (c === 0) out.push({ k: 'pd_kill', a: i, b: NONE });
      else if (c === CB_REVOKED && !dmaInFlight(s, inv.proc, ALL(s))) out.push({ k: 'pd_drain', a: i, b: NONE });
    });
    s.regs.forEach((r, p) => {
      // ib_dereg_mr waits for the QP to drain and for a callback of the peer-memory client in progress (the mutant does not wait for that).
      const callbackDone = ctx.mutant === 'dereg-during-callback' || !procInvalidating(s, p);
      if (r.live && r.closing && callbackDone && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) out.push({ k: 'dereg_finish', a: p, b: NONE });
    });
  },

  apply(s, a: Action, ctx) {
    const d = s.drv;
    const start = (p: number, pages: number, cause: 'peer-move' | 'munmap') =>
      startInvalidation(s, p, pages, cause, ctx, (i) => peerdirectKill.onInvalidateStart(s, i, ctx));
    switch (a.k) {
      case 'gpu_move':
        start(a.a, 1 << a.b, 'peer-move');
        return;
      case 'gpu_free':
        start(a.a, 1 << a.b, 'munmap');
        return;
      case 'pd_kill': {
        const inv = s.invs[a.a]!;
        if (ctx.mutant !== 'kill-without-revoke') revoke(s, inv.proc, ctx);
        kill(s, inv.proc, ctx);
        if (ctx.mutant === 'kill-without-drain' || ctx.mutant === 'kill-without-revoke') callbackReturn(s, a.a, inv.proc, ctx);
        else inv.cb[inv.proc] = CB_REVOKED;
        return;
      }
      case 'pd_drain':
        callbackReturn(s, a.a, s.invs[a.a]!.proc, ctx);
        return;
      case 'dereg_finish': {
        const p = a.a;
        unsubscribe(s, p, ctx);
        zapMirror(s, p, ALL(s));
        d.revoked[p] = 0;
        s.regs[p]!.live = false;
        s.regs[p]!.closing = false;
        return;
      }
    }
  },

  canRegister(s, p, ctx) {
    return !s.mms[p]!.killed && p2pPossible(ctx.cfg.topology, PEER, DEV) && s.mms[p]!.ptes.every((pte, v) => {
      if (!pte.mapped || pte.frame === NONE || invalidating(s, p, v)) return false;
      const fr = s.frames[pte.frame]!;
      return fr.kind === 'p2p' && fr.owner === PEER && !fr.locked;
    });
  },

  onRegister(s, p) {
    s.drv.revoked[p] = 0;
    subscribe(s, p);
    s.mms[p]!.ptes.forEach((pte, v) => setMirror(s, p, v, pte.frame, s.frames[pte.frame]!.gen, true, pte.epoch, true));
  },

  // ib_uverbs_close (the file's release, at exit_files or close(2)), or the dereg ioctl: the QP is
  // destroyed, its queued work flushed in error; dereg_finish once it drained.
  onDeregister(s, p, ctx) {
    destroyQp(s, p, ctx);
  },

  onSubmit(s, job, ctx) {
    const j = s.jobs[job]!;
    if (s.drv.revoked[j.proc] === 1) {
      failJob(s, job, { errno: 'EIO', from: 'device', cause: 'mr-revoked', detail: 'QP in the error state: the MR was revoked' }, ctx);
    } else j.state = 'ready';
  },

  waits(s, _ctx, out) {
    s.invs.forEach((inv, i) => {
      if (!inv.live || inv.cb[inv.proc] !== CB_REVOKED) return;
      s.jobs.forEach((j, k) => {
        if (j.state === 'running' && j.proc === inv.proc) waitsOn(out, callbackWaitId(i, inv.proc), { target: { k: 'dma', job: k }, heldBy: [], releasedBy: 'hardware' });
      });
    });
  },

  onInvalidateStart(s, i, ctx) {
    const inv = s.invs[i]!;
    const p = inv.proc;
    if (inv.cb[p] !== 0) return;
    // exit_mmap's unmap of the GPU buffer frees its VRAM: the GPU driver calls the client as for a free.
    const acts = s.regs[p]!.live && (inv.cause === 'peer-move' || inv.cause === 'munmap' || inv.cause === 'exit');
    if (!acts) callbackReturn(s, i, p, ctx);
    else if (!armed(s, p)) {
      // Already revoked and killed: wait for the drain only (nothing to wait for: return at once).
      if (dmaInFlight(s, p, ALL(s))) inv.cb[p] = CB_REVOKED;
      else callbackReturn(s, i, p, ctx);
    }
  },
});
