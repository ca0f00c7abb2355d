// P2P memory mapped into user space (seed 004) by hand: today's kernel (p2p-gup: struct pages, a pin per
// I/O with FOLL_PCI_P2PDMA) and the RFC (p2p-vma-map: p2p_map/p2p_unmap), the provider's revoke while an
// importer's DMA is in flight, DMA addresses per device and path, three devices, scatterlist consumers.
import { describe, it, expect } from 'vitest';
import { init, stepInPlace, enabled, sameAction } from '../model/model.ts';
import type { Model } from '../model/model.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import { DEV, NONE, PEER, THIRD } from '../model/types.ts';
import { configByName } from '../model/configs.ts';
import { dmaAddrNeeded, p2pdmaDistance, peerPath, topoHostBridge, topoLink, topoSwitch, topoThree } from '../model/p2p.ts';
import { consumerTakes } from '../model/sgl.ts';
import { allProperties, propertyById } from '../properties/index.ts';
import { runActions } from '../src/run.ts';
import { checkModel } from '../src/check.ts';
import { makeModel } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { act, model } from './helpers.ts';

function run(m: Model, actions: readonly Action[]): { s: State; events: ModelEvent[] } {
  const s = init(m);
  const events: ModelEvent[] = [];
  actions.forEach((a, i) => {
    expect(enabled(m, s).some((e) => sameAction(e, a)), `step ${i} ${a.k}(${a.a},${a.b}) enabled`).toBe(true);
    events.push(...stepInPlace(m, s, a));
  });
  return { s, events };
}
const can = (m: Model, s: State, a: Action) => enabled(m, s).some((e) => sameAction(e, a));
function clean(m: Model, actions: readonly Action[]): void {
  const r = runActions(m, actions, allProperties);
  expect(r.notEnabled).toBeNull();
  expect(r.violation).toBeNull();
}

describe('topologies: nested switches, the host bridge, three devices, an internal link', () => {
  it('pci_p2pdma_distance walks up nested switches to the common one', () => {
    expect(p2pdmaDistance(topoThree, PEER, THIRD)).toEqual({ map: 'bus-addr', dist: 3 });
    expect(p2pdmaDistance(topoThree, PEER, DEV).map).toBe('not-supported');
    expect(p2pdmaDistance(topoThree, THIRD, DEV).map).toBe('not-supported');
    // An ACS redirect on the nested switch sends the TLPs up: refused without a whitelisted host bridge.
    const acs = { ...topoThree, switches: [topoThree.switches[0]!, { ...topoThree.switches[1]!, acsRedirect: true }] };
    expect(p2pdmaDistance(acs, PEER, THIRD).map).toBe('not-supported');
    expect(p2pdmaDistance({ ...acs, hostBridgeForwards: true }, PEER, THIRD).map).toBe('thru-host-bridge');
  });

  it('A and B can talk, C cannot: the three-device config', () => {
    const t = configByName('p2p-three')!.topology;
    expect(peerPath(t, PEER, THIRD)).toBe('bus-addr');
    expect(peerPath(t, PEER, DEV)).toBe('not-supported');
  });

  it('an internal interconnect is a path beside PCIe, with its own kind of address', () => {
    expect(p2pdmaDistance(topoLink, PEER, DEV).map).toBe('not-supported');
    expect(peerPath(topoLink, PEER, DEV)).toBe('link');
    expect(peerPath(topoLink, PEER, THIRD)).toBe('not-supported');
    expect(dmaAddrNeeded(topoLink, 'p2p', PEER, DEV)).toBe('link');
  });

  it('the address kind follows the path: bus address through a switch, IOVA through the host bridge or for RAM, none without a path', () => {
    expect(dmaAddrNeeded(topoSwitch, 'p2p', PEER, DEV)).toBe('bus-addr');
    expect(dmaAddrNeeded(topoHostBridge, 'p2p', PEER, DEV)).toBe('iova');
    expect(dmaAddrNeeded(topoThree, 'p2p', PEER, DEV)).toBeNull();
    expect(dmaAddrNeeded(topoThree, 'system', NONE, DEV)).toBe('iova');
  });
});

describe('p2p-gup', () => {
  const io = [act('submit_write', 0, 0), act('gup_fast', 0), act('gup_pin', 0), act('map_sg', 0)];

  it('pins the BAR page with FOLL_PCI_P2PDMA and maps it by topology: a bus address through the switch, an IOVA through the host bridge', () => {
    for (const [cfg, addr] of [['p2p-switch', 'bus-addr'], ['p2p-host-bridge', 'iova']] as const) {
      const m = model('p2p-gup', cfg);
      const { s, events } = run(m, [...io, act('dma_start', 0), act('dma_land', 0)]);
      const f = s.mms[0]!.ptes[0]!.frame;
      expect(s.frames[f]!.kind).toBe('p2p');
      expect(s.frames[f]!.pincount).toBe(1);
      expect(events.find((e) => e.t === 'dma_land')).toMatchObject({ frame: f, p2p: true, dmaDev: DEV, dmaAddr: addr });
      expect(events.some((e) => e.t === 'sgl_handoff' && e.consumer === 'nvme' && e.p2p)).toBe(true);
    }
  });

  it('refuses a long-term pin (no registration), and fails the I/O with -EREMOTEIO where no path exists', () => {
    const m = model('p2p-gup', 'p2p-three');
    expect(can(m, init(m), act('register', 0))).toBe(false);
    const { s, events } = run(m, io);
    expect(s.jobs[0]!.state).toBe('failed');
    expect(events.some((e) => e.t === 'job_error' && e.errno === 'EIO')).toBe(true);
    expect(s.frames.every((fr) => fr.pincount === 0)).toBe(true);
  });

  it('a revoke while the DMA is in flight: the user mapping goes at once, the BAR only once the I/O unpinned it', () => {
    const m = model('p2p-gup', 'p2p-switch');
    const steps = [...io, act('dma_start', 0), act('p2p_unbind'), act('invalidate_end', 0)];
    const { s, events } = run(m, steps);
    expect(events.some((e) => e.t === 'provider_revoke' && e.phase === 'begin' && e.inUse)).toBe(true);
    expect(s.mms[0]!.ptes[0]!.mapped).toBe(false);
    expect(can(m, s, act('p2p_release'))).toBe(false); // memunmap_pages waits for the pin
    const rest = [...steps, act('dma_land', 0), act('job_complete', 0), act('p2p_release')];
    const after = run(m, rest);
    expect(after.events.some((e) => e.t === 'provider_revoke' && e.phase === 'released')).toBe(true);
    const r = runActions(m, rest, [propertyById('no-dma-after-free')!, propertyById('pins-balanced')!, propertyById('dma-addr-for-device')!]);
    expect(r.violation).toBeNull();
  });

  it('the provider cannot move a pinned page: the eviction is refused until the I/O completes', () => {
    const m = model('p2p-gup', 'p2p-switch');
    const { s } = run(m, io);
    const f = s.mms[0]!.ptes[0]!.frame;
    expect(stepInPlace(m, s, act('p2p_evict', 0, 0))).toEqual([{ t: 'move_refused', proc: 0, vpage: 0, frame: f, mechanism: 'vram-move', by: 'pin' }]);
    clean(m, [...io, act('dma_start', 0), act('dma_land', 0), act('job_complete', 0), act('p2p_evict', 0, 0), act('invalidate_end', 0)]);
  });

  it('map-for-other-client is killed by dma-addr-for-device, in a short counterexample', () => {
    const s = strategyByName('p2p-gup')!;
    const r = checkModel(makeModel(s, configByName('p2p-switch')!, 'map-for-other-client'), [propertyById('dma-addr-for-device')!], { runs: 300, maxCommands: 40, seed: 1 }, true);
    expect(r.failures[0]?.property).toBe('dma-addr-for-device');
    expect(r.failures[0]!.actions.length).toBeLessThanOrEqual(10);
  });
});

describe('p2p-vma-map', () => {
  const fault = [act('register', 0), act('submit_write', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0)];

  it('p2p_map gives the NIC an SGL of bus addresses mapped for itself, with no struct page', () => {
    const m = model('p2p-vma-map', 'p2p-switch');
    const { events } = run(m, [...fault, act('dma_start', 0), act('dma_land', 0)]);
    expect(events.some((e) => e.t === 'sgl_handoff' && e.p2p && !e.structPage && e.consumer === 'rdma-p2pdma')).toBe(true);
    expect(events.find((e) => e.t === 'dma_land')).toMatchObject({ dmaDev: DEV, dmaAddr: 'bus-addr', p2p: true });
  });

  it('a revoke while the DMA is in flight: the callback waits for the HCA to drain, then p2p_unmap; the next access fails, the BAR is released', () => {
    const m = model('p2p-vma-map', 'p2p-switch');
    const steps = [...fault, act('dma_start', 0), act('p2p_unbind'), act('vm_inv_lock', 0), act('vm_inv_zap', 0)];
    const { s } = run(m, steps);
    expect(can(m, s, act('vm_inv_unmap', 0))).toBe(false);
    const rest = [...steps, act('dma_land', 0), act('vm_inv_unmap', 0), act('invalidate_end', 0), act('p2p_release'), act('job_complete', 0)];
    const after = run(m, rest);
    expect(after.s.mms[0]!.ptes.every((pte) => !pte.mapped)).toBe(true);
    expect(after.events.some((e) => e.t === 'provider_revoke' && e.phase === 'released')).toBe(true);
    clean(m, rest);
  });

  it('follows an eviction with no error: the next access faults and p2p_map maps the new place', () => {
    const m = model('p2p-vma-map', 'p2p-switch');
    const steps = [...fault, act('dma_start', 0), act('dma_land', 0), act('job_complete', 0), act('p2p_evict', 0, 0), act('vm_inv_lock', 0), act('vm_inv_zap', 0), act('vm_inv_unmap', 0), act('invalidate_end', 0),
      act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dma_start', 0), act('dma_land', 0)];
    const { events } = run(m, steps);
    const [w, r] = events.filter((e) => e.t === 'dma_land');
    expect(r!.t === 'dma_land' && w!.t === 'dma_land' && r.value === w.value && r.frame !== w.frame).toBe(true);
    clean(m, steps);
  });
});

describe('an internal interconnect (p2p-link)', () => {
  it('the PCI P2P layer refuses what the link allows: p2p-gup\'s I/O fails, the RFC\'s p2p_map (the provider\'s own driver) gives a link address', () => {
    const gup = model('p2p-gup', 'p2p-link');
    const g = run(gup, [act('submit', 0, 0), act('gup_fast', 0), act('gup_pin', 0), act('map_sg', 0)]);
    expect(g.s.jobs[0]!.state).toBe('failed');
    const vma = model('p2p-vma-map', 'p2p-link');
    const steps = [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dma_start', 0), act('dma_land', 0)];
    const v = run(vma, steps);
    expect(v.events.find((e) => e.t === 'dma_land')).toMatchObject({ dmaDev: DEV, dmaAddr: 'link', p2p: true });
    clean(vma, steps);
  });
});

describe('peerdirect-kill', () => {
  it('kills the process on a move: its user space stops, the DMA in flight lands before the callback returns, then it exits through exit_mmap and the file\'s release', () => {
    const m = model('peerdirect-kill', 'p2p-switch');
    const steps = [act('register', 0), act('submit', 0, 1), act('dma_start', 0), act('gpu_move', 0, 0), act('pd_kill', 0)];
    const { s, events } = run(m, steps);
    expect(s.mms[0]!.killed).toBe(true);
    expect(s.mms[0]!.exiting).toBe(true); // SIGKILL: do_exit -> exit_mm -> mmput
    expect(events.some((e) => e.t === 'exit' && e.proc === 0 && e.phase === 'do_exit')).toBe(true);
    expect(enabled(m, s).some((a) => ['cpu_read', 'cpu_write', 'submit', 'submit_write', 'deregister', 'gpu_free'].includes(a.k) && a.a === 0)).toBe(false);
    expect(can(m, s, act('pd_drain', 0))).toBe(false);
    // exit_mmap waits for the callback in progress (the HCA still has a DMA in flight).
    expect(can(m, s, act('exit_mmap', 0))).toBe(false);
    const rest = [...steps, act('dma_land', 0), act('pd_drain', 0), act('invalidate_end', 0), act('exit_mmap', 0), act('invalidate_end', 0)];
    const after = run(m, rest);
    expect(after.events.some((e) => e.t === 'invalidate_start' && e.cause === 'exit')).toBe(true);
    expect(after.s.mms[0]!.alive).toBe(false); // the mm is dead: no zombie
    expect(after.s.mms[0]!.ptes.every((pte) => !pte.mapped)).toBe(true);
    // exit_files: the uverbs file's release destroyed the QP; the MR goes once the QP drained.
    expect(after.s.regs[0]!.closing).toBe(true);
    const done = [...rest, act('job_complete', 0), act('dereg_finish', 0)];
    expect(run(m, done).s.regs[0]!.live).toBe(false);
    clean(m, done);
  });

  it('the exit\'s unmap of the GPU buffer calls the peer-memory client as a free does: revoked and drained, it returns at once', () => {
    const m = model('peerdirect-kill', 'p2p-switch');
    const steps = [act('register', 0), act('gpu_move', 0, 0), act('pd_kill', 0), act('pd_drain', 0), act('invalidate_end', 0), act('exit_mmap', 0)];
    const { s, events } = run(m, steps);
    expect(events.some((e) => e.t === 'invalidate_start' && e.cause === 'exit' && e.callbacks === 1)).toBe(true);
    expect(s.invs.some((inv) => inv.live && inv.cause === 'exit' && inv.cb[0] !== 0)).toBe(true);
    expect(can(m, s, act('invalidate_end', 0))).toBe(true);
    clean(m, [...steps, act('invalidate_end', 0)]);
  });
});

describe('scatterlist consumers', () => {
  it('NVMe and RDMA\'s p2pdma path take P2P entries; rxe does not', () => {
    expect(consumerTakes('nvme', true)).toBe(true);
    expect(consumerTakes('rdma-p2pdma', true)).toBe(true);
    expect(consumerTakes('rxe', true)).toBe(false);
    expect(consumerTakes('rxe', false)).toBe(true);
  });

  it('an rxe consumer of a P2P SGL breaks both scatterlist properties at the hand-off', () => {
    const m = makeModel(strategyByName('p2p-gup')!, configByName('p2p-switch')!, 'rxe-consumer');
    const steps = [act('submit', 0, 0), act('gup_fast', 0), act('gup_pin', 0), act('map_sg', 0)];
    expect(runActions(m, steps, [propertyById('p2p-sgl-consumer')!]).violation?.clause).toBe('consumer');
    expect(runActions(m, steps, [propertyById('no-cpu-access-to-bar')!]).violation?.clause).toBe('iomem');
  });

  it('sg_page on the RFC\'s bus-address SGL is a CPU access with no page', () => {
    const m = makeModel(strategyByName('p2p-vma-map')!, configByName('p2p-switch')!, 'sg-page-on-bus-sgl');
    const steps = [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0)];
    expect(runActions(m, steps, [propertyById('no-cpu-access-to-bar')!]).violation?.clause).toBe('no-page');
  });
});
