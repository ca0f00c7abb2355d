// DMA-BUF (KERNEL.md §4, Documentation/driver-api/dma-buf.rst): the exporter's side, shared by the static
// and the dynamic importer designs. The exporter is the peer GPU's driver; the buffer is the process's
// buffer pages (a GPU object mapped into it, placed in VRAM or in system RAM). Each process's buffer has a
// reservation object: the dma_resv lock and its fences (the importers' fences for accesses they could not
// stop, and the exporter's copy fence).
// A move of a buffer page, in the exporter's steps:
//   exp_move_notify  dma_resv_lock; dma_buf_move_notify: each dynamic importer tears its mapping down and
//                    adds fences for the accesses it cannot stop at once
//   exp_place        the same first step of a move an attachment asked for: the placement of a buffer
//                    page the importer cannot reach, inside the importer's own kernel task (its attach's
//                    dma_buf_pin, its fault's dma_buf_map_attachment), not new work TTM starts
//   exp_move_copy    wait for those fences; allocate the new placement, start the copy and add its fence
//                    to the resv; the CPU mapping is zapped (the pages are locked: faults wait on the
//                    fence); dma_resv_unlock
//   copy_done        the copy engine finishes: the fence signals, the CPU PTE points at the new placement,
//                    the old one is freed
// A move of a pinned buffer is refused: TTM keeps a pinned BO off the LRU, so eviction never picks it,
// and a placement change of a pinned BO fails (amdgpu_bo_move: "Can't move a pinned BO", -EINVAL).
// What the exporter's steps wait on (the importers' fences, the copy fence, the resv lock) is named for
// the liveness properties by exporterWaits (model/waits.ts).
// Simplifications: one move of a buffer at a time; the CPU mapping of the buffer follows the move at
// copy_done (TTM zaps it at the move and faults it back in after the fence).
import { NONE, PEER } from './types.ts';
import type { Action, State } from './types.ts';
import type { ActionKind, DriverContext } from './strategy.ts';
import { dmaInFlight, findFreeFrame, zapMirror } from './mm.ts';
import { bufferPage, p2pPossible, ramAlloc, switchPte, vramAlloc, vramFree } from './p2p.ts';
import { DEV } from './types.ts';
import { fenceReleaser, moveWaitId, type Wait, type WaitOn } from './waits.ts';

export interface DmabufDriver {
  /** resv[proc]: the buffer's dma_resv lock: NONE, or EXPORTER / IMPORTER. */
  resv: number[];
  /** Per page slot (proc * vpages + vpage): 0 no move; 1 notified (resv held); 2 copying (copy fence unsignalled). */
  mvPhase: number[];
  mvFrom: number[];
  mvTo: number[];
  /** fenced[job]: the importer added this job's fence to the resv (an access it could not stop). */
  fenced: number[];
  /** att[proc]: the attachment: 0 none; ATT_PINNING; ATT_MAPPED (static) / ATT_ATTACHED (dynamic). */
  att: number[];
  /** resvMove[proc]: the page slot whose move holds the resv lock (taken at move_notify), or NONE. */
  resvMove: number[];
}

export const EXPORTER = 1;
export const IMPORTER = 2;
export const ATT_ATTACHED = 1;
export const ATT_PINNING = 2;
export const ATT_MAPPED = 3;

/** A state whose driver is a DMA-BUF importer of this exporter. */
export type DmabufState = State<DmabufDriver>;
export const dmabufOf = (s: DmabufState): DmabufDriver => s.drv;
const V = (s: State) => s.mms[0]!.ptes.length;
export const slotOf = (s: State, p: number, v: number) => p * V(s) + v;

export function dmabufInit(s: State): DmabufDriver {
  const pages = s.mms.length * V(s);
  return {
    resv: s.mms.map(() => NONE),
    mvPhase: Array.from({ length: pages }, () => 0),
    mvFrom: Array.from({ length: pages }, () => NONE),
    mvTo: Array.from({ length: pages }, () => NONE),
    fenced: s.jobs.map(() => 0),
    att: s.mms.map(() => 0),
    resvMove: s.mms.map(() => NONE),
  };
}

export const exporterActionKinds: readonly ActionKind[] = [
  { kind: 'exp_move_notify', actor: 'kernel', args: ['p', 'v'], models: 'the exporter moves a buffer page (TTM eviction or placement): a pinned BO is refused (amdgpu_bo_move: -EINVAL); else dma_resv_lock; dma_buf_move_notify to the attachments', starts: true },
  // amdgpu_dma_buf_pin (amdgpu_bo_pin into GTT) and amdgpu_dma_buf_map (ttm_bo_validate into GTT, VRAM
  // only with attach->peer2peer), called from the importer's dma_buf_pin / dma_buf_map_attachment (an RDMA
  // MR's ib_umem_dmabuf_get_pinned at registration, ib_umem_dmabuf_map_pages at its page fault): the move
  // is a step of that task, which therefore finishes by kernel steps alone (no `starts`).
  { kind: 'exp_place', actor: 'kernel', args: ['p', 'v'], models: 'an attachment\'s pin or map moves a buffer page it cannot reach to system RAM (amdgpu_dma_buf_pin / amdgpu_dma_buf_map: ttm_bo_validate into GTT): dma_resv_lock; dma_buf_move_notify to the attachments' },
  { kind: 'exp_move_copy', actor: 'kernel', args: ['p', 'v'], models: 'the exporter waits for the fences in the resv, allocates the new placement, starts the copy and adds its fence, zaps the CPU mapping; dma_resv_unlock' },
  { kind: 'copy_done', actor: 'hardware', args: ['p', 'v'], models: 'the copy engine finishes: the copy fence signals; the buffer page lives in its new placement' },
];

/** Is a move of any page of `p`'s buffer in progress? */
export function moving(s: DmabufState, p: number): boolean {
  const d = dmabufOf(s);
  for (let v = 0; v < V(s); v++) if (d.mvPhase[slotOf(s, p, v)] !== 0) return true;
  return false;
}

/** The design's answers to the exporter's questions. */
export interface ExporterPolicy {
  /** The design lets the exporter start a move of that page now (a pin may force a move to system RAM). */
  allowed(p: number, v: number, toVram: boolean): boolean;
  /** The buffer is pinned: a move the exporter attempts is refused (dma_buf_pin). */
  pinned(p: number): boolean;
  /**
   * The move of (p, v) to system RAM is one an importer's kernel task asked for (dma_buf_pin or
   * dma_buf_map_attachment of a page it cannot reach): it runs as `exp_place`, that task's step.
   */
  owed?(p: number, v: number): boolean;
  /** The exporter waits for the importers' fences before it copies. */
  fencesWaited: boolean;
  /** The exporter drops the resv lock once the copy is under way (false: a mutant that leaks it). */
  unlocks: boolean;
}

/** Can the device reach the frame at all (system RAM, or the peer's VRAM over an allowed P2P path)? */
export function reachable(s: State, frame: number, topoChecked: boolean, ctx: DriverContext): boolean {
  const fr = s.frames[frame]!;
  if (fr.kind === 'system') return true;
  return !topoChecked || p2pPossible(ctx.cfg.topology, fr.owner, DEV);
}

/** The buffer of `p`: every page mapped and a page of the peer's buffer. */
export function isBuffer(s: State, p: number): boolean {
  return s.mms[p]!.alive && s.mms[p]!.ptes.every((pte) => pte.mapped && pte.frame !== NONE && bufferPage(s.frames[pte.frame]!));
}

/** Are fences the importers added for `p`'s buffer still unsignalled? */
function fencesPending(s: DmabufState): boolean {
  const d = dmabufOf(s);
  return s.jobs.some((j, k) => d.fenced[k] === 1 && j.state !== 'free');
}

/**
 * Push the exporter's enabled steps. A move of a pinned buffer is still attempted (and refused), so that
 * the refusal is seen; a move the design does not allow otherwise is not started.
 */
export function exporterEnabled(s: DmabufState, out: Action[], pol: ExporterPolicy): void {
  const d = dmabufOf(s);
  s.mms.forEach((mm, p) => {
    if (!mm.alive) return;
    mm.ptes.forEach((pte, v) => {
      const i = slotOf(s, p, v);
      const ph = d.mvPhase[i]!;
      if (ph === 0) {
        if (!pte.mapped || pte.frame === NONE) return;
        const fr = s.frames[pte.frame]!;
        if (!bufferPage(fr) || fr.locked || d.resv[p] !== NONE || moving(s, p)) return;
        const toVram = fr.kind === 'system';
        if (!(toVram ? vramFree(s) : findFreeFrame(s) !== NONE)) return;
        if (!pol.pinned(p) && !toVram && pol.owed?.(p, v) === true) out.push({ k: 'exp_place', a: p, b: v });
        else if (pol.pinned(p) || pol.allowed(p, v, toVram)) out.push({ k: 'exp_move_notify', a: p, b: v });
      } else if (ph === 1) {
        if (!pol.fencesWaited || !fencesPending(s)) out.push({ k: 'exp_move_copy', a: p, b: v });
      } else if (ph === 2) {
        out.push({ k: 'copy_done', a: p, b: v });
      }
    });
  });
}

/**
 * Apply an exporter step; `moveNotify(p)` is the importer's callback (dynamic importers), called under
 * the resv lock. Returns false if the action is not the exporter's.
 */
export function exporterApply(s: DmabufState, a: Action, ctx: DriverContext, pol: ExporterPolicy, moveNotify: (p: number) => void): boolean {
  const d = dmabufOf(s);
  const p = a.a;
  const v = a.b;
  switch (a.k) {
    case 'exp_place':
    case 'exp_move_notify': {
      const i = slotOf(s, p, v);
      if (pol.pinned(p)) {
        // ttm_bo_validate of a pinned BO: amdgpu_bo_move refuses it ("Can't move a pinned BO").
        const frame = s.mms[p]!.ptes[v]!.frame;
        ctx.emit({ t: 'move_refused', proc: p, vpage: v, frame, mechanism: 'dmabuf-move', by: 'pin' });
        return true;
      }
      d.resv[p] = EXPORTER;
      d.resvMove[p] = i;
      d.mvPhase[i] = 1;
      // The importers' fences are the buffer's (one dma_resv per BO): a DMA in flight to any page of it
      // holds the move back, so that is what "DMA in flight" means for a buffer move.
      ctx.emit({ t: 'move_notify', proc: p, vpage: v, dmaInFlight: dmaInFlight(s, p, (1 << V(s)) - 1) });
      moveNotify(p);
      return true;
    }
    case 'exp_move_copy': {
      const i = slotOf(s, p, v);
      const pte = s.mms[p]!.ptes[v]!;
      const from = pte.frame;
      const fr = s.frames[from]!;
      // The new placement's contents are not valid until the copy lands (value 0: whatever was there).
      const to = fr.kind === 'system' ? vramAlloc(s, 'p2p', 0) : ramAlloc(s, PEER, 0);
      d.mvFrom[i] = from;
      d.mvTo[i] = to;
      fr.locked = true;
      if (to !== NONE) s.frames[to]!.locked = true;
      d.mvPhase[i] = to === NONE ? 0 : 2;
      if (to === NONE) fr.locked = false;
      if (pol.unlocks) {
        d.resv[p] = NONE; // dma_resv_unlock: the copy fence guards the new placement from here
        d.resvMove[p] = NONE;
      }
      return true;
    }
    case 'copy_done': {
      const i = slotOf(s, p, v);
      const from = d.mvFrom[i]!;
      const to = d.mvTo[i]!;
      s.frames[to]!.value = s.frames[from]!.value;
      s.frames[to]!.locked = false;
      s.frames[from]!.locked = false;
      switchPte(s, p, v, to, ctx);
      d.mvPhase[i] = 0;
      d.mvFrom[i] = NONE;
      d.mvTo[i] = NONE;
      return true;
    }
    default:
      return false;
  }
}

/** A dynamic importer's move_notify: tear the mapping down; fence the accesses it cannot stop (DMA in flight). */
export function importerMoveNotify(s: DmabufState, p: number): void {
  const d = dmabufOf(s);
  zapMirror(s, p, (1 << V(s)) - 1);
  s.jobs.forEach((j, k) => {
    if (j.proc === p && j.state === 'running') d.fenced[k] = 1;
  });
}

/** The copy fence of (p, v)'s page is unsignalled. */
export function copyPending(s: DmabufState, p: number, v: number): boolean {
  return dmabufOf(s).mvPhase[slotOf(s, p, v)] === 2;
}

/** Who holds `p`'s resv lock, as the wait ids that must end before it is released (none: nobody will). */
function resvHolder(s: DmabufState, p: number): { heldBy: string[]; releasedBy: 'kernel' } {
  const i = dmabufOf(s).resvMove[p]!;
  return { heldBy: i === NONE ? [] : [moveWaitId(p, i % V(s))], releasedBy: 'kernel' };
}

/** `p`'s resv lock as a wait target, with its holder. */
export function resvWait(s: DmabufState, p: number): WaitOn {
  return { target: { k: 'resv-lock', proc: p }, ...resvHolder(s, p) };
}

/**
 * The exporter's waits (Strategy.waits): each move in progress, from move_notify until it has dropped the
 * resv lock and its copy fence signalled, and what it waits on now: the importers' fences (signalled by
 * the hardware, or only by user space for a user-queue job: dma-buf.rst, "Indefinite DMA Fences"), the
 * copy engine, or an unlock that never comes (`unlocks` false: the design's move path has no
 * dma_resv_unlock, so the end of every move it starts waits on a release nothing performs).
 */
export function exporterWaits(s: DmabufState, ctx: DriverContext, out: Wait[], unlocks: boolean): void {
  const d = dmabufOf(s);
  s.mms.forEach((mm, p) => {
    mm.ptes.forEach((_, v) => {
      const i = slotOf(s, p, v);
      const ph = d.mvPhase[i]!;
      const holds = d.resvMove[p] === i;
      if (ph === 0 && !holds) return;
      const on: WaitOn[] = [];
      if (ph === 1) {
        s.jobs.forEach((j, k) => {
          if (d.fenced[k] === 1 && j.state !== 'free') on.push({ target: { k: 'fence', job: k }, heldBy: [], releasedBy: fenceReleaser(ctx.cfg.queue) });
        });
      } else if (ph === 2) {
        on.push({ target: { k: 'copy-fence', proc: p, vpage: v }, heldBy: [], releasedBy: 'hardware' });
      }
      // A path that returns without dma_resv_unlock: nothing will drop the lock.
      if (!unlocks || ph === 0) on.push({ target: { k: 'resv-unlock', proc: p }, heldBy: [], releasedBy: 'nobody' });
      const what = ph === 0 ? `the exporter's move of p${p} v${v}, which returned holding p${p}'s dma_resv lock` : `the exporter's move of p${p} v${v} (dma_resv lock held since move_notify)`;
      out.push({ id: moveWaitId(p, v), kind: 'move', what, mayBlock: true, on });
    });
    // A deregistration waits for the resv lock before it unmaps and detaches.
    if (s.regs[p]!.live && s.regs[p]!.closing && d.resv[p] !== NONE) {
      out.push({ id: `detach:${p}`, kind: 'teardown', what: `the detach of p${p}'s attachment`, mayBlock: true, on: [resvWait(s, p)] });
    }
  });
}
