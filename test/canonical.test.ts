// The finite model (model/canonical.ts): a state and its canonical form must have the same futures, and
// the canonical form must make every config's space finite. Checked as a bisimulation along seeded random
// walks of every strategy in every config: the two states enable the same actions in the same order, each
// action breaks the same properties in both, and the two successors have one canonical form.
import { describe, it, expect } from 'vitest';
import seedrandom from 'seedrandom';
import { enabled, formatAction, init, makeModel, stepInPlace } from '../model/model.ts';
import { strategies } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import { canonicalize } from '../model/canonical.ts';
import { clonePlain } from '../model/clone.ts';
import { verdictProperties } from '../properties/index.ts';
import { Monitor } from '../src/system.ts';
import type { State } from '../model/types.ts';

// Eight walks of each strategy in each config in `npm test`, sixteen with DMACHECK_DEEP=1.
const WALKS = process.env.DMACHECK_DEEP === '1' ? 16 : 8;
const STEPS = 60;

describe('the canonical form of a state', () => {
  for (const s of strategies) {
    for (const cname of s.configs) {
      it(`is a bisimulation for ${s.name} in ${cname}: same actions, same verdicts, one canonical successor`, () => {
        const m = makeModel(s, configByName(cname)!);
        const rng = seedrandom(`canonical ${s.name} ${cname}`);
        const canon = (x: State, mon: Monitor) => {
          const c = clonePlain(x);
          const cm = mon.clone(c);
          cm.canonicalize(c);
          return { c, cm };
        };
        let compared = 0;
        let renumbered = 0;
        for (let w = 0; w < WALKS; w++) {
          const a = init(m);
          let ma = new Monitor(m, verdictProperties, a);
          for (let i = 0; i < STEPS; i++) {
            // b: the canonical form of a (state and monitors), stepped alongside it.
            const { c: b, cm: mb } = canon(a, ma);
            if (JSON.stringify(b) !== JSON.stringify(a)) renumbered++;
            const ea = enabled(m, a).map((x) => formatAction(m, x));
            const eb = enabled(m, b).map((x) => formatAction(m, x));
            expect(eb, `step ${i} of walk ${w}`).toEqual(ea);
            if (ea.length === 0) break;
            const k = Math.floor(rng() * ea.length);
            const act = enabled(m, a)[k]!;
            const ev = stepInPlace(m, a, act);
            // Checking a state (the progress oracle, the canonical keys it uses) never changes it.
            const before = JSON.stringify(a);
            const va = ma.check(a, ev);
            expect(JSON.stringify(a), `checking after ${formatAction(m, act)} changed the state`).toBe(before);
            const vb = mb.check(b, stepInPlace(m, b, act));
            expect(vb?.property ?? null, `${formatAction(m, act)} at step ${i} of walk ${w}`).toBe(va?.property ?? null);
            if (va) break;
            const ka = canon(a, ma);
            const kb = canon(b, mb);
            expect(JSON.stringify([kb.c, kb.cm.memory()]), `successors of ${formatAction(m, act)}`).toBe(JSON.stringify([ka.c, ka.cm.memory()]));
            compared++;
          }
          ma = new Monitor(m, verdictProperties, init(m));
        }
        expect(compared).toBeGreaterThan(WALKS * 5);
        // The check means something only if the canonical form did change states.
        expect(renumbered).toBeGreaterThan(0);
      });
    }
  }
});
