// Scopes and kernel policies, apart from the model (as TLA+ keeps MC*.cfg apart from the spec).
import type { Config, KernelPolicy, Scope } from './types.ts';
import { topoAcsNoForward, topoSwitch } from './p2p.ts';

export const defaultScope: Scope = { procs: 2, vpages: 2, frames: 5, jobs: 2, invalidations: 2, values: 5 };

/** With a peer device: three frames of its VRAM besides system RAM. */
export const p2pScope: Scope = { ...defaultScope, vram: 3 };

/** Today's kernel: pinned pages copied for the child at fork (70e806e4e645); migration and reclaim skip pins. */
export const kernelToday: KernelPolicy = { forkPinned: 'copy-at-fork', migrateFailsPinned: true, reclaimSkipsPinned: true };

/** The 2020-21 kernels: the parent copies on its first write after fork, the pinned page stays with the child. */
export const kernel2021: KernelPolicy = { forkPinned: 'cow-parent', migrateFailsPinned: true, reclaimSkipsPinned: true };

export const configs: readonly Config[] = [
  { name: 'kernel-queue', queue: 'kernel', kernel: kernelToday, scope: defaultScope, oracleBound: 8 },
  { name: 'user-queue', queue: 'user', kernel: kernelToday, scope: defaultScope, oracleBound: 8 },
  { name: 'kernel-queue-fork-2021', queue: 'kernel', kernel: kernel2021, scope: defaultScope, oracleBound: 8 },
  // A peer GPU with VRAM (model/p2p.ts). p2p-switch: NIC and GPU below one switch without ACS redirect,
  // P2P by bus address. p2p-none: the switch redirects P2P upstream (ACS) and the host bridge is not
  // whitelisted, so pci_p2pdma_distance refuses P2P.
  // Process 0's pages map a DAX file (seed 002: the filesystem moves the backing blocks at any time).
  { name: 'dax-file', queue: 'kernel', kernel: kernelToday, scope: defaultScope, oracleBound: 8, dax: 0b11 },
  { name: 'p2p-switch', queue: 'kernel', kernel: kernelToday, scope: p2pScope, oracleBound: 8, topology: topoSwitch },
  { name: 'p2p-none', queue: 'kernel', kernel: kernelToday, scope: p2pScope, oracleBound: 8, topology: topoAcsNoForward },
  // p2p-switch with user-owned queues (an RDMA QP rung by doorbells; a user-mode GPU queue): the kernel
  // sees no submission, and a job's fence signals only when user space says so, so an exporter that waits
  // on the importers' fences waits on user space (dma-buf.rst, "Indefinite DMA Fences").
  { name: 'p2p-switch-user-queue', queue: 'user', kernel: kernelToday, scope: p2pScope, oracleBound: 8, topology: topoSwitch },
];

export function configByName(name: string): Config | undefined {
  return configs.find((c) => c.name === name);
}
