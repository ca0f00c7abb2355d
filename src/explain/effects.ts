// A step's effects as data: what it translated, snapshot, programmed, zapped, freed, swapped, copied on
// write, pinned, waited on, signalled or refused, with frames, generations and values. Read from the
// events the step emitted (model/events.ts) and from the difference of the world's state before and after
// it, so that a strategy that emits nothing of its own still shows what its step did to the world.
import type { ModelEvent } from '../../model/events.ts';
import { CB_RETURNED, NONE, type State } from '../../model/types.ts';
import { pagesText, type Cell } from './state.ts';

export type EffectKind =
  | 'translated' | 'landed' | 'snapshot' | 'programmed' | 'zapped' | 'freed' | 'allocated'
  | 'swapped-out' | 'swapped-in' | 'copied-on-write' | 'remapped' | 'mapped' | 'unmapped'
  | 'pinned' | 'unpinned' | 'waited-on' | 'signalled' | 'refused' | 'read' | 'wrote'
  | 'invalidation' | 'callback' | 'seq' | 'job' | 'error' | 'fault' | 'queue' | 'registration'
  | 'process' | 'moved' | 'driver';

export interface Effect {
  kind: EffectKind;
  text: string;
  /** The slots and objects it touches: `job0`, `inv1`, `frame2`, `p0 v1`, `p0`, `fault3`. */
  refs: string[];
  /** The ids and values, as data. */
  data: Record<string, Cell>;
}

const page = (p: number, v: number) => `p${p} v${v}`;

function fx(kind: EffectKind, text: string, refs: string[], data: Record<string, Cell> = {}): Effect {
  return { kind, text, refs, data };
}

/** The effect an event stands for. */
export function effectOfEvent(e: ModelEvent): Effect {
  const data = { ...e } as Record<string, Cell>;
  const d = (kind: EffectKind, text: string, refs: string[]) => fx(kind, text, refs, data);
  switch (e.t) {
    case 'dma_land':
      return d('landed', `job${e.job}'s DMA ${e.write ? `writes ${e.value} to` : `reads ${e.value} from`} frame ${e.frame} (gen ${e.gen}) for ${page(e.proc, e.vpage)}${e.p2p ? ', over P2P' : ''}`, [`job${e.job}`, `frame${e.frame}`, page(e.proc, e.vpage)]);
    case 'dma_start':
      return d('translated', `job${e.job}'s DMA for ${page(e.proc, e.vpage)} translated to frame ${e.frame} (gen ${e.gen})${e.p2p ? ', a P2P mapping' : ''}; in flight`, [`job${e.job}`, `frame${e.frame}`, page(e.proc, e.vpage)]);
    case 'cpu_read':
      return d('read', `the CPU reads ${e.value} from ${page(e.proc, e.vpage)} (frame ${e.frame})`, [page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'cpu_write':
      return d('wrote', `the CPU writes ${e.value} to ${page(e.proc, e.vpage)} (frame ${e.frame})`, [page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'mmap':
      return d('mapped', e.untouched ? `${page(e.proc, e.vpage)} mapped, untouched (pte_none: the first access faults it in)` : `${page(e.proc, e.vpage)} mapped to a new zeroed frame`, [page(e.proc, e.vpage)]);
    case 'munmap':
      return d('unmapped', `${page(e.proc, e.vpage)} unmapped`, [page(e.proc, e.vpage)]);
    case 'unmap_unnotified':
      return d('swapped-out', `${page(e.proc, e.vpage)} reclaimed to swap with no mmu_notifier call around the PTE change: no device is told`, [page(e.proc, e.vpage)]);
    case 'fork_pte':
      return d('mapped', `fork copies ${page(e.parent, e.vpage)} into p${e.child}`, [page(e.parent, e.vpage), page(e.child, e.vpage)]);
    case 'fork':
      return d('process', `p${e.parent} forks p${e.child}${e.pinnedPages ? ` with ${e.pinnedPages} pinned page(s)` : ''}`, [`p${e.parent}`, `p${e.child}`]);
    case 'invalidate_start':
      return d('invalidation', `invalidate_range_start: inv${e.inv}, the ${e.cause} of p${e.proc} ${pagesText(e.pages)}${e.dmaInFlight ? ', with DMA in flight' : ''}; ${e.callbacks} callback(s) owed`, [`inv${e.inv}`, ...pageRefs(e.proc, e.pages)]);
    case 'callback_return':
      return d('callback', `inv${e.inv}'s invalidate callback of sub${e.sub} returns`, [`inv${e.inv}`, `sub${e.sub}`]);
    case 'invalidate_end':
      return d('invalidation', `invalidate_range_end: inv${e.inv}, the ${e.cause} of p${e.proc} ${pagesText(e.pages)}, ${e.changed ? 'done' : 'changed nothing'}`, [`inv${e.inv}`, ...pageRefs(e.proc, e.pages)]);
    case 'callback_wait_fence':
      return d('waited-on', `inv${e.inv}'s callback waits on job${e.job}'s fence`, [`inv${e.inv}`, `job${e.job}`]);
    case 'device_fault':
      return d('fault', `job${e.job} takes a device page fault on ${page(e.proc, e.vpage)}${e.fatal ? ': FATAL, the device cannot recover' : ': its queue stalls'}`, [`job${e.job}`, page(e.proc, e.vpage)]);
    case 'read_retry':
      return d('seq', e.retry ? `mmu_interval_read_retry for ${page(e.proc, e.vpage)}: the seq moved, the fault is retried` : `mmu_interval_read_retry for ${page(e.proc, e.vpage)}: seq unchanged`, [page(e.proc, e.vpage)]);
    case 'pin':
      return d('pinned', `frame ${e.frame} pinned (pincount ${e.pincount})`, [`frame${e.frame}`]);
    case 'unpin':
      return d('unpinned', `frame ${e.frame} unpinned (pincount ${e.pincount})`, [`frame${e.frame}`]);
    case 'fence_signal':
      return d('signalled', `job${e.job}'s fence signals${e.error ? ' with an error' : ''}`, [`job${e.job}`]);
    case 'mprotect': {
      const prot = e.prot === 3 ? 'PROT_READ | PROT_WRITE' : e.prot === 1 ? 'PROT_READ' : 'PROT_NONE';
      return d('registration', `mprotect(${prot}) of ${page(e.proc, e.vpage)}: the VMA's flags change (mprotect_fixup)`, [page(e.proc, e.vpage)]);
    }
    case 'migrate_refused':
      return d('refused', `the migration of ${page(e.proc, e.vpage)} (frame ${e.frame}) is refused: extra references`, [page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'job_error':
      return d('error', `job${e.job} fails with -${e.errno} (${e.cause}): ${e.detail}`, [`job${e.job}`]);
    case 'move_refused':
      return d('refused', `the ${e.mechanism} of ${page(e.proc, e.vpage)} (frame ${e.frame}) is refused: the page is pinned`, [page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'oom_kill':
      return d('process', `the OOM killer picks p${e.proc} as its victim`, [`p${e.proc}`]);
    case 'exit':
      return d('process', e.phase === 'do_exit' ? `p${e.proc} exits (do_exit, exit_mm): it runs no more user code` : e.phase === 'exit_mmap' ? `exit_mmap of p${e.proc}: mmu_notifier_release, every notifier's release callback owed` : `p${e.proc}'s mm is dead: every page unmapped, its file released`, [`p${e.proc}`]);
    case 'callback_refuse':
      return d('refused', `inv${e.inv}'s callback of sub${e.sub} refuses the non-blockable invalidation (-EAGAIN)`, [`inv${e.inv}`, `sub${e.sub}`]);
    case 'invalidate_abandon':
      return d('invalidation', `inv${e.inv}, the ${e.cause} of p${e.proc} ${pagesText(e.pages)}, is abandoned: no PTE changed, no invalidate_range_end`, [`inv${e.inv}`]);
    case 'queues_preempted':
      return d('queue', `the hardware preempts p${e.proc}'s queues`, [`p${e.proc} queues`]);
    case 'queues_resumed':
      return d('queue', `p${e.proc}'s queues resume`, [`p${e.proc} queues`]);
    case 'callback_wait_eviction':
      return d('waited-on', `inv${e.inv}'s callback waits on p${e.proc}'s eviction fence`, [`inv${e.inv}`, `p${e.proc} queues`]);
    case 'offline_migrate':
      return d('invalidation', e.refused ? `offlining the ${e.zone === 'cma' ? 'CMA area' : 'movable range'} fails for ${page(e.proc, e.vpage)}: frame ${e.frame} is pinned (-EBUSY)` : `offlining the ${e.zone === 'cma' ? 'CMA area' : 'movable range'} migrates ${page(e.proc, e.vpage)} out of frame ${e.frame}: inv${e.inv}`, [page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'longterm_migrate':
      return d('invalidation', e.inv === -1 ? `FOLL_LONGTERM cannot migrate p${e.proc} ${pagesText(e.pages)} out of movable memory` : `FOLL_LONGTERM migrates p${e.proc} ${pagesText(e.pages)} to ZONE_NORMAL first: inv${e.inv}`, pageRefs(e.proc, e.pages));
    case 'longterm_pin_failed':
      return d('process', `p${e.proc}'s long-term pin fails (-${e.errno})`, [`p${e.proc}`]);
    case 'swapcache_free':
      return d('freed', `frame ${e.frame} leaves the swap cache (__remove_mapping): its swap entries now read the slot`, [`frame${e.frame}`]);
    case 'direct_reclaim':
      return d('waited-on', `the allocation enters direct reclaim: inv${e.inv} reclaims ${page(e.proc, e.vpage)}, and the allocation waits for it`, [`inv${e.inv}`, page(e.proc, e.vpage)]);
    case 'mr_revoked':
      return d('zapped', `p${e.proc}'s MR is revoked: the device no longer maps it, the QP goes to the error state`, [`p${e.proc}`]);
    case 'move_notify':
      return d('invalidation', `dma_buf_move_notify for ${page(e.proc, e.vpage)}: the importers tear their mappings down${e.dmaInFlight ? ' (DMA in flight)' : ''}`, [page(e.proc, e.vpage)]);
    case 'private_fault':
      return d('fault', `a device fault on ${page(e.proc, e.vpage)} meets another device's private frame ${e.frame}: ${e.outcome === 'p2p' ? 'given as a P2P page' : 'migrated to RAM'}`, [page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'peer_move':
      return d('moved', `${page(e.proc, e.vpage)} moves from frame ${e.from} to frame ${e.to}`, [page(e.proc, e.vpage), `frame${e.from}`, `frame${e.to}`]);
    case 'fault_seq':
      return d('seq', `mmu_interval_read_begin: fault${e.fault} (${page(e.proc, e.vpage)}) takes seq ${e.seq}`, [`fault${e.fault}`, page(e.proc, e.vpage)]);
    case 'fault_snapshot':
      return e.result === 'ok'
        ? d('snapshot', `hmm_range_fault: fault${e.fault} snapshots ${page(e.proc, e.vpage)} -> frame ${e.frame} (gen ${e.gen})${e.writable ? ' writable' : ' read-only'}`, [`fault${e.fault}`, page(e.proc, e.vpage), `frame${e.frame}`])
        : d('error', `hmm_range_fault: fault${e.fault} (${page(e.proc, e.vpage)}) gets -${e.result}${e.result === 'EBUSY' ? ', back to read_begin' : ''}`, [`fault${e.fault}`, page(e.proc, e.vpage)]);
    case 'mirror_program':
      return d('programmed', `fault${e.fault} programs the device PTE ${page(e.proc, e.vpage)} -> frame ${e.frame} (gen ${e.gen})${e.writable ? ' writable' : ''}, ${e.retry === 'under-lock' ? 'after mmu_interval_read_retry under the driver lock' : e.retry === 'outside-lock' ? 'with mmu_interval_read_retry checked before the driver lock, not under it' : 'WITHOUT mmu_interval_read_retry'}`, [`fault${e.fault}`, page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'driver_note':
      return d('driver', e.note, []);
    case 'migrate_collect':
      return d(e.cpages ? 'moved' : 'refused', `migrate_vma_setup by device ${e.device} for ${page(e.proc, e.vpage)} ${e.toDevice ? 'to device memory' : 'back to RAM'}: ${e.cpages ? 'collected (cpages 1)' : e.errno ? `refused before migrate_vma_setup (-${e.errno}: ${e.skip})` : `skipped (cpages 0: ${e.skip})`}`, [page(e.proc, e.vpage)]);
    case 'sgl_handoff':
      return d('mapped', `scatterlist entry for ${page(e.proc, e.vpage)} (frame ${e.frame}${e.p2p ? ', a P2P page' : ''}${e.structPage ? '' : ', no struct page'}) handed to ${e.consumer}`, [page(e.proc, e.vpage), `frame${e.frame}`]);
    case 'kernel_cpu_access':
      return d(e.write ? 'wrote' : 'read', `the kernel ${e.write ? 'writes' : 'reads'} frame ${e.frame} with the CPU through ${e.via}${e.structPage ? '' : ' (the entry has no struct page)'}`, [`frame${e.frame}`]);
    case 'gpu_reset':
      return d('queue', `the preemption of p${e.proc}'s queues timed out: GPU reset, ${e.lost} queued job(s) lost`, [`p${e.proc}`]);
    case 'provider_revoke':
      return d('refused', e.phase === 'begin' ? `the P2P provider begins to revoke its BAR memory${e.inUse ? ' (a device still uses it)' : ''}` : "the P2P provider's BAR memory released (memunmap_pages returned)", []);
    case 'notifier_remove':
      return d('registration', e.waits
        ? `mmu_interval_notifier_remove of sub${e.sub} (p${e.proc}) during an invalidation: queued on the deferred list, remove sleeps until mn_itree_inv_end`
        : `mmu_interval_notifier_remove of sub${e.sub} (p${e.proc}): out of the interval tree`, [`sub${e.sub}`]);
    case 'notifier_free':
      return d('freed', `the driver frees sub${e.sub}'s notifier (kfree)`, [`sub${e.sub}`]);
    case 'mkey':
      return d(e.op === 'miss' ? 'error' : 'registration', e.op === 'get'
        ? `job${e.job}'s page-fault handler finds p${e.proc}'s mkey in odp_mkeys and takes a reference (usecount ${e.usecount})`
        : e.op === 'miss'
          ? `job${e.job}'s page-fault handler finds no mkey for p${e.proc}'s MR in odp_mkeys (deregistered): the fault fails`
          : e.op === 'put'
            ? `job${e.job}'s page-fault handler drops p${e.proc}'s mkey (usecount ${e.usecount})`
            : `p${e.proc}'s mkey erased from odp_mkeys; the deregistration waits for usecount ${e.usecount} to reach 0`, [`p${e.proc}`, ...(e.job >= 0 ? [`job${e.job}`] : [])]);
    case 'mr_free':
      return d('freed', `the driver frees p${e.proc}'s MR and its mkey${e.usecount > 0 ? ` while ${e.usecount} page-fault handler(s) still hold the key` : ''}`, [`p${e.proc}`]);
  }
}

function pageRefs(proc: number, mask: number): string[] {
  const out: string[] = [];
  for (let v = 0; mask >> v; v++) if ((mask >> v) & 1) out.push(page(proc, v));
  return out;
}

/**
 * What the step did to the world that no event of it says: frames freed and allocated, PTEs changed
 * (swapped, copied on write, remapped), the device's mirror programmed or zapped, pins, jobs moving on,
 * queues, registrations, subscriptions.
 */
export function worldEffects(a: State, b: State, events: readonly ModelEvent[]): Effect[] {
  const out: Effect[] = [];
  const said = (t: ModelEvent['t'], pred: (e: any) => boolean) => events.some((e) => e.t === t && pred(e));
  b.frames.forEach((f, i) => {
    const o = a.frames[i]!;
    if (!o.free && f.free) out.push(fx('freed', `frame ${i} freed (gen ${o.gen} ends; value ${o.value} gone)`, [`frame${i}`], { frame: i, gen: o.gen }));
    if (o.free && !f.free) out.push(fx('allocated', `frame ${i} allocated (gen ${f.gen})`, [`frame${i}`], { frame: i, gen: f.gen }));
    if (o.pincount !== f.pincount && !said(f.pincount > o.pincount ? 'pin' : 'unpin', (e) => e.frame === i)) {
      out.push(fx(f.pincount > o.pincount ? 'pinned' : 'unpinned', `frame ${i} ${f.pincount > o.pincount ? 'pinned' : 'unpinned'} (pincount ${o.pincount} -> ${f.pincount})`, [`frame${i}`], { frame: i, pincount: f.pincount }));
    }
    if (!f.free && !o.free && o.gen === f.gen && o.value !== f.value && !events.some((e) => (e.t === 'cpu_write' || (e.t === 'dma_land' && e.write)) && e.frame === i)) {
      out.push(fx('wrote', `frame ${i} now holds ${f.value} (was ${o.value}): copied in`, [`frame${i}`], { frame: i, value: f.value }));
    }
  });
  b.mms.forEach((mm, p) => {
    const om = a.mms[p]!;
    if (!om.alive && mm.alive) out.push(fx('process', `p${p} starts`, [`p${p}`]));
    if (om.alive && !mm.alive) out.push(fx('process', `p${p} exits`, [`p${p}`]));
    mm.ptes.forEach((pte, v) => {
      const o = om.ptes[v]!;
      const at = page(p, v);
      const refs = [at];
      if (o.frame === pte.frame && o.swapped === pte.swapped && o.writable === pte.writable && o.mapped === pte.mapped) return;
      if (o.mapped && pte.mapped && !o.swapped && pte.swapped) {
        out.push(fx('swapped-out', `${at} swapped out from frame ${o.frame}: its value ${pte.swap} in the swap slot`, [...refs, `frame${o.frame}`], { proc: p, vpage: v, frame: o.frame }));
      } else if (o.mapped && pte.mapped && o.frame === NONE && pte.frame !== NONE) {
        const zero = pte.frame === b.zeroPfn ? ', the zero page, read-only' : '';
        out.push(fx('swapped-in', `${at} ${o.swapped ? 'swapped in' : 'faulted in'} to frame ${pte.frame}${zero} (gen ${b.frames[pte.frame]!.gen})`, [...refs, `frame${pte.frame}`], { proc: p, vpage: v, frame: pte.frame }));
      } else if (o.mapped && pte.mapped && o.frame !== NONE && pte.frame !== NONE && o.frame !== pte.frame) {
        const cow = !o.writable && pte.writable;
        out.push(fx(cow ? 'copied-on-write' : 'remapped', cow ? `${at} copied on write: frame ${o.frame} -> frame ${pte.frame} (gen ${b.frames[pte.frame]!.gen})` : `${at} now maps frame ${pte.frame} (gen ${b.frames[pte.frame]!.gen}), was frame ${o.frame}`, [...refs, `frame${o.frame}`, `frame${pte.frame}`], { proc: p, vpage: v, from: o.frame, to: pte.frame }));
      } else if (o.frame === pte.frame && o.writable !== pte.writable && pte.frame !== NONE) {
        out.push(fx(pte.writable ? 'copied-on-write' : 'remapped', pte.writable ? `${at} made writable in place (frame ${pte.frame} reused)` : `${at} write-protected (frame ${pte.frame}, shared copy-on-write)`, [...refs, `frame${pte.frame}`], { proc: p, vpage: v, frame: pte.frame }));
      } else if (o.mapped !== pte.mapped && !said(pte.mapped ? 'mmap' : 'munmap', (e) => e.proc === p && e.vpage === v)) {
        const where = (x: typeof pte) => (x.frame !== NONE ? `frame ${x.frame}` : x.swapped ? 'swapped out' : 'not present');
        out.push(fx(pte.mapped ? 'mapped' : 'unmapped', `${at} ${pte.mapped ? `mapped (${where(pte)})` : `unmapped (was ${where(o)})`}`, refs, { proc: p, vpage: v }));
      } else if (o.mapped && !pte.mapped) {
        out.push(fx('unmapped', `${at}'s PTE cleared (was frame ${o.frame})`, [...refs, `frame${o.frame}`], { proc: p, vpage: v }));
      } else if (o.frame !== NONE && pte.frame === NONE && !pte.swapped) {
        out.push(fx('unmapped', `${at}'s PTE cleared (was frame ${o.frame})`, [...refs, `frame${o.frame}`], { proc: p, vpage: v }));
      }
    });
  });
  // Every mirroring device's page table (device 1's too, in a config with two: Config.mirrors).
  const mirrors: [typeof b.dev.mirror, typeof b.dev.mirror, string][] = [[b.dev.mirror, a.dev.mirror, "the device's"]];
  if (b.dev1 && a.dev1) mirrors.push([b.dev1.mirror, a.dev1.mirror, "device 1's"]);
  for (const [after, before, whose] of mirrors) {
    after.forEach((row, p) =>
      row.forEach((e, v) => {
        const o = before[p]![v]!;
        const at = page(p, v);
        if (o.frame === e.frame && o.gen === e.gen && o.writable === e.writable) return;
        if (e.frame === NONE) {
          out.push(fx('zapped', `${whose} mirror of ${at} zapped (was frame ${o.frame} gen ${o.gen})`, [at, `frame${o.frame}`], { proc: p, vpage: v, frame: o.frame, gen: o.gen }));
        } else if (!said('mirror_program', (x) => x.proc === p && x.vpage === v)) {
          out.push(fx('programmed', `${whose} mirror of ${at} programmed -> frame ${e.frame} (gen ${e.gen})${e.writable ? ' writable' : ' read-only'}${e.p2p ? ', P2P' : ''}${o.frame !== NONE ? `, was frame ${o.frame}` : ''}`, [at, `frame${e.frame}`], { proc: p, vpage: v, frame: e.frame, gen: e.gen }));
        }
      }),
    );
  }
  b.jobs.forEach((j, i) => {
    const o = a.jobs[i]!;
    if (o.state === j.state) return;
    const what = `the ${j.write ? `write of ${j.value} to` : 'read of'} ${page(j.proc, j.vpage)}`;
    if (o.state === 'free') out.push(fx('job', `job${i}: ${what}, ${j.state === 'submitted' ? 'submitted to the driver' : 'handed to the hardware'}`, [`job${i}`, page(j.proc, j.vpage)], { job: i, state: j.state }));
    else if (j.state === 'free') out.push(fx('job', `job${i} done: its slot is free`, [`job${i}`], { job: i }));
    else if (!(j.state === 'running' && said('dma_start', (e) => e.job === i)) && !(j.state === 'landed' && said('dma_land', (e) => e.job === i))) {
      // A failed job's error is state (Job.error): the errno user space will read at its completion.
      const err = j.state === 'failed' && j.error.errno ? ` (-${j.error.errno} from ${j.error.from}: ${j.error.cause})` : '';
      out.push(fx('job', `job${i}: ${o.state} -> ${j.state}${err}`, [`job${i}`], { job: i, state: j.state, ...(err ? { errno: j.error.errno! } : {}) }));
    }
  });
  b.queues.forEach((q, p) => {
    if (a.queues[p]!.state !== q.state && !said(q.state === 'preempted' ? 'queues_preempted' : 'queues_resumed', (e) => e.proc === p)) {
      out.push(fx('queue', `p${p}'s queues: ${a.queues[p]!.state} -> ${q.state}`, [`p${p} queues`], { proc: p, state: q.state }));
    }
  });
  b.regs.forEach((r, p) => {
    const o = a.regs[p]!;
    const st = (x: typeof r) => (x.live ? (x.opening ? 'opening' : x.closing ? 'closing' : 'live') : 'none');
    if (st(o) !== st(r)) out.push(fx('registration', `p${p}'s registration: ${st(o)} -> ${st(r)}`, [`p${p}`], { proc: p, state: st(r) }));
  });
  b.subs.forEach((sub, i) => {
    const o = a.subs[i]!;
    if (!o.live && sub.live) out.push(fx('registration', `sub${i}: an interval notifier on p${sub.proc} inserted (mmu_interval_notifier_insert)`, [`sub${i}`, `p${sub.proc}`], { sub: i }));
    if (o.live && !sub.live) out.push(fx('registration', `sub${i} removed (mmu_interval_notifier_remove)`, [`sub${i}`], { sub: i }));
    if (o.live && sub.live && o.seq !== sub.seq) out.push(fx('seq', `mmu_interval_set_seq: sub${i}'s seq ${o.seq} -> ${sub.seq}`, [`sub${i}`], { sub: i, seq: sub.seq }));
  });
  b.invs.forEach((inv, i) => {
    const o = a.invs[i]!;
    if (!o.live || !inv.live) return;
    inv.cb.forEach((c, sub) => {
      const was = o.cb[sub]!;
      if (was === c || c === CB_RETURNED || said('callback_return', (e) => e.inv === i && e.sub === sub)) return;
      out.push(fx('callback', `inv${i}'s callback of sub${sub} at its step ${c} (was ${was === 0 ? 'not started' : `step ${was}`})`, [`inv${i}`, `sub${sub}`], { inv: i, sub, step: c }));
    });
  });
  return out;
}
