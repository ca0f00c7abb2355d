import type { Property } from './types.ts';
import { violation } from './types.ts';
import { consumerTakes, sglConsumers } from '../model/sgl.ts';

/**
 * A P2P page is never handed to a consumer that cannot take it (seed 004): a scatterlist entry that is a
 * P2PDMA page (or a bus address with no page) goes only to a consumer whose mapping path knows P2P
 * (model/sgl.ts: NVMe, RDMA's p2pdma path), never to one that reads CPU addresses from the SGL (rxe).
 * Premise: a scatterlist with a P2P entry is handed to a consumer.
 */
export const p2pSglConsumer: Property<null> = {
  id: 'p2p-sgl-consumer',
  kind: 'always',
  premise: 'sometimes-peer-memory-sgl',
  meaning: 'a scatterlist entry for P2P memory is handed only to a consumer that takes P2P entries (NVMe, RDMA\'s p2pdma path), never to one that uses the CPU address (rxe)',
  init: () => null,
  check(_m, { events }) {
    for (const e of events) {
      if (e.t !== 'sgl_handoff' || consumerTakes(e.consumer, e.p2p)) continue;
      return violation(this.id, 'consumer', `the scatterlist entry for p${e.proc} v${e.vpage} (frame ${e.frame}, a P2P entry${e.structPage ? '' : ' with no struct page'}) was handed to ${e.consumer}, which does not take P2P entries (${sglConsumers[e.consumer].models})`, {
        job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, consumer: e.consumer, structPage: e.structPage,
      });
    }
    return null;
  },
};

/**
 * No CPU access is made to BAR memory through a kernel mapping that cannot reach it: kernel code that
 * touches a scatterlist entry with the CPU (sg_virt, kmap_local_page(sg_page), sg_copy_buffer) does so only
 * on RAM. A P2PDMA page is MMIO (its kernel address is iomem: memcpy on it is not a valid access, and
 * on several architectures it faults: `iomem` clause); an entry with no struct page has no kernel mapping
 * at all (sg_page is garbage: `no-page`); a DEVICE_PRIVATE page is not CPU-addressable (`private`).
 * Premise: a scatterlist with a P2P entry is handed to a consumer.
 */
export const noCpuAccessToBar: Property<null> = {
  id: 'no-cpu-access-to-bar',
  kind: 'always',
  premise: 'sometimes-peer-memory-sgl',
  meaning: 'kernel code touches scatterlist memory with the CPU (sg_virt, sg_page, sg_copy_buffer) only where its kernel mapping reaches it as RAM, never in a device\'s BAR',
  init: () => null,
  check(_m, { view, events }) {
    for (const e of events) {
      if (e.t !== 'kernel_cpu_access') continue;
      const fr = view.frames[e.frame]!;
      if (!e.structPage) {
        return violation(this.id, 'no-page', `kernel code ${e.write ? 'wrote' : 'read'} frame ${e.frame} through ${e.via} of a scatterlist entry that has no struct page (a bus address): there is no kernel mapping to reach it`, {
          frame: e.frame, via: e.via, kind: fr.kind, owner: fr.owner,
        });
      }
      if (fr.kind === 'p2p') {
        return violation(this.id, 'iomem', `kernel code ${e.write ? 'wrote' : 'read'} frame ${e.frame}, BAR memory of device ${fr.owner}, with the CPU through ${e.via}: its kernel address is MMIO, not memory (memcpy_fromio/toio only)`, {
          frame: e.frame, via: e.via, kind: fr.kind, owner: fr.owner,
        });
      }
      if (fr.kind === 'device-private') {
        return violation(this.id, 'private', `kernel code ${e.write ? 'wrote' : 'read'} frame ${e.frame}, DEVICE_PRIVATE memory of device ${fr.owner}, through ${e.via}: the CPU cannot address it`, {
          frame: e.frame, via: e.via, kind: fr.kind, owner: fr.owner,
        });
      }
    }
    return null;
  },
};
