// hmm-p2p: seed 001 (Jason Gunthorpe, 2024), KERNEL.md §6. The GPU (the peer) migrates process pages into
// its VRAM as DEVICE_PRIVATE pages with the migrate_vma_* steps; the NIC mirrors the process with ODP
// (hmm_range_fault and the interval notifier, as odp-mirror). When the NIC's hmm_range_fault meets the
// GPU's device-private page it gets a P2P page for the same memory if pci_p2pdma_distance allows P2P
// between them, and DMA-maps it with the P2P-aware path; else the page migrates back to system RAM
// (migrate_to_ram) and the fault retries. A CPU access to a device-private page migrates it back too.
// Migration, each step its own action:
//   migrate_vma_setup     mmu_notifier_invalidate_range_start (MMU_NOTIFY_MIGRATE, the GPU as owner);
//                         the callbacks run; collect + unmap: the page is locked, the CPU PTE holds a
//                         migration entry (CPU faults and hmm_range_fault wait), invalidate_range_end
//   mig_copy              allocate the destination, start the copy (the GPU's copy engine)
//   mig_copy_done         the copy lands
//   mig_pages             migrate_vma_pages: the destination takes the source's place
//   mig_finalize          the GPU's device MMU is updated; migrate_vma_finalize: the CPU PTE points at the
//                         destination, the pages are unlocked, the source is freed
// Simplifications: the GPU runs no jobs of its own, so its own page table is not modelled; a page is
// migrated only while it is mapped once and has no other reference; migrate_vma_pages does not lose
// races (the CPU waits on the locked page).
import { NONE, DEV, PEER } from '../types.ts';
import type { Action, State } from '../types.ts';
import type { DriverContext, Strategy } from '../strategy.ts';
import { defineStrategy } from '../strategy.ts';
import { callbackReturn, findFreeFrame, freeInvalidationSlot, invalidating, startInvalidation } from '../mm.ts';
import { coreMmPage, p2pPossible, ramAlloc, switchPte, vramAlloc, vramFree } from '../p2p.ts';
import { odpDriverState, odpMirror } from './odp-mirror.ts';
import { finalizeMigration, mappersOf } from '../hmm.ts';
import { faultClearDead, faultCounters, type MirrorDriver } from './mirror-fault.ts';

/** The NIC's fault path (odp-mirror's) and the GPU driver's page migrations. */
interface HmmP2pDriver extends MirrorDriver {
  /** Per page slot (proc * vpages + vpage): 0 none; 1 setup (collecting); 2 copying; 3 pages done; 4 finalized, copy still in flight (a mutant). */
  migPhase: number[];
  /** 0: to the GPU's VRAM; 1: back to system RAM. */
  migDir: number[];
  migSrc: number[];
  migDst: number[];
  copied: number[];
}

type HmmState = State<HmmP2pDriver>;

/**
 * The NIC's half is odp-mirror's driver, called with this strategy's context: odp-mirror's own mutants
 * never run here (hmm-p2p's mutant names are not its).
 */
const nic: Strategy<MirrorDriver> = odpMirror;
const V = (s: State) => s.mms[0]!.ptes.length;
const slot = (s: State, p: number, v: number) => p * V(s) + v;

function migrating(s: HmmState, p: number, v: number): boolean {
  return s.drv.migPhase[slot(s, p, v)] !== 0;
}

/**
 * migrate_vma_setup for one page: the invalidation (its end collects and locks the page), with the GPU as
 * its owner (pgmap_owner). Back to RAM, try_to_migrate also unmaps the page's other mappings (a
 * copy-on-write share after fork: copy_nonpresent_pte), each an invalidation of its own mm.
 */
function migrateSetup(s: HmmState, p: number, v: number, dir: number, ctx: DriverContext): boolean {
  const pte = s.mms[p]!.ptes[v]!;
  const i = slot(s, p, v);
  const d = s.drv;
  const src = pte.frame;
  const ranges: [number, number][] = dir === 1 ? mappersOf(s, src) : [[p, v]];
  for (const [q, w] of ranges) {
    if (startInvalidation(s, q, 1 << w, 'device-migrate', ctx, (k) => self.onInvalidateStart(s, k, ctx), PEER) === NONE) return false;
  }
  d.migPhase[i] = 1;
  d.migDir[i] = dir;
  d.migSrc[i] = src;
  d.migDst[i] = NONE;
  d.copied[i] = 0;
  return true;
}

/**
 * Can a migration of (p, v) start now (a free invalidation slot, the page idle, a destination free)? Into
 * VRAM: migrate_vma_collect takes only an anonymous private page (not MAP_SHARED: migrate_shared in
 * hmm-tests.c expects -ENOENT), mapped once here. Back to RAM: every mapping of the page (a copy-on-write
 * share after fork) gets its invalidation.
 */
function canMigrate(s: HmmState, p: number, v: number, toVram: boolean): boolean {
  const pte = s.mms[p]!.ptes[v]!;
  if (!pte.mapped || pte.frame === NONE || invalidating(s, p, v) || migrating(s, p, v) || freeInvalidationSlot(s) === NONE) return false;
  const fr = s.frames[pte.frame]!;
  if (fr.locked || fr.refcount !== fr.mapcount) return false;
  if (toVram) return fr.mapcount === 1 && !pte.shared && coreMmPage(fr) && vramFree(s);
  if (fr.kind !== 'device-private' || findFreeFrame(s) === NONE) return false;
  const maps = mappersOf(s, pte.frame);
  if (maps.some(([q, w]) => invalidating(s, q, w) || migrating(s, q, w))) return false;
  return s.invs.filter((inv) => !inv.live).length >= maps.length;
}

export const hmmP2p = defineStrategy({
  counters: (d: HmmP2pDriver, c) => faultCounters(d, c),
  clearDead: (d: HmmP2pDriver) => faultClearDead(d),
  name: 'hmm-p2p',
  summary: 'the GPU keeps pages in its VRAM as DEVICE_PRIVATE; the NIC\'s hmm_range_fault gets a P2P page for them when the topology allows, else the page migrates to system RAM',
  from: 'seed 001 (Cross-device HMM, 2024); mm/hmm.c, mm/migrate_device.c, drivers/pci/p2pdma.c',
  device: { kind: 'rdma', recoverable: true },
  configs: ['p2p-switch', 'p2p-none', 'p2p-switch-user-queue'],
  mutants: [
    { name: 'no-topology-check', pattern: 'hmm_range_fault hands the other device\'s private page out as a P2P page without asking pci_p2pdma_distance: P2P across an ACS-redirecting switch and a host bridge that does not forward it' },
    { name: 'plain-dma-map', pattern: 'the NIC maps the P2P page it got with plain dma_map_page instead of the P2P-aware path' },
    { name: 'finalize-before-copy', pattern: 'migrate_vma_pages and migrate_vma_finalize before the copy to the destination has completed: the page is mapped with stale contents and the late copy overwrites newer writes' },
    { name: 'skip-foreign-migrate', pattern: 'the NIC\'s invalidate callback skips MMU_NOTIFY_MIGRATE ranges that carry an owner (meant to skip only its own migrations): the GPU migrates a page the NIC still maps' },
  ],
  needsRegistration: true,
  actionKinds: [
    ...nic.actionKinds,
    { kind: 'gpu_migrate', actor: 'kernel', args: ['p', 'v'], models: 'the GPU driver moves a page into its VRAM: migrate_vma_setup (MIGRATE_VMA_SELECT_SYSTEM): invalidate, collect, unmap', starts: true },
    { kind: 'cpu_fault_private', actor: 'user', args: ['p', 'v'], models: 'a CPU access hits a device-private entry: do_swap_page calls the owner\'s migrate_to_ram (migrate_vma_setup, MIGRATE_VMA_SELECT_DEVICE_PRIVATE)' },
    { kind: 'mig_copy', actor: 'kernel', args: ['p', 'v'], models: 'the migrating driver allocates the destination page and starts the copy' },
    { kind: 'mig_copy_done', actor: 'hardware', args: ['p', 'v'], models: 'the copy engine finishes the copy' },
    { kind: 'mig_pages', actor: 'kernel', args: ['p', 'v'], models: 'migrate_vma_pages: the destination replaces the source in the migration' },
    { kind: 'mig_finalize', actor: 'kernel', args: ['p', 'v'], models: 'update the device MMU; migrate_vma_finalize: remove_migration_ptes to the destination, unlock, free the source' },
  ],

  init(s, cfg): HmmP2pDriver {
    const pages = s.mms.length * V(s);
    const z = () => Array.from({ length: pages }, () => 0);
    const n = () => Array.from({ length: pages }, () => NONE);
    // odp-mirror's driver state without its MR key (model/mkey.ts): this NIC's MR has none.
    return { ...odpDriverState(s), migPhase: z(), migDir: z(), migSrc: n(), migDst: n(), copied: z() };
  },

  enabled(s, ctx, out) {
    const d = s.drv;
    const nicActions: Action[] = [];
    nic.enabled(s, ctx, nicActions);
    for (const a of nicActions) {
      if (a.k === 'range_fault') {
        // hmm_range_fault waits on a migration entry (migration_entry_wait) and on a migration in progress.
        const f = s.drv.faults[a.a]!;
        const pte = s.mms[f.proc]!.ptes[f.vpage]!;
        if (pte.frame !== NONE && (s.frames[pte.frame]!.locked || migrating(s, f.proc, f.vpage))) continue;
      }
      out.push(a);
    }
    s.mms.forEach((mm, p) => {
      if (!mm.alive) return;
      mm.ptes.forEach((pte, v) => {
        const i = slot(s, p, v);
        switch (d.migPhase[i]) {
          case 0:
            if (canMigrate(s, p, v, true)) out.push({ k: 'gpu_migrate', a: p, b: v });
            if (canMigrate(s, p, v, false)) out.push({ k: 'cpu_fault_private', a: p, b: v });
            break;
          case 1:
            // Once every invalidation of the page ended (migrate_vma_collect, try_to_migrate).
            if (s.frames[d.migSrc[i]!]!.locked && !mappersOf(s, d.migSrc[i]!).some(([q, w]) => invalidating(s, q, w))) out.push({ k: 'mig_copy', a: p, b: v });
            break;
          case 2:
            if (d.copied[i] || ctx.mutant === 'finalize-before-copy') out.push({ k: 'mig_pages', a: p, b: v });
            break;
          case 3:
            out.push({ k: 'mig_finalize', a: p, b: v });
            break;
        }
        if (d.migPhase[i]! >= 2 && !d.copied[i]) out.push({ k: 'mig_copy_done', a: p, b: v });
      });
    });
  },

  apply(s, a: Action, ctx) {
    const d = s.drv;
    const i = a.k.startsWith('mig_') || a.k === 'gpu_migrate' || a.k === 'cpu_fault_private' ? slot(s, a.a, a.b) : NONE;
    switch (a.k) {
      case 'range_fault': {
        const f = s.drv.faults[a.a]!;
        const pte = s.mms[f.proc]!.ptes[f.vpage]!;
        const fr = pte.mapped && pte.frame !== NONE ? s.frames[pte.frame]! : null;
        if (!fr || fr.kind !== 'device-private' || fr.owner === DEV) break; // hmm_range_fault as usual
        // Another device's private page: a P2P page for the same memory, or migrate it to RAM.
        if (ctx.mutant === 'no-topology-check' || p2pPossible(ctx.cfg.topology, fr.owner, DEV)) {
          f.frame = pte.frame;
          f.gen = fr.gen;
          f.writable = pte.writable;
          f.epoch = pte.epoch;
          f.p2p = ctx.mutant !== 'plain-dma-map';
          f.phase = 2;
          ctx.emit({ t: 'private_fault', proc: f.proc, vpage: f.vpage, frame: pte.frame, outcome: 'p2p' });
        } else {
          ctx.emit({ t: 'private_fault', proc: f.proc, vpage: f.vpage, frame: pte.frame, outcome: 'migrate' });
          if (canMigrate(s, f.proc, f.vpage, false)) migrateSetup(s, f.proc, f.vpage, 1, ctx);
          f.phase = 0; // -EBUSY: back to read_begin
        }
        return;
      }
      case 'gpu_migrate':
        migrateSetup(s, a.a, a.b, 0, ctx);
        return;
      case 'cpu_fault_private':
        migrateSetup(s, a.a, a.b, 1, ctx);
        return;
      case 'mig_copy': {
        const src = s.frames[d.migSrc[i]!]!;
        const dst = d.migDir[i] === 0 ? vramAlloc(s, 'device-private', 0) : ramAlloc(s, NONE, 0);
        if (dst === NONE) {
          src.locked = false; // nothing to migrate to: migrate_vma_finalize restores the source
          d.migPhase[i] = 0;
          return;
        }
        s.frames[dst]!.locked = true;
        d.migDst[i] = dst;
        d.migPhase[i] = 2;
        return;
      }
      case 'mig_copy_done': {
        s.frames[d.migDst[i]!]!.value = s.frames[d.migSrc[i]!]!.value;
        d.copied[i] = 1;
        if (d.migPhase[i] === 4) d.migPhase[i] = 0;
        return;
      }
      case 'mig_pages':
        d.migPhase[i] = 3;
        return;
      case 'mig_finalize': {
        const dst = d.migDst[i]!;
        s.frames[dst]!.locked = false;
        if (d.migDir[i] === 1) {
          // migrate_vma_finalize: remove_migration_ptes on every mapping of the source, each keeping its
          // permission (a copy-on-write share stays read-only); the source is freed.
          const src = d.migSrc[i]!;
          const maps = mappersOf(s, src);
          finalizeMigration(s, src, dst);
          for (const [q, w] of maps) ctx.emit({ t: 'peer_move', proc: q, vpage: w, from: src, to: dst });
        } else {
          // migrate_vma_finalize unlocks the source (folio_unlock) before its folio_put, which frees it
          // unless another reference keeps it: the swap cache, for a page swapped in that a fork's child
          // still maps by its swap entry. Left locked, it would hold every later lock_page on it forever.
          s.frames[d.migSrc[i]!]!.locked = false;
          switchPte(s, a.a, a.b, dst, ctx); // frees the source if its last reference was the mapping
        }
        d.migPhase[i] = d.copied[i] ? 0 : 4;
        return;
      }
    }
    nic.apply(s, a, ctx);
  },

  onRegister(s, proc, ctx) {
    nic.onRegister(s, proc, ctx);
  },

  onDeviceFault(s, job, ctx) {
    nic.onDeviceFault(s, job, ctx);
  },

  // The NIC's callbacks are odp-mirror's.
  waits(s, ctx, out) {
    nic.waits?.(s, ctx, out);
  },

  onInvalidateStart(s, inv, ctx) {
    const iv = s.invs[inv]!;
    if (ctx.mutant === 'skip-foreign-migrate' && iv.cause === 'device-migrate' && iv.cb[iv.proc] === 0) {
      callbackReturn(s, inv, iv.proc, ctx);
    }
  },
});

/** This strategy as the world holds it, for the invalidation its migrations start. */
const self: Strategy<HmmP2pDriver> = hmmP2p;
