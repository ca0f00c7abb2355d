// Why an action is not enabled, as its guard's clauses: the world's actions spelled out clause by clause
// (the conditions model/world.ts's worldEnabled tests, in its order), a strategy's own by the guard its
// ActionKind describes (`guard`), or else by what the strategy does enable of that kind.
import type { Model } from '../../model/model.ts';
import { enabled, formatAction } from '../../model/model.ts';
import { callbacksReturned, findFreeFrame, forking, freeInvalidationSlot, invalidating, procInvalidating } from '../../model/mm.ts';
import { coreMmPage, cpuCanTouch, pteLocked } from '../../model/p2p.ts';
import { queueRuns } from '../../model/oom.ts';
import { cachedFrame, wpReusable } from '../../model/swap.ts';
import { NONE, type Action, type State } from '../../model/types.ts';

export interface Clause {
  /** The condition, as the guard states it. */
  text: string;
  holds: boolean;
}

const c = (text: string, holds: boolean): Clause => ({ text, holds });

/** The clauses of the world action `a`'s guard in `s` (empty for a strategy's own action). */
export function worldGuard(m: Model, s: State, a: Action): Clause[] {
  const p = a.a;
  const v = a.b;
  const mm = s.mms[p];
  const pte = mm?.ptes[v];
  const job = s.jobs[a.a];
  const page = `p${p} v${v}`;
  const alive = () => c(`p${p} is alive`, mm?.alive === true);
  const notVictim = () => c(`p${p} is not an OOM victim (a victim's user space runs no more)`, mm?.oomVictim !== true);
  const mapped = () => c(`${page} is mapped`, pte?.mapped === true);
  const present = () => c(`${page} is present (not swapped out, not unpopulated)`, pte !== undefined && pte.frame !== NONE);
  const notBusy = () => c(`no invalidation of ${page} is in progress`, pte !== undefined && !invalidating(s, p, v));
  const invSlot = () => c('an invalidation slot is free', freeInvalidationSlot(s) !== NONE);
  const frame = pte && pte.frame !== NONE ? s.frames[pte.frame] : undefined;
  switch (a.k) {
    case 'cpu_read':
    case 'cpu_write': {
      const out = [alive(), notVictim(), mapped(), c(`${page} is CPU-addressable and not locked by a move (not device-private, not PG_locked)`, pte !== undefined && cpuCanTouch(s, pte))];
      if (pte && pte.frame === NONE) out.push(c('the swap cache has the page, or a frame is free for the swap-in or first touch', cachedFrame(s, pte.slot) !== NONE || findFreeFrame(s) !== NONE), c(`p${p} is not forking (fork holds the mmap write lock)`, !forking(s, p)));
      if (a.k === 'cpu_write' && pte && pte.frame !== NONE && !pte.writable) {
        out.push(c(`the copy-on-write break of ${page} can start: no fork in progress, and the frame is reusable or an invalidation slot is free and none of ${page} is in progress`, !forking(s, p) && (wpReusable(s, pte.frame) || (!invalidating(s, p, v) && freeInvalidationSlot(s) !== NONE))));
      }
      return out;
    }
    case 'munmap':
      return [alive(), notVictim(), mapped(), notBusy(), invSlot(), c(`${page} is not a driver's buffer VMA`, !(frame && frame.owner !== NONE && frame.kind !== 'device-private')), c(`${page}'s page is not locked by a move`, pte !== undefined && !pteLocked(s, pte))];
    case 'mmap':
      return [alive(), notVictim(), c(`${page} is not mapped`, pte?.mapped === false), c('a frame is free', findFreeFrame(s) !== NONE), notBusy()];
    case 'migrate':
    case 'reclaim': {
      const out = [alive(), mapped(), c(`${page} is anonymous memory, not a DAX file page`, pte?.dax === false), present(), notBusy(), invSlot(), c(`${page}'s frame is mapped once (mapcount 1)`, frame?.mapcount === 1), c(`${page}'s frame is the core mm's own page`, frame !== undefined && coreMmPage(frame)), c(`${page}'s page is not locked by a move`, pte !== undefined && !pteLocked(s, pte))];
      if (a.k === 'reclaim' && m.cfg.kernel.reclaimSkipsPinned) out.push(c(`${page}'s frame is not pinned (reclaim skips pinned pages)`, (frame?.pincount ?? 0) === 0));
      return out;
    }
    case 'dax_move':
      return [alive(), mapped(), c(`${page} maps a DAX file`, pte?.dax === true), present(), notBusy(), invSlot(), c(`${page}'s block is idle: mapped once, no extra reference (a pin included)`, frame !== undefined && frame.mapcount === 1 && frame.refcount === frame.mapcount)];
    case 'submit':
    case 'submit_write': {
      const reg = s.regs[p];
      const out = [alive(), notVictim(), mapped(), c('a job slot is free', s.jobs.some((j) => j.state === 'free'))];
      if (m.strategy.needsRegistration) out.push(c(`p${p} has a live registration, neither opening nor closing (${m.strategy.name} needs one for a job)`, reg !== undefined && reg.live && !reg.closing && !reg.opening));
      return out;
    }
    case 'fork':
      return [alive(), notVictim(), c('no fork happened yet (the scope allows one)', s.forks === 0), c('a process slot is free', s.mms.some((x) => !x.alive)), invSlot(), c(`no invalidation of p${p} is in progress`, !procInvalidating(s, p))];
    case 'register':
      return [alive(), notVictim(), c(`p${p} has no registration`, s.regs[p]?.live === false), c(`the strategy accepts a registration of p${p} now (${m.strategy.name}'s canRegister)`, s.regs[p]?.live === true || m.strategy.canRegister(s, p, { cfg: m.cfg, mutant: m.mutant, emit: () => {} }))];
    case 'deregister':
      return [alive(), notVictim(), c(`p${p} has a live registration`, s.regs[p]?.live === true), c(`p${p}'s registration is not already closing`, s.regs[p]?.closing !== true)];
    case 'dma_start':
      return [c(`job${a.a} is ready (handed to the hardware; it is ${job?.state ?? 'no slot'})`, job?.state === 'ready'), c(`p${job?.proc ?? 0}'s queues are not preempted`, job !== undefined && queueRuns(s, job.proc))];
    case 'dma_land':
      return [c(`job${a.a}'s DMA is in flight (the job is ${job?.state ?? 'no slot'})`, job?.state === 'running')];
    case 'job_complete':
      return [c(`job${a.a} failed, or landed on a kernel queue (it is ${job?.state ?? 'no slot'}, on a ${m.cfg.queue} queue)`, job !== undefined && (job.state === 'failed' || (job.state === 'landed' && m.cfg.queue === 'kernel')))];
    case 'user_signal':
      return [c(`job${a.a} landed on a user queue (it is ${job?.state ?? 'no slot'}, on a ${m.cfg.queue} queue)`, job !== undefined && job.state === 'landed' && m.cfg.queue === 'user')];
    case 'invalidate_end':
      return [c(`inv${a.a} is in progress`, s.invs[a.a]?.live === true), c(`every invalidate callback of inv${a.a} returned`, s.invs[a.a]?.live === true && callbacksReturned(s, a.a))];
    default:
      return [];
  }
}

/** Why `a` is not enabled in `s`: the false clauses of its guard, in words. */
export function whyNotEnabled(m: Model, s: State, a: Action): string {
  const clauses = worldGuard(m, s, a);
  const failed = clauses.filter((x) => !x.holds);
  if (failed.length > 0) return `its guard is false: ${failed.map((x) => x.text).join('; and ')}`;
  const kind = m.kinds.get(a.k);
  const same = enabled(m, s).filter((e) => e.k === a.k).map((e) => formatAction(m, e));
  const guard = kind?.guard ?? null;
  const said = guard ? `its guard (${guard}) is false` : clauses.length > 0 ? 'the world allows it, but the strategy or the OOM state refuses it here' : `${m.strategy.name}'s guard for ${a.k} is false here`;
  return `${said}; ${a.k} is enabled here only as ${same.length > 0 ? same.join(', ') : 'nothing'}`;
}
