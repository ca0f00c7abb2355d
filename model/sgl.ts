// Scatterlists and their consumers (seed 004): which kernel code takes a scatterlist whose entries are
// P2PDMA pages, or bus addresses with no struct page at all, and which code assumes every entry is RAM
// the CPU can reach through the kernel's mapping (sg_page, sg_virt, sg_copy_buffer).
//
// "We ended up with a 'sgl' that is not really a sgl ... sg_copy_buffer doesn't work, dma_map doesn't
// work, sg_page doesn't work quite right, etc. Only nvme and rdma got the special hacks ... some of the
// RDMA drivers that want access to CPU addresses from the SGL (rxe, usnic, hfi, qib)" (Jason Gunthorpe).
import type { SglConsumer } from './events.ts';

export interface ConsumerInfo {
  /** Takes P2P entries: maps them with the P2P-aware path and never touches them with the CPU. */
  p2pAware: boolean;
  /** The kernel code it stands for. */
  models: string;
}

export const sglConsumers: Readonly<Record<SglConsumer, ConsumerInfo>> = {
  // nvme_map_data -> blk_rq_dma_map_iter_start: pci_p2pdma_state per segment, bus addresses for
  // PCI_P2PDMA_MAP_BUS_ADDR; the queue advertises BLK_FEAT_PCI_P2PDMA.
  nvme: { p2pAware: true, models: 'drivers/nvme/host/pci.c: nvme_map_data with blk_rq_dma_map (P2PDMA segments by pci_p2pdma_state)' },
  // ib_dma_map_sgtable_attrs -> dma_map_sgtable, which handles P2PDMA pages (rdma_rw_ctx_init's p2p path).
  'rdma-p2pdma': { p2pAware: true, models: 'drivers/infiniband/core/rw.c: rdma_rw_ctx_init -> ib_dma_map_sgtable_attrs (P2PDMA-aware dma_map_sgtable)' },
  // rxe has no DMA engine: rxe_mr_copy_xarray copies with memcpy through kmap_local_page of each page
  // (rxe_mr_fill_pages_from_sgt stores sg_page()).
  rxe: { p2pAware: false, models: 'drivers/infiniband/sw/rxe/rxe_mr.c: rxe_mr_copy -> kmap_local_page(sg_page) + memcpy (a CPU copy, no DMA)' },
};

/** May a scatterlist entry of this kind go to this consumer? A P2P entry only to a P2P-aware one. */
export function consumerTakes(consumer: SglConsumer, p2p: boolean): boolean {
  return !p2p || sglConsumers[consumer].p2pAware;
}
