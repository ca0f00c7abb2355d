// dmabuf-dynamic: seed 003, KERNEL.md §4. The NIC imports the GPU's buffer with a dynamic attachment (an
// RDMA dma-buf MR, as mlx5 does with ODP): it maps the buffer lazily, on a device fault, under the
// buffer's dma_resv lock and after waiting for the copy fence of a move; it holds no pin. Before moving a
// buffer page the exporter, holding the resv lock, calls move_notify: the importer zaps its mapping and
// adds fences for the DMA already in flight; the exporter waits for them, copies, and the importer maps
// again at its next fault. Where the topology allows no P2P, the importer maps only pages in system RAM:
// its fault's dma_buf_map_attachment moves a page it cannot reach there first (amdgpu_dma_buf_map:
// ttm_bo_validate into GTT without attach->peer2peer), as `exp_place`, a step of that fault; the
// exporter's own evictions may also put it there.
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import type { ExporterPolicy } from '../dmabuf.ts';
import type { WaitOn } from '../waits.ts';
import { defineStrategy } from '../strategy.ts';
import { setMirror, zapMirror } from '../mm.ts';
import { placeInVram } from '../p2p.ts';
import {
  ATT_ATTACHED,
  copyPending,
  dmabufInit,
  type DmabufDriver,
  type DmabufState,
  exporterActionKinds,
  exporterApply,
  exporterEnabled,
  exporterWaits,
  importerMoveNotify,
  isBuffer,
  reachable,
  resvWait,
  slotOf,
} from '../dmabuf.ts';

/**
 * The exporter as this design runs it: it never pins; it waits for the importers' fences; it unlocks. A
 * page that a faulting job needs and cannot reach is owed a placement in system RAM by the fault's
 * dma_buf_map_attachment (ib_umem_dmabuf_map_pages from mlx5's pagefault_dmabuf_mr).
 */
function policy(ctx: DriverContext, s?: DmabufState): ExporterPolicy {
  return {
    allowed: () => true,
    pinned: () => false,
    owed: (p, v) =>
      s !== undefined && s.drv.att[p] === ATT_ATTACHED &&
      s.jobs.some((j) => j.state === 'faulting' && j.proc === p && j.vpage === v) &&
      !reachable(s, s.mms[p]!.ptes[v]!.frame, ctx.mutant !== 'no-topology-check', ctx),
    fencesWaited: ctx.mutant !== 'move-before-fences',
    unlocks: ctx.mutant !== 'resv-held-after-move',
  };
}

const ALL = (s: State) => (1 << s.mms[0]!.ptes.length) - 1;

/** Can the importer map the page of `job` now (dma_resv_lock taken and dropped within the step)? */
function canMap(s: DmabufState, job: number, ctx: DriverContext): boolean {
  const d = s.drv;
  const j = s.jobs[job]!;
  const pte = s.mms[j.proc]!.ptes[j.vpage]!;
  if (d.att[j.proc] !== ATT_ATTACHED || !pte.mapped || pte.frame === NONE) return false;
  if (d.resv[j.proc] !== NONE && ctx.mutant !== 'map-without-resv-lock') return false;
  if (copyPending(s, j.proc, j.vpage) && ctx.mutant !== 'remap-before-copy-fence') return false;
  const frame = copyPending(s, j.proc, j.vpage) ? d.mvTo[slotOf(s, j.proc, j.vpage)]! : pte.frame;
  return reachable(s, frame, ctx.mutant !== 'no-topology-check', ctx);
}

export const dmabufDynamic = defineStrategy({
  name: 'dmabuf-dynamic',
  summary: 'dynamic dma-buf importer: maps lazily under the resv lock after the copy fence; move_notify zaps and fences in-flight DMA; the exporter waits for those fences before it moves',
  from: 'seed 003 (Haggai Eran: DMA-BUF for P2P); Documentation/driver-api/dma-buf.rst; drivers/infiniband/core/umem_dmabuf.c',
  device: { kind: 'rdma', recoverable: true },
  configs: ['p2p-switch', 'p2p-none', 'p2p-switch-user-queue'],
  mutants: [
    { name: 'move-before-fences', pattern: 'the exporter copies and frees the old placement without waiting for the fences the importers added at move_notify: DMA in flight lands in reused memory' },
    { name: 'remap-before-copy-fence', pattern: 'the importer maps the new placement without waiting for the copy fence: it reads what was there before the copy, and its writes are overwritten by the copy' },
    { name: 'map-without-resv-lock', pattern: 'the importer maps without taking the dma_resv lock: it maps the old placement after move_notify ran, and nothing tears that mapping down before the move' },
    { name: 'no-topology-check', pattern: 'the importer maps VRAM for P2P without pci_p2pdma_distance (attach->peer2peer set regardless of the topology)' },
    { name: 'plain-dma-map', pattern: 'the exporter maps its VRAM for the importer with plain dma_map_sg instead of the P2P-aware path (the DMA-API abuse seed 001 mentions)' },
    { name: 'resv-held-after-move', pattern: 'the exporter\'s move path returns without dma_resv_unlock after move_notify (an unlock missing on one path): the importer\'s next fault, the next move and the detach wait on the reservation lock forever' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...exporterActionKinds,
    { kind: 'imp_map', actor: 'kernel', args: ['job'], models: 'the importer\'s fault: dma_resv_lock; wait for the copy fence; dma_buf_map_attachment (P2P-aware for VRAM); program the device; dma_resv_unlock; resume' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'ib_dereg_mr once the QP drained: dma_buf_unmap_attachment, dma_buf_detach' },
  ],

  init(s): DmabufDriver {
    placeInVram(s, 0, 'p2p');
    return dmabufInit(s) as never;
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    exporterEnabled(s, out, policy(ctx, s));
    s.jobs.forEach((j, k) => {
      if (j.state === 'faulting' && canMap(s, k, ctx)) out.push({ k: 'imp_map', a: k, b: NONE });
    });
    s.regs.forEach((r, p) => {
      if (r.live && r.closing && d.resv[p] === NONE && !s.jobs.some((j) => j.proc === p && j.state !== 'free')) {
        out.push({ k: 'dereg_finish', a: p, b: NONE });
      }
    });
  },

  apply(s, a: Action, ctx) {
    const d = s.drv;
    if (exporterApply(s, a, ctx, policy(ctx), (p) => {
      if (d.att[p] === ATT_ATTACHED) importerMoveNotify(s, p);
    })) return;
    switch (a.k) {
      case 'imp_map': {
        const j = s.jobs[a.a]!;
        const pte = s.mms[j.proc]!.ptes[j.vpage]!;
        const pending = copyPending(s, j.proc, j.vpage);
        const frame = pending ? d.mvTo[slotOf(s, j.proc, j.vpage)]! : pte.frame;
        const vram = s.frames[frame]!.kind !== 'system';
        setMirror(s, j.proc, j.vpage, frame, s.frames[frame]!.gen, true, pte.epoch, vram && ctx.mutant !== 'plain-dma-map');
        j.state = 'ready';
        return;
      }
      case 'dereg_finish': {
        const p = a.a;
        zapMirror(s, p, ALL(s));
        d.att[p] = 0;
        s.regs[p]!.live = false;
        s.regs[p]!.closing = false;
        return;
      }
    }
  },

  canRegister(s, p) {
    return isBuffer(s, p);
  },

  onRegister(s, p) {
    s.drv.att[p] = ATT_ATTACHED; // dma_buf_dynamic_attach; mapped lazily
  },

  onFenceSignal(s, job) {
    s.drv.fenced[job] = 0;
  },

  // The exporter's moves, and the importer's faults that wait on the resv lock or on a copy fence.
  waits(s, ctx, out) {
    exporterWaits(s, ctx, out, policy(ctx).unlocks);
    const d = s.drv;
    s.jobs.forEach((j, k) => {
      if (j.state !== 'faulting' || d.att[j.proc] !== ATT_ATTACHED) return;
      const on: WaitOn[] = [];
      if (d.resv[j.proc] !== NONE && ctx.mutant !== 'map-without-resv-lock') on.push(resvWait(s, j.proc));
      if (copyPending(s, j.proc, j.vpage) && ctx.mutant !== 'remap-before-copy-fence') {
        on.push({ target: { k: 'copy-fence', proc: j.proc, vpage: j.vpage }, heldBy: [], releasedBy: 'hardware' });
      }
      if (on.length > 0) out.push({ id: `map:${k}`, kind: 'fault', what: `the importer's fault for job ${k} (p${j.proc} v${j.vpage})`, mayBlock: true, on });
    });
  },
});
