// Zones (model/zones.ts): FOLL_LONGTERM's migrate-out of ZONE_MOVABLE and CMA pages, and offlining, which
// fails while a page stays pinned there.
import { describe, it, expect } from 'vitest';
import { isEnabled, makeModel } from '../model/model.ts';
import { anyConfigByName } from '../model/configs.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { act, advance, model, play } from './helpers.ts';

const zoned = (strategy: string, config = 'zone-movable', mutant: string | null = null) => makeModel(strategyByName(strategy)!, anyConfigByName(config)!, mutant);

describe('zones', () => {
  it('put the config\'s first frames in ZONE_MOVABLE and CMA, and every frame of the other configs in ZONE_NORMAL', () => {
    const { s } = play(model('pin-longterm', 'zone-movable'), []);
    expect(s.frames.map((f) => f.zone)).toEqual(['movable', 'cma', 'normal', 'normal', 'normal']);
    expect(play(model('pin-longterm'), []).s.frames.every((f) => f.zone === 'normal')).toBe(true);
  });

  it('a long-term pin of a movable or CMA page migrates it to a ZONE_NORMAL frame first, then pins it there', () => {
    const m = zoned('pin-longterm');
    const { s, events } = play(m, [act('register', 0)]);
    expect(events.some((e) => e.t === 'longterm_migrate' && e.pages === 0b11)).toBe(true);
    expect(s.regs[0]!.opening).toBe(true);
    expect(s.frames.every((f) => f.pincount === 0)).toBe(true); // nothing pinned before the migration
    advance(m, s, act('invalidate_end', 0));
    advance(m, s, act('longterm_pin', 0));
    const frames = s.mms[0]!.ptes.map((p) => p.frame);
    expect(frames.map((f) => s.frames[f]!.zone)).toEqual(['normal', 'normal']);
    expect(frames.map((f) => s.frames[f]!.pincount)).toEqual([1, 1]);
    expect(s.regs[0]!.opening).toBe(false);
    // Nothing of the registration is left in the movable range: offlining has nothing to move.
    expect(isEnabled(m, s, act('offline_migrate', 0, 0))).toBe(false);
  });

  it('a long-term pin fails with -ENOMEM when no ZONE_NORMAL frame is free for the migrate-out', () => {
    const m = zoned('pin-longterm');
    const u = play(m, []).s;
    for (const fr of u.frames) if (fr.zone === 'normal') fr.free = false; // ZONE_NORMAL full

    const ev = advance(m, u, act('register', 0));
    expect(ev).toContainEqual({ t: 'longterm_pin_failed', proc: 0, errno: 'ENOMEM' });
    expect(u.regs[0]!.live).toBe(false);
  });

  it('offlining migrates an unpinned page out of ZONE_MOVABLE, and fails (-EBUSY) while a pin holds it there', () => {
    const m = zoned('pin-per-job');
    const free = play(m, [act('offline_migrate', 0, 0)]);
    expect(free.events.some((e) => e.t === 'offline_migrate' && !e.refused)).toBe(true);
    advance(m, free.s, act('invalidate_end', 0));
    expect(free.s.frames[free.s.mms[0]!.ptes[0]!.frame]!.zone).toBe('normal');
    // A job pins the page; the offlining's migration is refused until the job's fence signals.
    const { s, events } = play(m, [act('submit', 0, 0), act('gup_fast', 0), act('pin_job', 0), act('offline_migrate', 0, 0)]);
    expect(events).toContainEqual(expect.objectContaining({ t: 'offline_migrate', proc: 0, vpage: 0, frame: 0, zone: 'movable', refused: true }));
    expect(s.mms[0]!.ptes[0]!.frame).toBe(0);
  });

  it('a registration pinned without FOLL_LONGTERM keeps its pages in movable memory: the offlining fails', () => {
    const m = zoned('pin-longterm', 'zone-movable', 'pin-without-longterm');
    const { s, events } = play(m, [act('register', 0), act('offline_migrate', 0, 0)]);
    expect(s.frames[0]!.pincount).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ t: 'offline_migrate', frame: 0, refused: true }));
  });
});
