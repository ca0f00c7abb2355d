// Every property, in table order.
import type { Property } from './types.ts';
import { noDmaAfterFree } from './no-dma-after-free.ts';
import { coherentDma } from './coherent-dma.ts';
import { noLostWrite } from './no-lost-write.ts';
import { isolation } from './isolation.ts';
import { noFatalDeviceFault } from './no-fatal-device-fault.ts';
import { pinsBalanced } from './pins-balanced.ts';
import { notifierBookkeeping } from './notifier-bookkeeping.ts';
import { boundedNotifier } from './bounded-notifier.ts';
import { p2pTopology } from './p2p-topology.ts';
import { nonblockingInvalidate } from './nonblocking-invalidate.ts';
import { noDeadlock } from './no-deadlock.ts';
import { migratable } from './migratable.ts';
import { transparent } from './transparent.ts';
import { oomReclaimable } from './oom-reclaimable.ts';
import { witnesses } from './witnesses.ts';
import { dmaAddrForDevice } from './dma-addr.ts';
import { noCpuAccessToBar, p2pSglConsumer } from './sgl.ts';
import { noCollateralLoss } from './no-collateral-loss.ts';
import { respectsProtection } from './respects-protection.ts';
import { movableOfflinable } from './movable-offlinable.ts';
import { noHungTask } from './hung-task.ts';
import { noKernelUseAfterFree } from './no-kernel-use-after-free.ts';

/** Capabilities (what a design gives up, `capability: true`): columns of the table too, after the liveness ones. */
export const capabilityProperties: readonly Property<any>[] = [migratable, transparent, oomReclaimable, noCollateralLoss, movableOfflinable];

/** Safety (always) and bounded liveness (eventually): the columns of the verdict table. */
export const verdictProperties: readonly Property<any>[] = [
  noDmaAfterFree,
  coherentDma,
  noLostWrite,
  isolation,
  noFatalDeviceFault,
  pinsBalanced,
  notifierBookkeeping,
  boundedNotifier,
  noDeadlock,
  nonblockingInvalidate,
  ...capabilityProperties,
  p2pTopology,
  dmaAddrForDevice,
  p2pSglConsumer,
  noCpuAccessToBar,
  respectsProtection,
  noKernelUseAfterFree,
  noHungTask,
];

/**
 * Properties checked only when asked for (`--property`, prove, the API), not columns of the matrix: none
 * today. (no-hung-task was one until its oracle questions were made cheap: one per pending task, the
 * system calls' asked with user space's completions, which the dives answer at once.)
 */
export const optInProperties: readonly Property<any>[] = [];

/** What a check runs unless told otherwise: the verdict properties and their witnesses. */
export const allProperties: readonly Property<any>[] = [...verdictProperties, ...witnesses];

/** Every property by its id, the opt-in ones too (`--property no-hung-task`). */
export function propertyById(id: string): Property<any> | undefined {
  return allProperties.find((p) => p.id === id) ?? optInProperties.find((p) => p.id === id);
}

export { witnesses };
export type { Property, Violation, View, Oracle, CheckContext, PropertyKind } from './types.ts';
