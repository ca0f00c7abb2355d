// peerdirect-kill: seed 003's "Can we simply kill the process from the GPU driver? ... We could use
// send_sig_info to send signal from kernel to user space. So theoretically GPU driver could issue KILL
// signal to some process." PeerDirect's MR over VRAM (peerdirect-revoke.ts), but when the GPU must move or
// free the memory under it, the peer-memory client's callback revokes the MR and kills the process
// (send_sig_info(SIGKILL)), instead of leaving it to read the errors. A signal stops user space, not the
// device: the HCA may still complete the DMA it already issued until the QP is destroyed, so the callback
// still waits for it to drain, and the process's teardown (do_exit: the uverbs file's release destroys the
// QP, which waits for the HCA to flush, and deregisters the MR; exit_mmap then drops the GPU buffer's
// pages) is the driver's own kernel steps here.
// Simplification: the killed process's mm stays (a zombie with no user space) after the teardown unmapped it.
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

interface KillDriver extends PdDriver {
  /** exited[proc]: the teardown ran (QP destroyed, MR deregistered, the buffer unmapped). */
  exited: number[];
}

const ALL = (s: State) => (1 << s.mms[0]!.ptes.length) - 1;
const CB_REVOKED = 1;

type KillMutant = 'kill-without-revoke' | 'kill-without-drain' | 'exit-during-drain';

/** send_sig_info(SIGKILL, SEND_SIG_PRIV, task): the process runs no more user code. */
function kill(s: State<KillDriver>, p: number, ctx: DriverContext): void {
  s.mms[p]!.killed = true;
  ctx.emit({ t: 'driver_note', note: `send_sig_info(SIGKILL) to p${p}` });
}

export const peerdirectKill = defineStrategy({
  name: 'peerdirect-kill',
  summary: 'PeerDirect\'s MR over VRAM; a move or free revokes the MR and kills the process (SIGKILL); the teardown destroys the QP once the HCA drained, deregisters, unmaps',
  from: 'seed 003 (Serguei Sagalovitch: send_sig_info); seed 000 (Haggai Eran: "safely terminate a process that misbehaves"); KERNEL.md §7',
  device: { kind: 'rdma', recoverable: false },
  configs: ['p2p-switch'],
  mutants: [
    { name: 'kill-without-revoke', pattern: 'the driver relies on the signal alone and leaves the MR mapped: work the QP already holds still runs after the callback returned, into memory the GPU moves (a kill is not a revoke)' },
    { name: 'kill-without-drain', pattern: 'the callback kills the process and returns at once, as if SIGKILL stopped the device: the HCA\'s DMA in flight lands after the GPU moved or freed the memory' },
    { name: 'exit-during-drain', pattern: 'the killed process\'s exit path runs while the revoking callback still waits for the HCA: it removes the MR\'s notifier without waiting for the invalidation in progress (mmu_interval_notifier_remove does wait) and drops the GPU buffer, and the DMA in flight lands in freed VRAM' },
  ],
  needsRegistration: true,
  actionKinds: [
    { kind: 'gpu_move', actor: 'kernel', args: ['p', 'v'], models: 'the GPU driver moves a VRAM page (eviction): the peer-memory clients\' callbacks, then the move', starts: true },
    { kind: 'gpu_free', actor: 'user', args: ['p', 'v'], models: 'the process frees the GPU memory under the MR: the peer-memory clients\' callbacks, then the pages go' },
    { kind: 'pd_kill', actor: 'kernel', args: ['inv'], models: 'the peer-memory client\'s callback: revoke the mkey (fenced UMR, QP to error), then send_sig_info(SIGKILL) to the owner' },
    { kind: 'pd_drain', actor: 'kernel', args: ['inv'], models: 'the callback waits until the HCA drained the DMA in flight, DMA-unmaps, returns' },
    { kind: 'exit_teardown', actor: 'kernel', args: ['p'], models: 'do_exit of the killed process: ib_uverbs_close destroys the QP (waits for the HCA to flush) and deregisters the MR; exit_mmap unmaps the GPU buffer (the pages go)' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'ib_dereg_mr once the QP drained: remove the peer-memory client\'s callback, put the peer pages' },
  ],

  init(s): KillDriver {
    placeInVram(s, 0, 'p2p');
    s.mms.forEach((mm) => (mm.killed = false));
    return { revoked: s.mms.map(() => 0), queued: s.mms.map(() => 0), exited: s.mms.map(() => 0) };
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
      // The QP's destroy waits for the HCA to flush, and mmu_interval_notifier_remove for the invalidation in progress.
      const quiet = ctx.mutant === 'exit-during-drain' || (!dmaInFlight(s, p, ALL(s)) && !procInvalidating(s, p));
      if (mm.killed && d.exited[p] === 0 && quiet && slot) out.push({ k: 'exit_teardown', a: p, b: NONE });
    });
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const c = inv.cb[inv.proc]!;
      if (c === 0) out.push({ k: 'pd_kill', a: i, b: NONE });
      else if (c === CB_REVOKED && !dmaInFlight(s, inv.proc, ALL(s))) out.push({ k: 'pd_drain', a: i, b: NONE });
    });
    s.regs.forEach((r, p) => {
      if (r.live && r.closing && !procInvalidating(s, p) && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) out.push({ k: 'dereg_finish', a: p, b: NONE });
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
      case 'exit_teardown': {
        const p = a.a;
        // ib_uverbs_close: the QP destroyed (its queued work flushed in error), the MR deregistered.
        s.jobs.forEach((j, k) => {
          if (j.proc === p && (j.state === 'submitted' || j.state === 'ready' || j.state === 'faulting')) {
            failJob(s, k, { errno: 'EIO', from: 'device', cause: 'mr-revoked', detail: 'the QP was destroyed at exit: flushed in error' }, ctx);
          }
        });
        if (s.regs[p]!.live) {
          unsubscribe(s, p, ctx);
          zapMirror(s, p, ALL(s));
          s.regs[p]!.live = false;
          s.regs[p]!.closing = false;
        }
        d.exited[p] = 1;
        // exit_mmap: the GPU buffer's mapping goes, and with it the VRAM.
        let pages = 0;
        s.mms[p]!.ptes.forEach((pte, v) => {
          if (pte.mapped) pages |= 1 << v;
        });
        if (pages !== 0) start(p, pages, 'munmap');
        return;
      }
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
    const acts = s.regs[p]!.live && (inv.cause === 'peer-move' || inv.cause === 'munmap');
    if (!acts) callbackReturn(s, i, p, ctx);
    else if (!armed(s, p)) inv.cb[p] = CB_REVOKED; // already revoked and killed: wait for the drain only
  },
});
