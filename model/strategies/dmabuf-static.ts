// dmabuf-static: seed 003, KERNEL.md §4. The NIC imports the GPU's buffer with a static attachment: at
// attach the importer pins the buffer (dma_buf_pin) and maps it once. The exporter first places the
// buffer where that importer can reach it: it stays in VRAM if pci_p2pdma_distance allows P2P from the
// NIC, else the exporter moves it to system RAM (the move notifies the other attachments, as every move
// does). A pinned buffer does not move until detach unmaps and unpins it. The exporter may move an
// unpinned buffer at any time.
import { NONE } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import type { ExporterPolicy } from '../dmabuf.ts';
import { defineStrategy } from '../strategy.ts';
import { failJob } from '../job-error.ts';
import { pinFrame, setMirror, unpinFrame, zapMirror } from '../mm.ts';
import { placeInVram } from '../p2p.ts';
import {
  ATT_MAPPED,
  ATT_PINNING,
  dmabufInit,
  type DmabufDriver,
  type DmabufState,
  exporterActionKinds,
  exporterApply,
  exporterEnabled,
  exporterWaits,
  isBuffer,
  moving,
  reachable,
} from '../dmabuf.ts';

const ALL = (s: State) => (1 << s.mms[0]!.ptes.length) - 1;

/** Every page of `p`'s buffer is placed where the NIC can reach it. */
function placed(s: State, p: number, ctx: DriverContext): boolean {
  return s.mms[p]!.ptes.every((pte) => pte.frame !== NONE && reachable(s, pte.frame, ctx.mutant !== 'no-placement', ctx));
}

/**
 * The exporter as this design runs it: a mapped (pinned) attachment refuses every move (dma_buf_pin), but
 * the exporter still attempts them (eviction, another importer's placement); while a pin waits for the
 * placement, only the moves toward system RAM that make the buffer reachable start.
 */
function policy(s: DmabufState, ctx: DriverContext): ExporterPolicy {
  const d = s.drv;
  return {
    allowed: (p, v, toVram) => {
      if (d.att[p] === ATT_MAPPED) return true; // only the move-pinned mutant gets here
      if (d.att[p] === ATT_PINNING) return !toVram && !reachable(s, s.mms[p]!.ptes[v]!.frame, ctx.mutant !== 'no-placement', ctx);
      return true;
    },
    pinned: (p) => d.att[p] === ATT_MAPPED && ctx.mutant !== 'move-pinned',
    // The attach's dma_buf_pin places the buffer first (amdgpu_dma_buf_pin: amdgpu_bo_pin into GTT): a
    // step of the registration, which the submissions posted meanwhile wait for.
    owed: (p, v) => d.att[p] === ATT_PINNING && s.regs[p]!.live && !s.regs[p]!.closing && !reachable(s, s.mms[p]!.ptes[v]!.frame, ctx.mutant !== 'no-placement', ctx),
    fencesWaited: true,
    unlocks: true,
  };
}

/** dma_buf_unmap_attachment + dma_buf_unpin + detach. */
function release(s: DmabufState, p: number, ctx: DriverContext): void {
  const d = s.drv;
  if (d.att[p] === ATT_MAPPED) {
    s.dev.mirror[p]!.forEach((e) => {
      if (e.frame !== NONE) unpinFrame(s, e.frame, true, ctx);
    });
  }
  zapMirror(s, p, ALL(s));
  // Work posted before the attach completed is flushed with an error.
  s.jobs.forEach((j, k) => {
    if (j.proc === p && j.state === 'submitted') {
      failJob(s, k, { errno: 'ECANCELED', from: 'driver', cause: 'deregistered', detail: 'MR deregistered before its attach completed' }, ctx);
    }
  });
  d.att[p] = 0;
  s.regs[p]!.live = false;
  s.regs[p]!.closing = false;
}

export const dmabufStatic = defineStrategy({
  name: 'dmabuf-static',
  summary: 'static dma-buf importer: pins the buffer and maps it once at attach; the exporter first places it where the importer can reach it (system RAM without a P2P path)',
  from: 'seed 003 (Haggai Eran: DMA-BUF moves the buffer at attach for the attaching device); Documentation/driver-api/dma-buf.rst',
  device: { kind: 'rdma', recoverable: false },
  configs: ['p2p-switch', 'p2p-none'],
  mutants: [
    { name: 'no-placement', pattern: 'the exporter pins the buffer where it is, without checking that the importer can reach it: P2P without the topology check' },
    { name: 'move-pinned', pattern: 'the exporter evicts a pinned buffer (the pin count ignored by the eviction path): the static importer, which never gets move_notify, DMAs into freed memory' },
    { name: 'unpin-before-dma-lands', pattern: 'detach unmaps and unpins at once, before the importer\'s DMA in flight has landed: the exporter moves the buffer under it' },
    { name: 'plain-dma-map', pattern: 'the buffer\'s VRAM is mapped for the importer with plain dma_map_sg, not the P2P-aware path' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...exporterActionKinds,
    { kind: 'st_map', actor: 'kernel', args: ['p'], models: 'attach, once the exporter placed the buffer: dma_resv_lock; dma_buf_pin; dma_buf_map_attachment (P2P-aware for VRAM); dma_resv_unlock; the MR is usable' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'ib_dereg_mr once the QP drained: dma_buf_unmap_attachment, dma_buf_unpin, dma_buf_detach' },
  ],

  init(s): DmabufDriver {
    placeInVram(s, 0, 'p2p');
    return dmabufInit(s) as never;
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    exporterEnabled(s, out, policy(s, ctx));
    s.regs.forEach((r, p) => {
      if (!r.live) return;
      if (d.att[p] === ATT_PINNING && !r.closing && d.resv[p] === NONE && !moving(s, p) && placed(s, p, ctx)) out.push({ k: 'st_map', a: p, b: NONE });
      if (r.closing && d.resv[p] === NONE && !s.jobs.some((j) => j.proc === p && j.state !== 'free' && j.state !== 'submitted')) out.push({ k: 'dereg_finish', a: p, b: NONE });
    });
  },

  apply(s, a: Action, ctx) {
    const d = s.drv;
    if (exporterApply(s, a, ctx, policy(s, ctx), () => {})) return; // no dynamic attachment to notify
    switch (a.k) {
      case 'st_map': {
        const p = a.a;
        s.mms[p]!.ptes.forEach((pte, v) => {
          pinFrame(s, pte.frame, ctx);
          const vram = s.frames[pte.frame]!.kind !== 'system';
          setMirror(s, p, v, pte.frame, s.frames[pte.frame]!.gen, true, pte.epoch, vram && ctx.mutant !== 'plain-dma-map');
        });
        d.att[p] = ATT_MAPPED;
        s.jobs.forEach((j) => {
          if (j.proc === p && j.state === 'submitted') j.state = 'ready';
        });
        return;
      }
      case 'dereg_finish':
        release(s, a.a, ctx);
        return;
    }
  },

  canRegister(s, p) {
    return isBuffer(s, p);
  },

  onRegister(s, p) {
    s.drv.att[p] = ATT_PINNING;
  },

  onDeregister(s, p, ctx) {
    if (ctx.mutant === 'unpin-before-dma-lands') release(s, p, ctx);
  },

  waits(s, ctx, out) {
    exporterWaits(s, ctx, out, true);
  },

  // The MR is usable once attach mapped it; until then work waits in the kernel queue.
  onSubmit(s, job) {
    const j = s.jobs[job]!;
    if (s.drv.att[j.proc] === ATT_MAPPED) j.state = 'ready';
  },
});
