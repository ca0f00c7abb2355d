// Kernel variants: core-mm bugs of the kernel's history as configs of their own, killed like mutants: a
// correct design of the base config breaks, in the variant, a property it holds in the base.
import { configByName } from '../model/configs.ts';
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelVariants } from '../model/configs.ts';
import { strategies } from '../model/strategies/index.ts';
import { defaultBudget } from '../src/check.ts';
import { expectedVerdict, loadManifest, runVariant } from '../src/verdicts.ts';
import { cli, model } from './helpers.ts';
import { enabled, init, stepInPlace } from '../model/model.ts';
import { propertyById } from '../properties/index.ts';
import { viewOf, oracleFor } from '../src/system.ts';
import { makeModel } from '../model/model.ts';
import { checkModel } from '../src/check.ts';
import { kernelTaskWaits, noHungTask } from '../properties/hung-task.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'dmacheck-variant-'));
const design = (name: string) => strategies.find((s) => s.name === name)!;
const variant = (name: string) => kernelVariants.find((v) => v.name === name)!;
const budget = { ...defaultBudget, runs: 300 };

describe('kernel variants', () => {
  it('are listed by dmacheck list --json with their base config and the kernel behaviour they stand for', async () => {
    const { code, out } = await cli('list', '--json');
    expect(code).toBe(0);
    const listed = JSON.parse(out).kernelVariants as { name: string; base: string; stands: string }[];
    expect(listed.map((v) => v.name).sort()).toEqual(['gup-fast-no-seq-check', 'insert-not-covered', 'longterm-pin-in-movable', 'migrate-notifies-one-mm', 'migrate-pinned', 'reclaim-pinned', 'reclaim-without-notifier', 'refused-start-not-undone']);
    for (const v of listed) {
      expect(v.base).toBe(v.name === 'longterm-pin-in-movable' ? 'zone-movable' : 'kernel-queue');
      expect(v.stands.length).toBeGreaterThan(40);
    }
  });

  // Each: the design that shows it, the property that kills it, the longest shrunk counterexample allowed,
  // its base config (kernel-queue unless given), and the runs it needs (the default budget unless given: an
  // insert during an invalidation, then a fault of the new registration racing it, takes fast-check about a
  // thousand runs to reach).
  const kills: [string, string, string, number, string?, number?][] = [
    // FOLL_LONGTERM leaves a ZONE_MOVABLE page where it is: offlining cannot move it while the MR lives.
    ['longterm-pin-in-movable', 'pin-longterm', 'movable-offlinable', 7, 'zone-movable'],
    // The pinned page stays in the swap cache while reclaim unmaps it: the device's write to it is lost to
    // the CPU, which refaults (no-lost-write). One step longer since the registration pins through gup_fast,
    // whose re-check is its own step where a fork may come (gup_fast_recheck). 12: the random search's
    // shrunk trace (10 before the register ioctl's gup_fast could run during a fork, which changed the
    // enabled actions and with them the search's path; the trace now goes through a fork's copy).
    ['reclaim-pinned', 'pin-longterm', 'no-lost-write', 12],
    // gup_fast makes the pin a step of its own: one step longer than before fork ran in steps.
    ['migrate-pinned', 'pin-per-job', 'no-lost-write', 9],
    ['reclaim-without-notifier', 'odp-mirror', 'coherent-dma', 8],
    // Memory pressure comes from a fork's copy-on-write copies: fork copies its two pages one step each.
    // 14: the random search's shrunk trace (12 before odp-mirror's MR key changed its enabled actions and
    // with them the search's path); the shortest, at the proof scope, is 4 (register, oom_kill, oom_reap,
    // the refusal).
    // no-hung-task, a column now, finds it first: a fault (or a registration) sleeps in
    // mmu_interval_read_begin for an invalidate_range_end no path will call (notifier-bookkeeping, which
    // found it before, in 14 steps, sees the same state's odd seq).
    ['refused-start-not-undone', 'odp-mirror', 'no-hung-task', 16],
    // The pin lands between fork's check for pinned pages and its write-protect (test/fork.test.ts has the trace).
    // A narrow window (one step of fork's per page), found within 1000 runs.
    ['gup-fast-no-seq-check', 'pin-per-job', 'no-lost-write', 12, 'kernel-queue', 1000],
    ['insert-not-covered', 'odp-mirror', 'coherent-dma', 8, 'kernel-queue', 2000],
    // The other process's MR still maps the copy-on-write page its mm was never told moved (model/migrate-shared.ts).
    ['migrate-notifies-one-mm', 'odp-mirror', 'coherent-dma', 12, 'kernel-queue', 1000],
  ];
  for (const [name, strategy, property, longest, base = 'kernel-queue', runs] of kills) {
    it(`${name} is killed: ${strategy} breaks ${property}, which it holds in ${base}, in at most ${longest} steps`, () => {
      const man = loadManifest();
      expect(expectedVerdict(man, strategy, base, property)).toBe('holds');
      const r = runVariant(variant(name), [design(strategy)], runs ? { ...budget, runs } : budget, man);
      expect(r.kill).not.toBeNull();
      expect(r.kill!.failure.property).toBe(property);
      expect(r.kill!.failure.actions.length).toBeLessThanOrEqual(longest);
    });
  }

  it('refused-start-not-undone is killed by no-hung-task too, which odp-mirror holds in kernel-queue: a task that can never finish, named with what it waits on', () => {
    // The base verdict, checked here as well as in the manifest: odp-mirror holds no-hung-task in kernel-queue.
    const base = checkModel(makeModel(design('odp-mirror'), configByName('kernel-queue')!), [noHungTask, kernelTaskWaits], budget, true);
    expect(base.failures).toEqual([]);
    expect(base.reached.has('sometimes-kernel-task-waits')).toBe(true);
    const r = checkModel(makeModel(design('odp-mirror'), variant('refused-start-not-undone')), [noHungTask, kernelTaskWaits], budget, true);
    const f = r.failures[0];
    expect(f?.property).toBe('no-hung-task');
    expect(f!.actions.length).toBeLessThanOrEqual(16);
    expect(String(f!.violation.values.task)).toMatch(/^(fault|submit|invalidation|registration|deregistration|exit|restore|migration):/);
    expect(f!.violation.message).toContain('cannot finish by kernel and hardware steps alone: it waits on');
  });

  it('a variant that no design can notice survives (a design without pins does not see pinned pages reclaimed)', () => {
    const r = runVariant(variant('reclaim-pinned'), [design('odp-mirror')], { ...budget, runs: 100 }, loadManifest());
    expect(r.kill).toBeNull();
  });

  it('check --config takes a variant, holds the design to its base verdicts, and writes a file replay takes', async () => {
    const out = tmp();
    const r = await cli('check', '--strategy', 'odp-mirror', '--config', 'reclaim-without-notifier', '--out', out);
    expect(r.code).toBe(1);
    expect(r.out).toContain('kernel variant reclaim-without-notifier');
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const replay = await cli('replay', join(out, files[0]!));
    expect(replay.code).toBe(0);
    expect(replay.out).toContain('kernel variant of kernel-queue');
  });

  it('check --config refuses a variant for a design its base config does not check', async () => {
    const r = await cli('check', '--strategy', 'peerdirect-revoke', '--config', 'reclaim-pinned');
    expect(r.code).toBe(2);
    expect(r.all).toContain("not checked in 'kernel-queue'");
  });
});

describe('notifier-bookkeeping', () => {
  const p = propertyById('notifier-bookkeeping')!;
  const m = model('odp-mirror', 'kernel-queue');
  /** The property's verdict on `s` after the step whose events are `events`, from memory `mem`. */
  const judge = (s: ReturnType<typeof init>, events: Parameters<typeof p.check>[1]['events'], mem = p.init(viewOf(m, s))) =>
    p.check(mem, { view: viewOf(m, s), events, oracle: oracleFor(m, s) });

  it('holds along a walk of the kernel as it is', () => {
    const s = init(m);
    const mem = p.init(viewOf(m, s));
    let x = 5;
    for (let i = 0; i < 400; i++) {
      const acts = enabled(m, s);
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const events = stepInPlace(m, s, acts[x % acts.length]!);
      expect(judge(s, events, mem)).toBeNull();
    }
  });

  it('flags an active count that does not match the invalidations in progress, and a seq of the wrong parity', () => {
    const s = init(m);
    s.mms[0]!.active = 1;
    expect(judge(s, [])?.clause).toBe('active-count');
    const t = init(m);
    t.mms[0]!.seq |= 1;
    expect(judge(t, [])?.clause).toBe('seq-parity');
  });

  it('flags an invalidate_range_end that no start began', () => {
    const s = init(m);
    expect(judge(s, [{ t: 'invalidate_end', inv: 0, proc: 0, pages: 1, cause: 'migrate', changed: true }])?.clause).toBe('end-without-start');
  });
});
