// Zones: ZONE_NORMAL, ZONE_MOVABLE and CMA areas (a config's `movable` and `cma` frames), what a
// FOLL_LONGTERM pin must do about them, and memory offlining, which needs a movable range emptied.
//   placement        user pages (GFP_HIGHUSER_MOVABLE) may come from any zone, ZONE_MOVABLE and CMA first
//                    (the config puts those frames lowest, and allocation takes the lowest free frame); a
//                    migration's target avoids the frames its invalidation names (`avoid`).
//   FOLL_LONGTERM    __gup_longterm_locked -> check_and_migrate_movable_pages: a page that is not
//                    folio_is_longterm_pinnable (in ZONE_MOVABLE or a CMA area) is migrated to a
//                    ZONE_NORMAL frame before it is pinned (migrate_pages with MR_LONGTERM_PIN: an
//                    invalidation like any migration); with no normal frame free, the pin fails (-ENOMEM).
//   offline_migrate  offline_pages (memory hot-unplug of the movable range) or cma_alloc ->
//                    alloc_contig_range for the CMA area: do_migrate_range migrates each page of the
//                    range to a frame outside it; a page with references beyond its mappings (a pin)
//                    cannot be migrated, and the offlining (or the CMA allocation) fails (-EBUSY) while
//                    it stays.
// Simplifications (README): the ranges are whole zones (no pageblock isolation, no partial offlining);
// an offlining is one page's migration at a time, not a state of its own (no `offline` frames); the
// allocator's fallback from ZONE_MOVABLE to CMA to ZONE_NORMAL is the frames' order.
import { NONE } from './types.ts';
import type { Action, Config, State, Zone } from './types.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import { claimFrame, deviceHolds, dmaInFlight, freeInvalidationSlot, invalidating, startInvalidation } from './mm.ts';
import { coreMmPage, pteLocked } from './p2p.ts';

/** The zone of system frame `f` in config `cfg` (VRAM frames, past the system ones, are 'normal'). */
export function zoneOf(cfg: Config, f: number): Zone {
  if (f >= cfg.scope.frames) return 'normal';
  const movable = cfg.movable ?? 0;
  if (f < movable) return 'movable';
  if (f < movable + (cfg.cma ?? 0)) return 'cma';
  return 'normal';
}

/** The frames of ZONE_MOVABLE and of the CMA area, as a mask. */
export function movableMask(s: State): number {
  let m = 0;
  s.frames.forEach((fr, f) => {
    if (fr.zone !== 'normal') m |= 1 << f;
  });
  return m;
}

/** folio_is_longterm_pinnable: not in a CMA area, and (since d1e153fea2a8) not in ZONE_MOVABLE. */
export function longtermPinnable(s: State, cfg: Config, f: number): boolean {
  const z = s.frames[f]!.zone;
  if (z === 'cma') return false;
  return z !== 'movable' || cfg.kernel.longtermMigrate === 'cma-only';
}

/** The lowest free system frame not in `avoid` (a mask), or NONE. */
export function findFreeFrameOutside(s: State, avoid: number): number {
  for (let f = 0; f < s.frames.length; f++) {
    const fr = s.frames[f]!;
    if (fr.free && fr.kind === 'system' && !((avoid >> f) & 1)) return f;
  }
  return NONE;
}

/** Allocate a page holding `value`, mapped once, from a frame not in `avoid` (alloc_migration_target). */
export function allocFrameOutside(s: State, value: number, avoid: number): number {
  const f = findFreeFrameOutside(s, avoid);
  if (f === NONE) return NONE;
  claimFrame(s.frames[f]!, NONE, 1, value);
  return f;
}

/**
 * check_and_migrate_movable_pages for the pages of `proc` in `pages` (a mask) a long-term pin is about to
 * take: those not longterm-pinnable, as a mask (0: pin them all now).
 */
export function unpinnablePages(s: State, cfg: Config, proc: number, pages: number): number {
  let out = 0;
  s.mms[proc]!.ptes.forEach((pte, v) => {
    if ((pages >> v) & 1 && pte.mapped && pte.frame !== NONE && !longtermPinnable(s, cfg, pte.frame)) out |= 1 << v;
  });
  return out;
}

/**
 * Start check_and_migrate_movable_pages' migration of `pages` of `proc` to ZONE_NORMAL: an invalidation
 * with cause 'migrate' whose new pages avoid ZONE_MOVABLE and CMA. Returns the invalidation, or NONE if it
 * cannot run: no invalidation slot, or too few free normal frames (the pin fails with -ENOMEM).
 */
export function migrateForLongterm(s: State, proc: number, pages: number, ctx: DriverContext, onStart: (inv: number) => void): number {
  const avoid = movableMask(s);
  let free = 0;
  for (let f = 0; f < s.frames.length; f++) if (s.frames[f]!.free && s.frames[f]!.kind === 'system' && !((avoid >> f) & 1)) free++;
  let need = 0;
  for (let v = 0; v < s.mms[proc]!.ptes.length; v++) if ((pages >> v) & 1) need++;
  if (free < need || freeInvalidationSlot(s) === NONE) return NONE;
  const i = startInvalidation(s, proc, pages, 'migrate', ctx, onStart);
  if (i !== NONE) s.invs[i]!.avoid = avoid;
  ctx.emit({ t: 'longterm_migrate', proc, pages, inv: i });
  return i;
}

export const zoneActionKinds: readonly ActionKind[] = [
  {
    kind: 'offline_migrate', actor: 'kernel', args: ['p', 'v'], starts: true,
    models: 'offline_pages / cma_alloc -> alloc_contig_range: do_migrate_range moves the page out of ZONE_MOVABLE or the CMA area (fails while it is pinned)',
    guard: 'the page is present, mapped once, the core mm\'s own, in ZONE_MOVABLE or CMA, not under an invalidation, not locked, and a frame outside the range is free',
  },
];

/** Push offline_migrate for every page the offlining (or the CMA allocation) of its range would move now. */
export function zonesEnabled(s: State, out: Action[]): void {
  const range = movableMask(s);
  if (range === 0 || freeInvalidationSlot(s) === NONE || findFreeFrameOutside(s, range) === NONE) return;
  s.mms.forEach((mm, p) => {
    if (!mm.alive) return;
    mm.ptes.forEach((pte, v) => {
      if (!pte.mapped || pte.frame === NONE || pte.dax || pte.exclusive !== NONE || !((range >> pte.frame) & 1)) return;
      const fr = s.frames[pte.frame]!;
      if (fr.mapcount !== 1 || !coreMmPage(fr) || pteLocked(s, pte) || invalidating(s, p, v)) return;
      out.push({ k: 'offline_migrate', a: p, b: v });
    });
  });
}

/** Apply offline_migrate; false if the action is not one of the zones'. */
export function applyZones(s: State, a: Action, cfg: Config, strat: Strategy, ctx: DriverContext): boolean {
  if (a.k !== 'offline_migrate') return false;
  const pte = s.mms[a.a]!.ptes[a.b]!;
  const f = pte.frame;
  const fr = s.frames[f]!;
  const zone = fr.zone as 'movable' | 'cma';
  const held = deviceHolds(s, a.a, 1 << a.b);
  const inFlight = dmaInFlight(s, a.a, 1 << a.b);
  // migrate_pages from do_migrate_range: a page with references beyond its mappings cannot move
  // (folio_migrate_mapping), and offline_pages / alloc_contig_range fail with -EBUSY.
  if (fr.refcount > fr.mapcount && cfg.kernel.migrateFailsPinned) {
    ctx.emit({ t: 'offline_migrate', proc: a.a, vpage: a.b, frame: f, zone, inv: NONE, refused: true, dmaInFlight: inFlight, deviceHolds: held });
    return true;
  }
  const i = startInvalidation(s, a.a, 1 << a.b, 'migrate', ctx, (k) => strat.onInvalidateStart(s, k, ctx));
  s.invs[i]!.avoid = movableMask(s);
  ctx.emit({ t: 'offline_migrate', proc: a.a, vpage: a.b, frame: f, zone, inv: i, refused: false, dmaInFlight: inFlight, deviceHolds: held });
  return true;
}
