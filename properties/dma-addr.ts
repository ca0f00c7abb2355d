import type { Property } from './types.ts';
import { violation } from './types.ts';
import { DEV } from '../model/types.ts';
import { dmaAddrNeeded } from '../model/p2p.ts';

/**
 * A device uses only a DMA address mapped for itself, of the kind its path to the memory needs (seed 001:
 * "you need to know the device which does DMA for an address to make sense"; Jason: "The device can DMA
 * map that P2P for its own use to get a topologically appropriate DMA address"). At every landing DMA:
 * the address was mapped for the device doing the DMA (`other-device`), and its kind is the one
 * pci_p2pdma_map_type's path gives (model/p2p.ts dmaAddrNeeded): an IOVA for RAM or through a host bridge,
 * a bus address through a common switch, the link's address over an internal interconnect (`kind`). An
 * address made by the P2P-aware path without saying its kind (`p2pdma`) is of the right kind wherever a
 * path exists; where none exists `p2p-topology` judges.
 * Premise: a DMA lands.
 */
export const dmaAddrForDevice: Property<null> = {
  id: 'dma-addr-for-device',
  kind: 'always',
  premise: 'sometimes-dma-landed',
  meaning: 'a device DMAs only through an address mapped for itself, of the kind its path to the memory needs (IOVA, bus address, or an interconnect\'s)',
  init: () => null,
  check(_m, { view, events }) {
    for (const e of events) {
      if (e.t !== 'dma_land') continue;
      const fr = view.frames[e.frame]!;
      const dev = e.dmaDev ?? DEV;
      const addr = e.dmaAddr ?? (e.p2p ? 'p2pdma' : 'iova');
      // The device doing the DMA: the one that runs the job (two mirroring devices), else the device under test.
      const by = e.dev ?? DEV;
      if (dev !== by) {
        return violation(this.id, 'other-device', `a DMA ${e.write ? 'write' : 'read'} of job ${e.job} by device ${by} for p${e.proc} v${e.vpage} used an address (${addr}) mapped for device ${dev}: it names frame ${e.frame} only on device ${dev}'s path`, {
          job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, device: by, mappedFor: dev, addr,
        });
      }
      const need = dmaAddrNeeded(view.cfg.topology, fr.kind, fr.owner, by);
      if (need === null || addr === 'p2pdma') continue;
      if (addr !== need) {
        return violation(this.id, 'kind', `a DMA ${e.write ? 'write' : 'read'} of job ${e.job} for p${e.proc} v${e.vpage} into frame ${e.frame} (${fr.kind} memory of device ${fr.owner}) used a ${addr} address, but the path from device ${by} needs a ${need} address`, {
          job: e.job, proc: e.proc, vpage: e.vpage, frame: e.frame, addr, need, owner: fr.owner,
        });
      }
    }
    return null;
  },
};
