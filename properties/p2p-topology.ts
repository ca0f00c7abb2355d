import type { Property } from './types.ts';
import { violation } from './types.ts';
import { DEV } from '../model/types.ts';
import { p2pdmaDistance, peerPath } from '../model/p2p.ts';

/**
 * P2P DMA only where the topology allows it, and only through a P2P-aware mapping: a DMA of the device into
 * another device's memory (a P2PDMA BAR page, or the P2P alias of a DEVICE_PRIVATE page) needs
 * pci_p2pdma_distance to allow that pair, and a mapping made by the P2P-aware path (plain dma_map on a
 * P2P page gives the wrong bus address or an IOMMU fault).
 * Premise: a device reaches memory another device owns or exports (a DMA into it, wherever the exporter
 * placed it, or a fault on its DEVICE_PRIVATE page): without that, the topology is never asked.
 */
export const p2pTopology: Property<null> = {
  id: 'p2p-topology',
  kind: 'always',
  premise: 'sometimes-peer-memory-accessed',
  meaning: 'a DMA reaches another device\'s memory only where the PCIe topology allows P2P between them, and only through a P2P-aware mapping',
  init: () => null,
  check(_m, { view, events }) {
    for (const e of events) {
      if (e.t !== 'dma_land') continue;
      const fr = view.frames[e.frame]!;
      // The device doing the DMA: the one that runs the job (two mirroring devices), else the device under test.
      const by = e.dev ?? DEV;
      if (fr.kind === 'system' || fr.owner === by) continue;
      // An internal interconnect between the two (topology.links) is a path beside PCIe.
      if (peerPath(view.cfg.topology, fr.owner, by) === 'link') continue;
      const d = p2pdmaDistance(view.cfg.topology, fr.owner, by);
      if (d.map === 'not-supported') {
        return violation(this.id, 'topology', `a DMA ${e.write ? 'write' : 'read'} of job ${e.job} for p${e.proc} v${e.vpage} landed in frame ${e.frame}, ${fr.kind} memory of device ${fr.owner}, but the topology${view.cfg.topology ? ` '${view.cfg.topology.name}'` : ''} allows no P2P between the devices`, {
          job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, kind: fr.kind, provider: fr.owner, client: by,
        });
      }
      if (!e.p2p) {
        return violation(this.id, 'mapping', `a DMA ${e.write ? 'write' : 'read'} of job ${e.job} for p${e.proc} v${e.vpage} landed in frame ${e.frame}, ${fr.kind} memory of device ${fr.owner}, through a plain DMA mapping, not a P2P-aware one (${d.map})`, {
          job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, kind: fr.kind, provider: fr.owner, map: d.map,
        });
      }
    }
    return null;
  },
};
