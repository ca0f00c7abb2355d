// peerdirect-revoke: seeds 000/003, KERNEL.md §7. A non-ODP RDMA MR over another device's VRAM through a
// peer-memory client: registration gets the GPU's pages (P2PDMA BAR pages), DMA-maps them with the
// P2P-aware path (which pci_p2pdma_distance must allow), writes the MR and arms the client's invalidation
// callback. Nothing is pinned. When the GPU moves or frees that memory its driver calls the callback
// first: the MR's mkey is revoked at once with a fenced UMR, posted work completes with errors and the QP
// goes to the error state; the callback returns once the HCA no longer touches the pages. Nothing is ever
// remapped: safe and bounded, but not transparent.
// Simplification: the peer-memory client's callback is modelled as a callback of the invalidation the GPU
// driver starts before it moves (cause 'peer-move') or frees (cause 'munmap') the pages, so that the
// notifier contract (no access to the old pages once the callbacks returned) is the one checked.
import { NONE, PEER, DEV } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { failJob } from '../job-error.ts';
import {
  callbackReturn,
  dmaInFlight,
  freeInvalidationSlot,
  invalidating,
  procInvalidating,
  setMirror,
  startInvalidation,
  subscribe,
  unsubscribe,
  zapMirror,
} from '../mm.ts';
import { bufferPage, p2pPossible, placeInVram, pteLocked, vramFree } from '../p2p.ts';
import { findFreeFrame } from '../mm.ts';
import { callbackWaitId, waitsOn } from '../waits.ts';

export interface PdDriver {
  /** revoked[proc]: the MR was revoked (the QP is in the error state). */
  revoked: number[];
  /** Mutant revoke-after-free: a revoke queued to a work item, not yet run. */
  queued: number[];
}

const ALL = (s: State) => (1 << s.mms[0]!.ptes.length) - 1;
/** Callback step: the mkey is revoked, waiting for the HCA to drain. */
const CB_REVOKED = 1;

/** The MR of `p` is live and not revoked: its callback must act on a move or a free. */
export function armed(s: State<PdDriver>, p: number): boolean {
  return s.regs[p]!.live && s.drv.revoked[p] === 0;
}

/** Revoke the MR: zap the mkey's translations, fail the work the HCA has not started, QP to error. */
export function revoke(s: State<PdDriver>, p: number, ctx: DriverContext): void {
  zapMirror(s, p, ALL(s));
  s.drv.revoked[p] = 1;
  s.jobs.forEach((j, i) => {
    if (j.proc === p && (j.state === 'submitted' || j.state === 'ready' || j.state === 'faulting')) {
      failJob(s, i, { errno: 'EIO', from: 'device', cause: 'mr-revoked', detail: 'MR revoked: flushed in error (QP in the error state)' }, ctx);
    }
  });
  ctx.emit({ t: 'mr_revoked', proc: p });
}

export const peerdirectRevoke = defineStrategy({
  name: 'peerdirect-revoke',
  summary: 'non-ODP MR over a peer\'s VRAM through a peer-memory client, not pinned; a move or free revokes the MR at once (QP to error), nothing is remapped',
  from: 'seeds 000/003 (Haggai Eran, PeerDirect); KERNEL.md §7',
  device: { kind: 'rdma', recoverable: false },
  configs: ['p2p-switch', 'p2p-none'],
  mutants: [
    { name: 'revoke-after-free', pattern: 'the invalidation callback queues the revoke to a work item and returns: the GPU frees or moves the memory while the HCA still maps it (a revoke after the memory is freed)' },
    { name: 'revoke-without-drain', pattern: 'the callback revokes the mkey but returns before the HCA has drained its in-flight DMA (no fenced UMR / no wait for completion)' },
    { name: 'no-topology-check', pattern: 'the peer-memory client maps VRAM for the NIC without asking pci_p2pdma_distance: P2P across a switch that redirects it (ACS) or a host bridge that drops it' },
    { name: 'plain-dma-map', pattern: 'the MR\'s pages are mapped with plain dma_map_sg, not the P2P-aware path: a P2P page gets a CPU physical address through the IOMMU instead of its bus address' },
  ],
  needsRegistration: true,
  actionKinds: [
    { kind: 'gpu_move', actor: 'kernel', args: ['p', 'v'], models: 'the GPU driver moves a VRAM page (eviction): it calls the peer-memory clients\' invalidation callbacks, then moves the page', starts: true },
    { kind: 'gpu_free', actor: 'user', args: ['p', 'v'], models: 'the process frees the GPU memory under the MR (cudaFree): the peer-memory clients\' callbacks, then the pages go' },
    { kind: 'pd_revoke', actor: 'kernel', args: ['inv'], models: 'the peer-memory client\'s invalidate callback: revoke the mkey with a fenced UMR; the QP goes to the error state, posted work is flushed in error' },
    { kind: 'pd_drain', actor: 'kernel', args: ['inv'], models: 'the callback waits until the HCA has drained the DMA in flight, DMA-unmaps the pages, returns' },
    { kind: 'pd_revoke_work', actor: 'kernel', args: ['p'], models: 'a revoke queued to a work item (the revoke-after-free mutant only)' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'ib_dereg_mr once the QP drained: remove the peer-memory client\'s callback, put the peer pages' },
  ],

  init(s): PdDriver {
    // The process's pages are a GPU buffer in VRAM, mapped into it.
    placeInVram(s, 0, 'p2p');
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
        out.push({ k: 'gpu_free', a: p, b: v });
      });
    });
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const c = inv.cb[inv.proc]!;
      if (c === 0) out.push({ k: 'pd_revoke', a: i, b: NONE });
      else if (c === CB_REVOKED && !dmaInFlight(s, inv.proc, ALL(s))) out.push({ k: 'pd_drain', a: i, b: NONE });
    });
    s.regs.forEach((r, p) => {
      if (d.queued[p] === 1) out.push({ k: 'pd_revoke_work', a: p, b: NONE });
      if (r.live && r.closing && !procInvalidating(s, p) && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) {
        out.push({ k: 'dereg_finish', a: p, b: NONE });
      }
    });
    void ctx;
  },

  apply(s, a: Action, ctx) {
    const d = s.drv;
    const start = (cause: 'peer-move' | 'munmap') =>
      startInvalidation(s, a.a, 1 << a.b, cause, ctx, (i) => peerdirectRevoke.onInvalidateStart(s, i, ctx));
    switch (a.k) {
      case 'gpu_move':
        start('peer-move');
        return;
      case 'gpu_free':
        start('munmap');
        return;
      case 'pd_revoke': {
        const inv = s.invs[a.a]!;
        revoke(s, inv.proc, ctx);
        if (ctx.mutant === 'revoke-without-drain') callbackReturn(s, a.a, inv.proc, ctx);
        else inv.cb[inv.proc] = CB_REVOKED;
        return;
      }
      case 'pd_drain':
        callbackReturn(s, a.a, s.invs[a.a]!.proc, ctx);
        return;
      case 'pd_revoke_work':
        d.queued[a.a] = 0;
        if (s.regs[a.a]!.live) revoke(s, a.a, ctx);
        return;
      case 'dereg_finish': {
        const p = a.a;
        unsubscribe(s, p, ctx);
        zapMirror(s, p, ALL(s));
        d.revoked[p] = 0;
        d.queued[p] = 0;
        s.regs[p]!.live = false;
        s.regs[p]!.closing = false;
        return;
      }
    }
  },

  // ib_umem_get through the peer-memory client: it claims the range if every page is its VRAM, and the
  // DMA mapping for the NIC needs a P2P path (pci_p2pdma_distance), else the registration fails.
  canRegister(s, p, ctx) {
    const topoOk = ctx.mutant === 'no-topology-check' || p2pPossible(ctx.cfg.topology, PEER, DEV);
    return topoOk && s.mms[p]!.ptes.every((pte, v) => {
      if (!pte.mapped || pte.frame === NONE || invalidating(s, p, v)) return false;
      const fr = s.frames[pte.frame]!;
      return fr.kind === 'p2p' && fr.owner === PEER && !fr.locked;
    });
  },

  onRegister(s, p, ctx) {
    s.drv.revoked[p] = 0;
    subscribe(s, p);
    s.mms[p]!.ptes.forEach((pte, v) => {
      setMirror(s, p, v, pte.frame, s.frames[pte.frame]!.gen, true, pte.epoch, ctx.mutant !== 'plain-dma-map');
    });
  },

  onSubmit(s, job, ctx) {
    const j = s.jobs[job]!;
    if (s.drv.revoked[j.proc] === 1) {
      failJob(s, job, { errno: 'EIO', from: 'device', cause: 'mr-revoked', detail: 'QP in the error state: the MR was revoked' }, ctx);
    } else {
      j.state = 'ready';
    }
  },

  // A revoked MR's callback waits until the HCA has drained the DMA in flight (the hardware's doing).
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
    if (!acts) {
      callbackReturn(s, i, p, ctx); // not the peer-memory client's business (fork, or the MR is gone)
    } else if (ctx.mutant === 'revoke-after-free') {
      if (armed(s, p)) s.drv.queued[p] = 1;
      callbackReturn(s, i, p, ctx);
    } else if (!armed(s, p)) {
      // Already revoked: the callback still waits until the HCA has drained what it had in flight.
      inv.cb[p] = CB_REVOKED;
    }
  },
});
