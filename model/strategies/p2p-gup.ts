// p2p-gup: P2P memory mapped into user space, as today's kernel does it (seed 004; drivers/pci/p2pdma.c,
// mm/gup.c, Documentation/driver-api/pci/p2pdma.rst). The provider's BAR pages have struct pages
// (ZONE_DEVICE, MEMORY_DEVICE_PCI_P2PDMA) and are mapped into the process (p2pmem_alloc_mmap). The importer
// is an NVMe device doing O_DIRECT I/O into that buffer: per I/O, the block layer pins the page with
// FOLL_PCI_P2PDMA (iov_iter_extract_pages with ITER_ALLOW_P2PDMA; without the flag GUP refuses a P2PDMA
// page with -EREMOTEIO), the driver maps it for its own device by topology (nvme_map_data ->
// blk_rq_dma_map_iter_start: pci_p2pdma_state gives a bus address through a common switch, an IOVA through
// a whitelisted host bridge, -EREMOTEIO where pci_p2pdma_map_type says NOT_SUPPORTED), and the completion
// unmaps and unpins (bio_release_pages). A long-term pin is refused (is_valid_gup_args / check_vma_flags:
// FOLL_LONGTERM with FOLL_PCI_P2PDMA is -EOPNOTSUPP, "We want to allow the pgmap to be hot-unplugged at
// all times"), so no registration exists: an RDMA MR over this memory cannot be made.
// When the provider revokes (unbind, reset) its user mappings are zapped, and memunmap_pages waits for the
// pins of the I/O in flight to drop before the BAR goes; a page it wants to move while pinned cannot move.
// The pin is pin_user_pages_fast (model/gup-fast.ts): gup_fast, the lockless walk, first (gup_fast), its
// mm->write_protect_seq re-check a step of its own where a fork may write-protect in between, then the slow
// path (gup_pin) if it gave up.
// Simplification: one page per I/O; the page's translation (the nvme PRP) is the device's mirror entry,
// programmed at map and dropped at completion.
import { NONE, THIRD, DEV } from '../types.ts';
import type { State } from '../types.ts';
import type { DriverContext } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { failJob } from '../job-error.ts';
import { invalidating, pinFrame, swapIn, setMirror, unpinFrame } from '../mm.ts';
import { wpReusable, wpReuse } from '../swap.ts';
import { breakCow } from '../world.ts';
import { p2pdmaMapFor, placeInVram } from '../p2p.ts';
import { gupFastByJob, gupFastClear, gupFastCounters, gupFastFinish, gupFastNext, gupFastSlots, gupFastStart } from '../gup-fast.ts';
import type { GupFastSlots } from '../gup-fast.ts';
import { PROVIDER_LIVE, providerActionKinds, providerApply, providerEnabled, type ProviderDriver } from '../p2pmem.ts';

interface GupDriver extends ProviderDriver, GupFastSlots {
  /** pin[job]: the frame the I/O in slot `job` pinned (NONE: not pinned yet, or released). */
  pin: number[];
  /** mapped[job]: 1 once the I/O's page is DMA-mapped and handed to the hardware. */
  mapped: number[];
  /** pinEpoch[job]: the PTE epoch the pin was taken in (the mapping the I/O's translation belongs to). */
  pinEpoch: number[];
}

type GupMutant = 'plain-dma-map' | 'unpin-before-dma-lands' | 'map-for-other-client' | 'rxe-consumer';

/** Another job of the same page still holds its pin and mapping. */
function sharedMapping(s: State<GupDriver>, job: number): boolean {
  const j = s.jobs[job]!;
  return s.jobs.some((k, i) => i !== job && k.state !== 'free' && k.proc === j.proc && k.vpage === j.vpage && s.drv.mapped[i] === 1);
}

/** Another I/O of the same page has it mapped to another frame. */
function otherMapping(s: State<GupDriver>, job: number): boolean {
  const j = s.jobs[job]!;
  return s.jobs.some((k, i) => i !== job && k.state !== 'free' && k.proc === j.proc && k.vpage === j.vpage && s.drv.mapped[i] === 1 && s.dev.mirror[j.proc]![j.vpage]!.frame !== s.drv.pin[job]);
}

function failIo(s: State<GupDriver>, job: number, ctx: DriverContext, errno: 'EFAULT' | 'EIO' | 'ENOMEM', detail: string): void {
  failJob(s, job, { errno, from: errno === 'EIO' ? 'driver' : 'gup', cause: errno === 'EFAULT' ? 'not-mapped' : 'fault-failed', detail }, ctx);
}

export const p2pGup = defineStrategy({
  name: 'p2p-gup',
  summary: 'P2PDMA BAR pages mapped into the process; each NVMe I/O pins its page with FOLL_PCI_P2PDMA and maps it by topology (pci_p2pdma_map_type); FOLL_LONGTERM refused; a revoke waits for the pins',
  from: 'seed 004 (Logan Gunthorpe, Jason Gunthorpe); drivers/pci/p2pdma.c, mm/gup.c, drivers/nvme/host/pci.c',
  device: { kind: 'nvme', recoverable: false },
  configs: ['p2p-switch', 'p2p-host-bridge', 'p2p-none', 'p2p-three', 'p2p-link'],
  mutants: [
    { name: 'plain-dma-map', pattern: 'the P2P page is mapped with plain dma_map_sg, not the P2P-aware path: an IOVA where the path through a common switch needs the PCI bus address (the "dma_map doesn\'t work" of seed 004, before dma_map_sgtable learnt P2PDMA)' },
    { name: 'unpin-before-dma-lands', pattern: 'the pages are released when the request is issued, not at its completion (bio_release_pages too early): the provider\'s revoke frees the BAR page while the NVMe DMA is in flight' },
    { name: 'map-for-other-client', pattern: 'the driver reuses a P2P mapping made for another client device (dma_map_sg with another struct device, as an NVMe-oF target that picks p2pmem for one client set and hands it to a namespace outside it): an address that names the memory only on that device\'s path' },
    { name: 'rxe-consumer', pattern: 'the P2P scatterlist goes to a software RDMA device (rxe, as usnic, hfi1, qib) that copies through sg_page/kmap with the CPU: the p2p-sgl "special hacks" only NVMe and RDMA\'s p2pdma path got' },
  ],
  needsRegistration: false,
  actionKinds: [
    { kind: 'gup_fast', actor: 'kernel', args: ['job'], models: 'iov_iter_extract_pages(ITER_ALLOW_P2PDMA) -> pin_user_pages_fast(FOLL_PCI_P2PDMA), its lockless part: gup_fast reads mm->write_protect_seq and pins the I/O\'s page through its present, writable PTE (a P2PDMA page allowed: FOLL_PCI_P2PDMA)', guard: 'the I/O is submitted, not pinned, and gup_fast can pin its page (write_protect_seq even, the PTE present and writable)' },
    { kind: 'gup_pin', actor: 'kernel', args: ['job'], models: 'pin_user_pages_fast, the rest: gup_fast\'s read_seqcount_retry (a fork since: unpin, fall back), or the slow path under the mmap lock (unsharing a copy-on-write page): the I/O\'s page pinned' },
    { kind: 'map_sg', actor: 'kernel', args: ['job'], models: 'nvme_map_data: blk_rq_dma_map_iter_start (pci_p2pdma_state: bus address, IOVA, or -EREMOTEIO), the command issued' },
    ...providerActionKinds,
  ],

  init(s): GupDriver {
    // The provider's p2pmem_alloc_mmap: process 0's pages are BAR pages.
    placeInVram(s, 0, 'p2p');
    return { provider: PROVIDER_LIVE, pin: s.jobs.map(() => NONE), mapped: s.jobs.map(() => 0), pinEpoch: s.jobs.map(() => 0), ...gupFastSlots(s.jobs.length) };
  },

  // The pin's epoch is a PTE epoch of the I/O's page (model/canonical.ts); a free slot's is dead; gup_fast's
  // pending re-check holds a write_protect_seq and an epoch.
  counters(d, c, s) {
    d.pinEpoch.forEach((x, i) => {
      if (d.pin[i] !== NONE) d.pinEpoch[i] = c.epoch(s.jobs[i]!.proc, s.jobs[i]!.vpage, x);
    });
    gupFastCounters(d, c, (i) => s.jobs[i]!);
  },
  clearDead(d) {
    d.pin.forEach((f, i) => {
      if (f === NONE) d.pinEpoch[i] = 0;
    });
  },

  // pin_user_pages(FOLL_LONGTERM | FOLL_PCI_P2PDMA) is refused (-EOPNOTSUPP): no MR, no long-term registration.
  canRegister: () => false,

  onSubmit(s, job) {
    s.jobs[job]!.state = 'submitted'; // the block layer prepares it: gup_pin, then map_sg
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    s.jobs.forEach((j, i) => {
      if (j.state !== 'submitted') return;
      // GUP's slow path waits while the page is being unmapped or migrated (the mmap lock, a migration entry).
      const next = gupFastNext(s, ctx.cfg, d, i, j.proc, j.vpage);
      if (d.pin[i] === NONE && next === 'gup_fast') out.push({ k: 'gup_fast', a: i, b: NONE });
      else if (next === 'recheck' || (d.pin[i] === NONE && !invalidating(s, j.proc, j.vpage))) out.push({ k: 'gup_pin', a: i, b: NONE });
      // One translation per page (the simplification): an I/O whose page another I/O has mapped to another frame waits for it to complete.
      if (d.pin[i] !== NONE && d.fast[i] !== 1 && !otherMapping(s, i)) out.push({ k: 'map_sg', a: i, b: NONE });
    });
    providerEnabled(s, out);
  },

  apply(s, a, ctx) {
    const d = s.drv;
    const movable = (p: number, v: number) => {
      const fr = s.frames[s.mms[p]!.ptes[v]!.frame]!;
      return fr.refcount === fr.mapcount; // no pin: the page's only references are its mappings
    };
    if (providerApply(s, a, ctx, (i) => p2pGup.onInvalidateStart(s, i, ctx), movable)) return;
    const job = a.a;
    const j = s.jobs[job]!;
    const pte = s.mms[j.proc]!.ptes[j.vpage]!;
    switch (a.k) {
      case 'gup_fast': {
        const { pin } = gupFastStart(s, ctx.cfg, d, job, j.proc, j.vpage, ctx); // pending: map_sg waits for gup_pin's re-check
        d.pin[job] = pin.frame;
        d.pinEpoch[job] = pin.epoch;
        return;
      }
      case 'gup_pin': {
        if (d.fast[job] === 1) {
          // The end of gup_fast: read_seqcount_retry on mm->write_protect_seq (a fork since: the slow path next).
          const pin = gupFastFinish(s, ctx.cfg, d, job, j.proc, d.pin[job]!, ctx);
          d.pin[job] = pin ? pin.frame : NONE;
          d.pinEpoch[job] = pin ? pin.epoch : 0;
          return;
        }
        gupFastClear(d, job);
        if (!pte.mapped) return failIo(s, job, ctx, 'EFAULT', 'pin_user_pages_fast: -EFAULT (the page is not mapped)');
        if (pte.frame === NONE && !swapIn(s, pte)) return failIo(s, job, ctx, 'ENOMEM', 'pin_user_pages_fast: -ENOMEM (swap-in)');
        if (!pte.writable) {
          // A copy-on-write shared anonymous page (the process mapped RAM there after the BAR went): FOLL_PIN
          // unshares it first (gup_must_unshare; FOLL_WRITE breaks COW), as pin-per-job does.
          if (wpReusable(s, pte.frame)) {
            wpReuse(s, pte.frame);
            pte.writable = true; // wp_page_reuse: exclusive already
          }
          else {
            breakCow(s, p2pGup, ctx, j.proc, j.vpage);
            return;
          }
        }
        pinFrame(s, pte.frame, ctx);
        d.pin[job] = pte.frame;
        d.pinEpoch[job] = pte.epoch;
        return;
      }
      case 'map_sg': {
        const f = d.pin[job]!;
        const fr = s.frames[f]!;
        const p2p = fr.kind === 'p2p';
        const forDev = ctx.mutant === 'map-for-other-client' ? THIRD : DEV;
        const addr = ctx.mutant === 'plain-dma-map' ? 'iova' : p2pdmaMapFor(s, ctx.cfg.topology, f, forDev);
        if (addr === null) {
          unpinFrame(s, f, false, ctx);
          d.pin[job] = NONE;
          return failIo(s, job, ctx, 'EIO', 'blk_rq_dma_map_iter_start: -EREMOTEIO (pci_p2pdma_map_type: PCI_P2PDMA_MAP_NOT_SUPPORTED)');
        }
        const consumer = ctx.mutant === 'rxe-consumer' ? 'rxe' : 'nvme';
        ctx.emit({ t: 'sgl_handoff', job, proc: j.proc, vpage: j.vpage, frame: f, consumer, p2p, structPage: true });
        if (consumer === 'rxe') ctx.emit({ t: 'kernel_cpu_access', frame: f, via: 'sg_page', structPage: true, write: j.write });
        setMirror(s, j.proc, j.vpage, f, fr.gen, true, d.pinEpoch[job]!, p2p && ctx.mutant !== 'plain-dma-map', forDev, addr);
        d.mapped[job] = 1;
        j.state = 'ready';
        if (ctx.mutant === 'unpin-before-dma-lands') {
          unpinFrame(s, f, j.write, ctx);
          d.pin[job] = NONE;
        }
        return;
      }
    }
  },

  // The I/O completes: dma_unmap (the PRP dropped unless another I/O of the page holds it), bio_release_pages.
  onFenceSignal(s, job, ctx) {
    const d = s.drv;
    const j = s.jobs[job]!;
    if (d.mapped[job] === 1 && !sharedMapping(s, job)) s.dev.mirror[j.proc]![j.vpage]!.frame = NONE;
    if (d.pin[job] !== NONE) unpinFrame(s, d.pin[job]!, j.write, ctx);
    d.pin[job] = NONE;
    d.mapped[job] = 0;
    gupFastClear(d, job);
  },

  // No notifier: the revoke's unmap and the eviction's invalidation call no callback of this driver.
  onInvalidateStart() {},
});
