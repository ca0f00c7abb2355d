// The model's own type invariant (TLA+'s TypeOK), checked over random action sequences of every
// strategy: frame reference counts agree with the PTEs and pins, free frames are unreferenced, a PTE
// maps only allocated frames, and the mm seq is odd exactly while an invalidation runs.
import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { enabled, init, stepInPlace } from '../model/model.ts';
import type { State } from '../model/types.ts';
import { strategies } from '../model/strategies/index.ts';
import { choose } from '../src/explore/choose.ts';
import { model } from './helpers.ts';

function typeOk(s: State): string | null {
  for (let f = 0; f < s.frames.length; f++) {
    const fr = s.frames[f]!;
    let maps = 0;
    // A child fork is still copying into has page tables already (model/fork.ts), though it does not run yet.
    s.mms.forEach((mm, p) => {
      if (mm.alive || p === s.fork.child) for (const pte of mm.ptes) if (pte.mapped && pte.frame === f) maps++;
    });
    if (fr.free && (fr.refcount !== 0 || maps !== 0 || fr.pincount !== 0)) return `free frame ${f} is referenced`;
    // The zero page's PTEs count in no mapcount (pte_special, model/zero-page.ts).
    if (f === s.zeroPfn) continue;
    if (!fr.free && fr.mapcount !== maps) return `frame ${f}: mapcount ${fr.mapcount}, mapped by ${maps} PTEs`;
    if (!fr.free && fr.refcount < fr.mapcount + fr.pincount) return `frame ${f}: refcount ${fr.refcount} < mapcount + pincount`;
  }
  for (const mm of s.mms) {
    if (!mm.alive) continue;
    if ((mm.seq % 2 === 1) !== mm.active > 0) return `mm seq ${mm.seq} with ${mm.active} active invalidations`;
    for (const pte of mm.ptes) if (pte.frame !== -1 && (!pte.mapped || pte.swapped)) return 'a PTE maps a frame while unmapped or swapped';
  }
  return null;
}

describe('the model keeps its type invariant', () => {
  for (const s of strategies) {
    for (const cfg of s.configs) {
      test.prop([fc.array(fc.nat({ max: 0xffff }), { maxLength: 60 })], { numRuns: 150, seed: 5 })(`${s.name} in ${cfg}`, (choices) => {
        const m = model(s.name, cfg);
        const st = init(m);
        expect(typeOk(st), 'the initial state').toBeNull();
        let steps = 0;
        for (const c of choices) {
          const a = choose(enabled(m, st), (x) => x.k, c);
          if (!a) break;
          stepInPlace(m, st, a);
          steps++;
          expect(typeOk(st), `${a.k}(${a.a},${a.b})`).toBeNull();
        }
        // The sequence ran to its end: some action is always enabled (user space can always touch memory),
        // so the invariant was checked after every choice, not after none.
        expect(steps).toBe(choices.length);
      });
    }
  }
});
