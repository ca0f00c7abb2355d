// Device memory and PCIe peer-to-peer (KERNEL.md §6): the topology decision of pci_p2pdma_distance, the
// peer's VRAM frames (DEVICE_PRIVATE or P2PDMA pages), and the page moves its driver makes. Pure helpers
// that update a state in place, used by the world and by the P2P strategies.
import { DEV, NONE, PEER, THIRD } from './types.ts';
import type { DmaAddr, Frame, FrameKind, PciTopology, Pte, State } from './types.ts';
import type { DriverContext } from './strategy.ts';
import { claimFrame, findFreeFrame, unmapFrame } from './mm.ts';

// ---- Topology ----------------------------------------------------------------------------------------

/** enum pci_p2pdma_map_type, without UNKNOWN. */
export type P2pMapType = 'bus-addr' | 'thru-host-bridge' | 'not-supported';

/** The switches above a device, nearest first (a nested switch's parent after it). */
function switchChain(topo: PciTopology, sw: number): number[] {
  const out: number[] = [];
  for (let k = sw; k !== NONE && k !== undefined && out.length <= topo.switches.length; k = topo.switches[k]!.parent ?? NONE) out.push(k);
  return out;
}

/**
 * pci_p2pdma_distance / calc_map_type_and_dist for `provider` (the device whose memory it is) and `client`
 * (the device doing the DMA). upstream_bridge_distance walks up from both devices to their nearest common
 * upstream bridge (a switch, nested switches included): if one exists and no bridge on either path
 * redirects P2P requests (ACS), the TLPs turn there, by bus address (PCI_P2PDMA_MAP_BUS_ADDR; the distance
 * counts the hops up and down). A path that goes up to the root complex (no common switch, or an ACS
 * redirect on the way) is allowed only through a host bridge known to forward P2P (host_bridge_whitelist:
 * PCI_P2PDMA_MAP_THRU_HOST_BRIDGE), else not at all (PCI_P2PDMA_MAP_NOT_SUPPORTED).
 */
export function p2pdmaDistance(topo: PciTopology | undefined, provider: number, client: number): { map: P2pMapType; dist: number } {
  if (provider === client) return { map: 'bus-addr', dist: 0 };
  if (!topo) return { map: 'not-supported', dist: -1 };
  const a = topo.devices[provider];
  const b = topo.devices[client];
  if (!a || !b) return { map: 'not-supported', dist: -1 };
  const up = (d: { rootPort: number; switch: number }) => (d.switch === NONE ? [] : switchChain(topo, d.switch));
  const ca = up(a);
  const cb = up(b);
  const common = a.rootPort === b.rootPort ? ca.find((k) => cb.includes(k)) : undefined;
  if (common !== undefined) {
    // The bridges below the common one on either path (and the common switch's own downstream ports).
    const ia = ca.indexOf(common);
    const ib = cb.indexOf(common);
    const onPath = [...ca.slice(0, ia + 1), ...cb.slice(0, ib + 1)];
    if (!onPath.some((k) => topo.switches[k]!.acsRedirect)) return { map: 'bus-addr', dist: ia + 1 + ib + 1 };
    // ACS P2P Request Redirect sends the TLPs to the root complex.
    return topo.hostBridgeForwards ? { map: 'thru-host-bridge', dist: ca.length + cb.length + 2 } : { map: 'not-supported', dist: -1 };
  }
  return topo.hostBridgeForwards ? { map: 'thru-host-bridge', dist: ca.length + cb.length + 2 } : { map: 'not-supported', dist: -1 };
}

/** Do `x` and `y` share an internal interconnect (xGMI, NVLink) in this topology? */
export function linked(topo: PciTopology | undefined, x: number, y: number): boolean {
  return (topo?.links ?? []).some(([p, q]) => (p === x && q === y) || (p === y && q === x));
}

/** How `client` reaches `provider`'s memory: over their own link, else as pci_p2pdma_map_type says. */
export type PeerPath = P2pMapType | 'link';

export function peerPath(topo: PciTopology | undefined, provider: number, client: number): PeerPath {
  if (provider !== client && linked(topo, provider, client)) return 'link';
  return p2pdmaDistance(topo, provider, client).map;
}

/**
 * The kind of DMA address device `client` needs for a frame of kind `kind` owned by `owner` (NONE: the
 * core mm's RAM), or null where it cannot reach it at all: system RAM and its own memory by IOVA (the
 * DMA API), another device's BAR by bus address through a common switch, by IOVA through a host bridge
 * that forwards P2P (iommu_dma_map_sg maps THRU_HOST_BRIDGE segments as CPU physical addresses), by the
 * link's address over an internal interconnect.
 */
export function dmaAddrNeeded(topo: PciTopology | undefined, kind: FrameKind, owner: number, client: number): DmaAddr | null {
  if (kind === 'system' || owner === NONE || owner === client) return 'iova';
  switch (peerPath(topo, owner, client)) {
    case 'link':
      return 'link';
    case 'bus-addr':
      return 'bus-addr';
    case 'thru-host-bridge':
      return 'iova';
    case 'not-supported':
      return null;
  }
}

/**
 * pci_p2pdma_map_sg / dma_map_sgtable(dev, ...) for one entry: the address the DMA API gives a mapping
 * made for `dev` (the `struct device` passed in), or null when pci_p2pdma_state says
 * PCI_P2PDMA_MAP_NOT_SUPPORTED (the map fails with -EREMOTEIO), which it says over an internal link too.
 */
export function p2pdmaMapFor(s: State, topo: PciTopology | undefined, frame: number, dev: number): DmaAddr | null {
  const fr = s.frames[frame]!;
  // The PCI P2P layer knows PCIe only: an internal link is invisible to it (seed 001, Christian König).
  const pciOnly = topo && topo.links ? { ...topo, links: [] } : topo;
  return dmaAddrNeeded(pciOnly, fr.kind, fr.owner, dev);
}

/**
 * What the provider's own driver can map for `dev` (the RFC's vma->vm_ops->p2p_map is the exporting
 * driver's callback): the PCI P2P layer's answer, or an address on its own link where it has one.
 */
export function providerMapFor(s: State, topo: PciTopology | undefined, frame: number, dev: number): DmaAddr | null {
  const fr = s.frames[frame]!;
  return dmaAddrNeeded(topo, fr.kind, fr.owner, dev);
}

/** May `client` DMA to `provider`'s memory at all? */
export function p2pPossible(topo: PciTopology | undefined, provider: number, client: number): boolean {
  return peerPath(topo, provider, client) !== 'not-supported';
}

/** NIC and GPU below one switch whose ports do not redirect: P2P by bus address. */
export const topoSwitch: PciTopology = {
  name: 'switch',
  switches: [{ rootPort: 0, acsRedirect: false }],
  devices: [{ rootPort: 0, switch: 0 }, { rootPort: 0, switch: 0 }],
  hostBridgeForwards: false,
};

/** One switch, but its ports redirect P2P upstream (ACS), and the host bridge is not whitelisted: no P2P. */
export const topoAcsNoForward: PciTopology = {
  name: 'switch-acs',
  switches: [{ rootPort: 0, acsRedirect: true }],
  devices: [{ rootPort: 0, switch: 0 }, { rootPort: 0, switch: 0 }],
  hostBridgeForwards: false,
};

/** NIC and GPU on different root ports of a host bridge that forwards P2P (whitelisted). */
export const topoHostBridge: PciTopology = {
  name: 'host-bridge',
  switches: [],
  devices: [{ rootPort: 0, switch: NONE }, { rootPort: 1, switch: NONE }],
  hostBridgeForwards: true,
};

/** Different root ports, host bridge not whitelisted: no P2P. */
export const topoRootPorts: PciTopology = {
  name: 'root-ports',
  switches: [],
  devices: [{ rootPort: 0, switch: NONE }, { rootPort: 1, switch: NONE }],
  hostBridgeForwards: false,
};

/**
 * Three devices (seed 001: "A and B can talk directly to each other, but not with C"): the provider B (PEER)
 * below switch 0, A (THIRD) below switch 1 nested under switch 0, both on root port 0, so A and B talk by
 * bus address through the nested switches; the device under test C (DEV) is on root port 1 of a host
 * bridge not in the whitelist, so it reaches neither.
 */
export const topoThree: PciTopology = {
  name: 'three-devices',
  switches: [{ rootPort: 0, acsRedirect: false }, { rootPort: 0, acsRedirect: false, parent: 0 }],
  devices: [{ rootPort: 1, switch: NONE }, { rootPort: 0, switch: 0 }, { rootPort: 0, switch: 1 }],
  hostBridgeForwards: false,
};

/**
 * Two GPUs joined by an internal interconnect (xGMI), each on its own root port of a host bridge not in
 * the whitelist: over PCIe they cannot talk, over the link they can (seed 001, 1a).
 */
export const topoLink: PciTopology = {
  name: 'xgmi-link',
  switches: [],
  devices: [{ rootPort: 0, switch: NONE }, { rootPort: 1, switch: NONE }, { rootPort: 2, switch: NONE }],
  hostBridgeForwards: false,
  links: [[DEV, PEER]],
};

// ---- Frames ------------------------------------------------------------------------------------------

export const isVram = (fr: Frame): boolean => fr.kind !== 'system';

/** A page the core mm owns (anonymous, on the LRU): migration, reclaim and fork may touch it. */
export const coreMmPage = (fr: Frame): boolean => fr.owner === NONE && fr.kind === 'system';

/**
 * A page of a driver's buffer mapped into the process (a GPU object or dma-buf mmap: VM_IO | VM_PFNMAP):
 * its VRAM (p2p) pages, or system pages it placed the buffer in. Device-private pages are anonymous
 * memory (they were migrated there) and are not buffer pages.
 */
export const bufferPage = (fr: Frame): boolean => fr.owner !== NONE && fr.kind !== 'device-private';

/** Can the CPU touch the page this PTE maps without the owner's help? Not a device-private page, not locked. */
export function cpuCanTouch(s: State, pte: Pte): boolean {
  if (pte.frame === NONE) return true;
  const fr = s.frames[pte.frame]!;
  return fr.kind !== 'device-private' && !fr.locked;
}

/** Is the frame `pte` maps locked by a move in progress? */
export function pteLocked(s: State, pte: Pte): boolean {
  return pte.frame !== NONE && s.frames[pte.frame]!.locked;
}

/** Allocate a free VRAM frame of the peer as `kind` (the peer's own allocator), holding `value`, unmapped. */
export function vramAlloc(s: State, kind: FrameKind, value: number): number {
  for (let f = 0; f < s.frames.length; f++) {
    const fr = s.frames[f]!;
    if (fr.free && fr.owner === PEER && fr.kind !== 'system') {
      claimFrame(fr, PEER, 0, value);
      fr.kind = kind;
      return f;
    }
  }
  return NONE;
}

/** Allocate a system-RAM frame for `owner` (NONE: an anonymous page), holding `value`, unmapped. */
export function ramAlloc(s: State, owner: number, value: number): number {
  const f = findFreeFrame(s);
  if (f === NONE) return NONE;
  claimFrame(s.frames[f]!, owner, 0, value);
  return f;
}

/** A free VRAM frame exists. */
export function vramFree(s: State): boolean {
  return s.frames.some((fr) => fr.free && fr.owner === PEER && fr.kind !== 'system');
}

/**
 * Point (proc, vpage)'s PTE at `to` (allocated, unmapped, holding one reference: the one the mapping
 * takes over) and drop the mapping's reference to the old frame (freed if that was the last).
 */
export function switchPte(s: State, proc: number, vpage: number, to: number, ctx: DriverContext): void {
  const pte = s.mms[proc]!.ptes[vpage]!;
  const from = pte.frame;
  s.frames[to]!.mapcount = 1;
  pte.frame = to;
  pte.writable = true;
  if (from !== NONE) unmapFrame(s, from);
  ctx.emit({ t: 'peer_move', proc, vpage, from, to });
}

/**
 * The process starts with its pages in the peer's VRAM: a GPU buffer mapped into it (the setup of the
 * PeerDirect and DMA-BUF designs). Frees the system pages the world gave it.
 */
export function placeInVram(s: State, proc: number, kind: FrameKind): void {
  const mm = s.mms[proc]!;
  for (const pte of mm.ptes) {
    if (!pte.mapped || pte.frame === NONE) continue;
    const old = pte.frame;
    const f = vramAlloc(s, kind, s.frames[old]!.value);
    if (f === NONE) continue;
    s.frames[f]!.mapcount = 1;
    pte.frame = f;
    unmapFrame(s, old);
  }
}

/** The world's half of an invalidation of cause 'peer-move' (after every callback returned): the GPU
 * driver moves the page to another VRAM frame, or evicts it to system RAM if VRAM is full. */
export function finishPeerMove(s: State, proc: number, vpage: number, ctx: DriverContext): boolean {
  const pte = s.mms[proc]!.ptes[vpage]!;
  if (pte.frame === NONE) return false;
  const old = s.frames[pte.frame]!;
  let to = vramAlloc(s, old.kind === 'system' ? 'p2p' : old.kind, old.value);
  if (to === NONE) to = ramAlloc(s, PEER, old.value);
  if (to === NONE) return false;
  switchPte(s, proc, vpage, to, ctx);
  return true;
}

/** The world's half of an invalidation of cause 'device-migrate' (migrate_vma_collect + unmap): the
 * pages are locked and their CPU PTEs become migration entries (CPU faults wait). */
export function collectForMigration(s: State, proc: number, vpage: number): boolean {
  const pte = s.mms[proc]!.ptes[vpage]!;
  if (pte.frame === NONE) return false;
  s.frames[pte.frame]!.locked = true;
  return true;
}

export { DEV, PEER, THIRD };
