// p2p-vma-map: the RFC of seed 004 ("mm/vma: add support for peer to peer to device vma", Jérôme Glisse,
// 2019; Jason Gunthorpe's reply): the provider's BAR is mapped into the process by its driver with no
// struct pages for user space to pin, and the VMA gets two operations: `p2p_map(vma, device, range)`
// returns a scatterlist of bus addresses mapped for that device (the caller then runs the existing
// pci_p2pdma_map_sg flow: the address its path needs, or -EOPNOTSUPP where pci_p2pdma_map_type says
// NOT_SUPPORTED), and `p2p_unmap` gives it back. The importer (an RDMA NIC that can fault, ODP-style) learns
// of the provider's changes through the mmu interval notifier over the VMA, as for any mapping it mirrors:
// the provider's eviction of a page or its unbind zaps the VMA (unmap_mapping_range), the importer's
// callback fences and blocks its DMA for the range, waits until the HCA no longer uses it, calls
// p2p_unmap, returns; the next access faults and calls p2p_map again. Jerome's "two faulting domains": the
// page is faulted into the visible-to-DMA domain and stays invisible to the CPU's kernel mappings: the SGL
// has no struct page (sg_page is not a page).
// p2p_map is the provider driver's own callback, so it may hand out an address on an internal link the
// PCI P2P layer does not know (config p2p-link), where p2p-gup's pci_p2pdma_map_sg refuses.
// Simplification: the fault side is the interval notifier's (read_begin, then p2p_map in place of
// hmm_range_fault under the mmap read lock, then the driver lock + read_retry + program); for a page the
// process has since mapped to RAM, hmm_range_fault as usual.
import { NONE, DEV, THIRD } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { DEREGISTERED, recordFailure } from '../job-error.ts';
import { callbackRefuse, callbackReturn, dirtyWritten, dmaInFlight, procInvalidating, setSeq, subscribe, zapMirror } from '../mm.ts';
import { abortFault, emptyFaults, faultActionKinds, faultApply, faultEnabled, faultClearDead, faultCounters, mirrorTeardown, startFault, type FaultMutations, type MirrorDriver } from './mirror-fault.ts';
import { callbackWaitId, waitsOn } from '../waits.ts';
import { providerMapFor, placeInVram } from '../p2p.ts';
import { isBarFrame, PROVIDER_LIVE, providerActionKinds, providerApply, providerEnabled, type ProviderDriver } from '../p2pmem.ts';

const CB_LOCKED = 1;
const CB_ZAPPED = 2;
const LOCK_BY_INV = 1000;

interface VmaMapDriver extends MirrorDriver, ProviderDriver {}

type VmaMapMutant = 'unmap-without-drain' | 'map-without-retry' | 'sgl-for-other-device' | 'sg-page-on-bus-sgl';

function mutations(ctx: DriverContext<VmaMapMutant>): FaultMutations {
  return { noReadRetry: ctx.mutant === 'map-without-retry', retryOutsideLock: false };
}

/** The device whose address p2p_map is asked for. */
const clientOf = (ctx: DriverContext<VmaMapMutant>) => (ctx.mutant === 'sgl-for-other-device' ? THIRD : DEV);

export const p2pVmaMap = defineStrategy({
  counters: (d: VmaMapDriver, c) => faultCounters(d, c),
  clearDead: (d: VmaMapDriver) => faultClearDead(d),
  name: 'p2p-vma-map',
  // A callback holds the driver lock as LOCK_BY_INV + its invalidation slot.
  invSymmetry: { invRefs: [{ field: 'lock', offset: LOCK_BY_INV }] },
  summary: 'the RFC: BAR memory mapped with no struct pages; the importer asks the VMA\'s p2p_map for an SGL of bus addresses for its own device, follows the VMA with the interval notifier, and calls p2p_unmap once its DMA drained',
  from: 'seed 004 (RFC "mm/vma: add support for peer to peer to device vma", Jason Gunthorpe\'s reply); drivers/pci/p2pdma.c',
  device: { kind: 'rdma', recoverable: true },
  configs: ['p2p-switch', 'p2p-host-bridge', 'p2p-three', 'p2p-link'],
  mutants: [
    { name: 'unmap-without-drain', pattern: 'the invalidate callback calls p2p_unmap and returns once the HCA entries are zapped, without waiting for the DMA in flight: the provider frees or moves the BAR page under it (the zap-without-wait pattern on a P2P mapping)' },
    { name: 'map-without-retry', pattern: 'the fault programs the SGL p2p_map returned without mmu_interval_read_retry: an eviction or unbind that began meanwhile is missed and a stale bus address is published' },
    { name: 'sgl-for-other-device', pattern: 'p2p_map is called with another struct device than the one that DMAs (the provider\'s or a sibling client\'s): the SGL\'s bus addresses make sense only on that device\'s path ("you need to know the device which does DMA for an address to make sense")' },
    { name: 'sg-page-on-bus-sgl', pattern: 'the importer walks the SGL with sg_page/sg_virt (as ib_umem and software RDMA do) although p2p_map returned bus addresses with no struct page: the CPU touches a page that does not exist' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...faultActionKinds,
    { kind: 'vm_inv_lock', actor: 'kernel', args: ['inv'], models: 'invalidate callback: if !mmu_notifier_range_blockable return false; take the driver lock; mmu_interval_set_seq' },
    { kind: 'vm_inv_zap', actor: 'kernel', args: ['inv'], models: 'invalidate callback: block the HCA\'s DMA for the range and zap its translations' },
    { kind: 'vm_inv_unmap', actor: 'kernel', args: ['inv'], models: 'invalidate callback: once the HCA drained, vma->vm_ops->p2p_unmap for the range; unlock; return' },
    { kind: 'dereg_finish', actor: 'kernel', args: ['p'], models: 'dereg: mmu_interval_notifier_remove, zap, p2p_unmap of what is mapped' },
    ...providerActionKinds,
  ],

  init(s): VmaMapDriver {
    placeInVram(s, 0, 'p2p'); // the provider's mmap of its BAR into process 0 (no struct pages for GUP)
    return { faults: emptyFaults(s), lock: NONE, provider: PROVIDER_LIVE };
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    faultEnabled(s, mutations(ctx), out);
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const c = inv.cb[inv.proc]!;
      if (c === 0 && (d.lock === NONE || !inv.blockable)) out.push({ k: 'vm_inv_lock', a: i, b: NONE });
      else if (c === CB_LOCKED) out.push({ k: 'vm_inv_zap', a: i, b: NONE });
      else if (c === CB_ZAPPED && !dmaInFlight(s, inv.proc, inv.pages)) out.push({ k: 'vm_inv_unmap', a: i, b: NONE });
    });
    s.regs.forEach((r, p) => {
      if (r.live && r.closing && d.lock === NONE && !procInvalidating(s, p) && !dmaInFlight(s, p, (1 << s.mms[p]!.ptes.length) - 1)) out.push({ k: 'dereg_finish', a: p, b: NONE });
    });
    providerEnabled(s, out);
  },

  apply(s, a, ctx) {
    const d = s.drv;
    if (providerApply(s, a, ctx, (i) => p2pVmaMap.onInvalidateStart(s, i, ctx), () => true)) return;
    if (a.k === 'range_fault') {
      // p2p_map(vma, client, range) for a BAR page, hmm_range_fault for RAM: both under the mmap read lock.
      if (!faultApply(s, a, mutations(ctx), p2pVmaMap, ctx, () => {})) return;
      const f = d.faults[a.a]!;
      if (f.live && f.phase === 2 && isBarFrame(s, f.frame)) {
        if (providerMapFor(s, ctx.cfg.topology, f.frame, clientOf(ctx)) === null) {
          abortFault(s, a.a, { errno: 'EIO', from: 'driver', cause: 'fault-failed', detail: 'p2p_map: -EOPNOTSUPP (pci_p2pdma_map_type: PCI_P2PDMA_MAP_NOT_SUPPORTED)' }, ctx);
        } else {
          f.p2p = true;
        }
      }
      return;
    }
    if (faultApply(s, a, mutations(ctx), p2pVmaMap, ctx, (f) => {
      // The SGL is programmed into the HCA: bus addresses (no struct page) for a BAR page.
      // Every page is mapped for the client given (p2p_map for a BAR page, dma_map_page for RAM).
      const e = s.dev.mirror[f.proc]![f.vpage]!;
      const client = clientOf(ctx);
      e.dmaDev = client;
      if (isBarFrame(s, f.frame)) {
        e.dmaAddr = providerMapFor(s, ctx.cfg.topology, f.frame, client) ?? 'iova';
        ctx.emit({ t: 'sgl_handoff', job: f.job, proc: f.proc, vpage: f.vpage, frame: f.frame, consumer: 'rdma-p2pdma', p2p: true, structPage: false });
        if (ctx.mutant === 'sg-page-on-bus-sgl') ctx.emit({ t: 'kernel_cpu_access', frame: f.frame, via: 'sg_page', structPage: false, write: false });
      }
      if (f.job !== NONE) s.jobs[f.job]!.state = 'ready';
    })) return;
    const inv = s.invs[a.a]!;
    switch (a.k) {
      case 'vm_inv_lock':
        if (!inv.blockable) {
          callbackRefuse(s, a.a, inv.proc, ctx);
          return;
        }
        d.lock = LOCK_BY_INV + a.a;
        setSeq(s, a.a, inv.proc);
        inv.cb[inv.proc] = CB_LOCKED;
        return;
      case 'vm_inv_zap':
        dirtyWritten(s, inv.proc, inv.pages);
        zapMirror(s, inv.proc, inv.pages);
        if (ctx.mutant === 'unmap-without-drain') {
          d.lock = NONE;
          callbackReturn(s, a.a, inv.proc, ctx);
        } else {
          inv.cb[inv.proc] = CB_ZAPPED;
        }
        return;
      case 'vm_inv_unmap':
        d.lock = NONE;
        callbackReturn(s, a.a, inv.proc, ctx);
        return;
      case 'dereg_finish': {
        mirrorTeardown(s, a.a, 'MR deregistered', ctx);
        s.jobs.forEach((j, k) => {
          if (j.proc === a.a && (j.state === 'ready' || j.state === 'faulting')) recordFailure(s, k, DEREGISTERED);
        });
        return;
      }
    }
  },

  onRegister(s, proc) {
    subscribe(s, proc);
  },

  waits(s, _ctx, out) {
    const d = s.drv;
    s.invs.forEach((inv, i) => {
      if (!inv.live) return;
      const id = callbackWaitId(i, inv.proc);
      const c = inv.cb[inv.proc]!;
      if (c === 0 && d.lock !== NONE) {
        const k = d.lock - LOCK_BY_INV;
        const iv = s.invs[k];
        const cbk = iv?.cb[iv.proc];
        const holder = iv && iv.live && (cbk === CB_LOCKED || cbk === CB_ZAPPED) ? [callbackWaitId(k, iv.proc)] : [];
        waitsOn(out, id, { target: { k: 'driver-lock', name: `the MR lock of p${inv.proc}` }, heldBy: holder, releasedBy: holder.length > 0 ? 'kernel' : 'nobody' });
      } else if (c === CB_ZAPPED) {
        s.jobs.forEach((j, k) => {
          if (j.state === 'running' && j.proc === inv.proc && (inv.pages >> j.vpage) & 1) waitsOn(out, id, { target: { k: 'dma', job: k }, heldBy: [], releasedBy: 'hardware' });
        });
      }
    });
  },

  onDeviceFault(s, job) {
    const j = s.jobs[job]!;
    startFault(s, j.proc, j.vpage, j.write, job);
  },
});
