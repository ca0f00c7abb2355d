// Device memory and P2P by hand: the topology decision for each config, a PeerDirect revoke, a DMA-BUF
// move_notify round, and a device-private page given to the NIC as a P2P page or migrated to RAM.
import { describe, it, expect } from 'vitest';
import { init, stepInPlace, enabled, sameAction } from '../model/model.ts';
import type { Model } from '../model/model.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import { DEV, NONE, PEER } from '../model/types.ts';
import { configByName } from '../model/configs.ts';
import { p2pdmaDistance, topoAcsNoForward, topoHostBridge, topoRootPorts, topoSwitch } from '../model/p2p.ts';
import { allProperties } from '../properties/index.ts';
import { runActions } from '../src/run.ts';
import { act, model } from './helpers.ts';

/** Run `actions` (each must be enabled), returning the state and every event. */
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

/** No property breaks along the trace. */
function clean(m: Model, actions: readonly Action[]): void {
  const r = runActions(m, actions, allProperties);
  expect(r.notEnabled).toBeNull();
  expect(r.violation).toBeNull();
}

describe('pci_p2pdma_distance', () => {
  it('decides by the topology: one switch without ACS by bus address; through a whitelisted host bridge; else not at all', () => {
    expect(p2pdmaDistance(topoSwitch, PEER, DEV).map).toBe('bus-addr');
    expect(p2pdmaDistance(topoAcsNoForward, PEER, DEV).map).toBe('not-supported');
    expect(p2pdmaDistance({ ...topoAcsNoForward, hostBridgeForwards: true }, PEER, DEV).map).toBe('thru-host-bridge');
    expect(p2pdmaDistance(topoHostBridge, PEER, DEV).map).toBe('thru-host-bridge');
    expect(p2pdmaDistance(topoRootPorts, PEER, DEV).map).toBe('not-supported');
    expect(p2pdmaDistance(undefined, PEER, DEV).map).toBe('not-supported');
    expect(p2pdmaDistance(topoRootPorts, DEV, DEV).map).toBe('bus-addr');
  });

  it('gives each P2P config its decision', () => {
    expect(p2pdmaDistance(configByName('p2p-switch')!.topology, PEER, DEV)).toEqual({ map: 'bus-addr', dist: 2 });
    expect(p2pdmaDistance(configByName('p2p-none')!.topology, PEER, DEV).map).toBe('not-supported');
  });
});

describe('peerdirect-revoke', () => {
  it('registers only where the topology allows P2P', () => {
    const ok = model('peerdirect-revoke', 'p2p-switch');
    const no = model('peerdirect-revoke', 'p2p-none');
    expect(can(ok, init(ok), act('register', 0))).toBe(true);
    expect(can(no, init(no), act('register', 0))).toBe(false);
  });

  it('revokes the MR when the GPU moves its memory: the callback waits for the DMA in flight, later work fails, nothing is remapped', () => {
    const m = model('peerdirect-revoke', 'p2p-switch');
    const steps = [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('gpu_move', 0, 0), act('pd_revoke', 0)];
    const { s, events } = run(m, steps);
    expect(events.some((e) => e.t === 'mr_revoked' && e.proc === 0)).toBe(true);
    expect(s.dev.mirror[0]!.every((e) => e.frame === NONE)).toBe(true);
    expect(can(m, s, act('pd_drain', 0))).toBe(false); // the DMA in flight must land first
    const rest = [act('dma_land', 0), act('pd_drain', 0), act('invalidate_end', 0), act('job_complete', 0), act('submit', 0, 1)];
    const after = run(m, [...steps, ...rest]);
    expect(after.events.some((e) => e.t === 'peer_move' && e.proc === 0 && e.vpage === 0)).toBe(true);
    expect(after.s.jobs[0]!.state).toBe('failed'); // the QP is in the error state
    clean(m, [...steps, ...rest]);
  });
});

describe('dmabuf-dynamic', () => {
  it('a move_notify round: zap, fence the DMA in flight, wait, copy, re-map after the copy fence', () => {
    const m = model('dmabuf-dynamic', 'p2p-switch');
    const steps = [act('register', 0), act('submit_write', 0, 0), act('dma_start', 0), act('imp_map', 0), act('dma_start', 0)];
    const a = run(m, steps);
    const vram = a.s.mms[0]!.ptes[0]!.frame;
    expect(a.s.frames[vram]!.kind).toBe('p2p');
    expect(a.events.some((e) => e.t === 'dma_start' && e.p2p === true)).toBe(true);
    const notify = [...steps, act('exp_move_notify', 0, 0)];
    const b = run(m, notify);
    expect(b.events.some((e) => e.t === 'move_notify')).toBe(true);
    expect(b.s.dev.mirror[0]![0]!.frame).toBe(NONE);
    expect(can(m, b.s, act('exp_move_copy', 0, 0))).toBe(false); // the importer's fence is unsignalled
    const copy = [...notify, act('dma_land', 0), act('job_complete', 0), act('exp_move_copy', 0, 0), act('submit', 0, 0), act('dma_start', 0)];
    const c = run(m, copy);
    expect(can(m, c.s, act('imp_map', 0))).toBe(false); // waits for the copy fence
    const done = [...copy, act('copy_done', 0, 0), act('imp_map', 0), act('dma_start', 0), act('dma_land', 0)];
    const d = run(m, done);
    const now = d.s.mms[0]!.ptes[0]!.frame;
    expect(now).not.toBe(vram);
    expect(d.s.frames[now]!.kind).toBe('system');
    const [wrote, read] = d.events.filter((e) => e.t === 'dma_land');
    // The read after the move sees the write made over P2P before it: the copy carried it over.
    expect(wrote!.t === 'dma_land' && wrote!.write && wrote!.p2p === true).toBe(true);
    expect(read!.t === 'dma_land' && read!.frame === now && read!.p2p === false && read!.value === (wrote as { value: number }).value).toBe(true);
    clean(m, done);
  });
});

describe('dmabuf-static', () => {
  it('the exporter places the buffer in system RAM before a pin the importer could not reach over P2P', () => {
    const m = model('dmabuf-static', 'p2p-none');
    const { s } = run(m, [act('register', 0)]);
    expect(can(m, s, act('st_map', 0))).toBe(false);
    // The placement is the attach's own step (amdgpu_dma_buf_pin), not an eviction: exp_place.
    const steps = [act('register', 0), act('exp_place', 0, 0), act('exp_move_copy', 0, 0), act('copy_done', 0, 0), act('exp_place', 0, 1), act('exp_move_copy', 0, 1), act('copy_done', 0, 1), act('st_map', 0)];
    const r = run(m, steps);
    expect(r.s.mms[0]!.ptes.every((pte) => r.s.frames[pte.frame]!.kind === 'system' && r.s.frames[pte.frame]!.pincount === 1)).toBe(true);
    // Pinned: the exporter's move is refused (amdgpu_bo_move: "Can't move a pinned BO"), the page stays put.
    const frame = r.s.mms[0]!.ptes[0]!.frame;
    const refused = stepInPlace(m, r.s, act('exp_move_notify', 0, 0));
    expect(refused).toEqual([{ t: 'move_refused', proc: 0, vpage: 0, frame, mechanism: 'dmabuf-move', by: 'pin' }]);
    expect(r.s.mms[0]!.ptes[0]!.frame).toBe(frame);
    clean(m, steps);
  });
});

describe('hmm-p2p', () => {
  const toVram = [act('gpu_migrate', 0, 0), act('invalidate_end', 0), act('mig_copy', 0, 0), act('mig_copy_done', 0, 0), act('mig_pages', 0, 0), act('mig_finalize', 0, 0)];
  const fault = [act('register', 0), act('submit', 0, 0), act('dma_start', 0), act('read_begin', 0), act('range_fault', 0)];

  it('migrates a page into the GPU\'s VRAM as a device-private page the CPU cannot touch', () => {
    const m = model('hmm-p2p', 'p2p-switch');
    const { s } = run(m, toVram);
    const f = s.mms[0]!.ptes[0]!.frame;
    expect(s.frames[f]!.kind).toBe('device-private');
    expect(s.frames[f]!.owner).toBe(PEER);
    expect(can(m, s, act('cpu_read', 0, 0))).toBe(false);
    expect(can(m, s, act('cpu_fault_private', 0, 0))).toBe(true);
  });

  it('gives the NIC a P2P page for the device-private page where the topology allows', () => {
    const m = model('hmm-p2p', 'p2p-switch');
    const steps = [...toVram, ...fault, act('fault_commit', 0), act('dma_start', 0), act('dma_land', 0)];
    const { s, events } = run(m, steps);
    expect(events.some((e) => e.t === 'private_fault' && e.outcome === 'p2p')).toBe(true);
    const land = events.find((e) => e.t === 'dma_land')!;
    expect(land.t === 'dma_land' && land.p2p === true && s.frames[land.frame]!.kind === 'device-private').toBe(true);
    clean(m, steps);
  });

  it('migrates the page back to system RAM where it does not, and the fault retries', () => {
    const m = model('hmm-p2p', 'p2p-none');
    const back = [act('inv_lock', 0), act('inv_zap', 0), act('inv_sync', 0), act('invalidate_end', 0), act('mig_copy', 0, 0), act('mig_copy_done', 0, 0), act('mig_pages', 0, 0), act('mig_finalize', 0, 0)];
    const steps = [...toVram, ...fault, ...back, act('read_begin', 0), act('range_fault', 0), act('fault_commit', 0), act('dma_start', 0), act('dma_land', 0)];
    const { s, events } = run(m, steps);
    expect(events.some((e) => e.t === 'private_fault' && e.outcome === 'migrate')).toBe(true);
    const land = events.find((e) => e.t === 'dma_land')!;
    expect(land.t === 'dma_land' && land.p2p === false && s.frames[land.frame]!.kind === 'system').toBe(true);
    clean(m, steps);
  });
});
