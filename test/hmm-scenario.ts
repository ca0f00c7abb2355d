// A small scenario builder for the HMM conformance suite (test/hmm-selftests.test.ts), until the scenario
// language of issue 12 exists: one file, so that it can later be switched to the shared runner.
//   - `step(kind, a, b)`: one action, asserted enabled where it stands; the properties are checked after it;
//   - named slots: `submit('read0', p, v)` names the job slot it took, so that later steps say "the job
//     submitted as read0" (`job('read0')`), not a slot number nobody can guess;
//   - `settle()`: runs kernel and hardware actions to quiescence, deterministically (the first enabled one,
//     in the model's order, each step checked), leaving out the kernel's own new work (ActionKind.starts:
//     a migration, a reclaim, an OOM kill), so "let the kernel and the hardware finish what is pending";
//   - what a self-test asserts, read from the events: the value a job's DMA read (`deviceRead`), the errno
//     its fence carries (`errno`), the value a CPU load saw (`cpuRead`), a snapshot (model/hmm.ts).
import { expect } from 'vitest';
import { enabled, formatAction, init, makeModel, sameAction, stepInPlace, type Model } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import type { Action, Config, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import type { Property } from '../properties/types.ts';
import { Monitor } from '../src/system.ts';

/** A bound on settle's steps: a hang guard, far above what any scenario needs. */
const SETTLE_BOUND = 200;

export class Scenario {
  readonly m: Model;
  readonly s: State;
  private readonly mon: Monitor;
  /** Every event so far, in order, each with the index of the step that emitted it. */
  readonly log: { step: number; e: ModelEvent }[] = [];
  /** Every step so far, as a reader sees it. */
  readonly trace: string[] = [];
  private readonly slots = new Map<string, { job: number; from: number }>();

  constructor(strategy: string, config: string | Config, readonly props: readonly Property<any>[], mutant: string | null = null) {
    const cfg = typeof config === 'string' ? configByName(config) : config;
    const st = strategyByName(strategy);
    if (!cfg || !st) throw new Error(`no ${strategy} / ${String(config)}`);
    this.m = makeModel(st, cfg, mutant);
    this.s = init(this.m);
    this.mon = new Monitor(this.m, props, this.s);
  }

  /** Is `k(a, b)` enabled now? */
  can(k: string, a = -1, b = -1): boolean {
    return enabled(this.m, this.s).some((e) => sameAction(e, { k, a, b }));
  }

  /** One action, which must be enabled; every property is checked after it. Returns what it emitted. */
  step(k: string, a = -1, b = -1): ModelEvent[] {
    const act: Action = { k, a, b };
    const text = formatAction(this.m, act);
    expect(this.can(k, a, b), `${text} enabled after: ${this.trace.join('; ')}`).toBe(true);
    const events = stepInPlace(this.m, this.s, act);
    this.trace.push(text);
    const n = this.trace.length - 1;
    for (const e of events) this.log.push({ step: n, e });
    const v = this.mon.check(this.s, events);
    expect(v, v ? `${v.property} broke at ${text}: ${v.message}\n${this.trace.join('; ')}` : '').toBeNull();
    return events;
  }

  /**
   * Run kernel and hardware actions (not new kernel work) until none is enabled; returns how many ran.
   * Fair and deterministic: of the enabled ones, the one taken least recently (then the model's order),
   * so that a retry loop (read_begin, range_fault, -EBUSY) lets the invalidation it waits for run.
   */
  settle(): number {
    const last = new Map<string, number>();
    for (let n = 0; n < SETTLE_BOUND; n++) {
      const cands = enabled(this.m, this.s).filter((a) => {
        const k = this.m.kinds.get(a.k)!;
        return k.actor !== 'user' && !k.starts;
      });
      if (cands.length === 0) return n;
      const key = (a: Action) => formatAction(this.m, a);
      let next = cands[0]!;
      for (const a of cands) if ((last.get(key(a)) ?? -1) < (last.get(key(next)) ?? -1)) next = a;
      last.set(key(next), n);
      this.step(next.k, next.a, next.b);
    }
    throw new Error(`settle: still not quiescent after ${SETTLE_BOUND} steps: ${this.trace.slice(-10).join('; ')}`);
  }

  /**
   * Submit a job that reads (or writes) (p, v), named `name`: its slot is the one the submission took. On
   * device 1 (`dev` 1, a config with two mirroring devices: the hmm2 fixture's fd1), `submit1`.
   */
  submit(name: string, p: number, v: number, write = false, dev = 0): void {
    const free = this.s.jobs.findIndex((j) => j.state === 'free');
    expect(free, `a free job slot for ${name}`).toBeGreaterThanOrEqual(0);
    const kind = dev === 1 ? 'submit1' : 'submit';
    this.step(write ? `${kind}_write` : kind, p, v);
    this.slots.set(name, { job: free, from: this.log.length });
  }

  /** The job slot of the submission named `name`. */
  job(name: string): number {
    const x = this.slots.get(name);
    if (!x) throw new Error(`no job named ${name}`);
    return x.job;
  }

  private jobEvents(name: string): ModelEvent[] {
    const x = this.slots.get(name)!;
    const out: ModelEvent[] = [];
    for (const { e } of this.log.slice(x.from)) {
      if ('job' in e && e.job === x.job) {
        out.push(e);
        if (e.t === 'fence_signal') break; // the slot is free again after this
      }
    }
    return out;
  }

  /** The value the named job's DMA read, or null if it landed none. */
  deviceRead(name: string): number | null {
    const e = this.jobEvents(name).find((x) => x.t === 'dma_land');
    return e && e.t === 'dma_land' ? e.value : null;
  }

  /** The named job landed a DMA (a read or a write). */
  landed(name: string): boolean {
    return this.jobEvents(name).some((x) => x.t === 'dma_land');
  }

  /** The errno the named job failed with, or null. */
  errno(name: string): string | null {
    const e = this.jobEvents(name).find((x) => x.t === 'job_error');
    return e && e.t === 'job_error' ? e.errno : null;
  }

  /** How many device faults the named job took (hmm_dmirror_cmd's `faults`). */
  faults(name: string): number {
    return this.jobEvents(name).filter((x) => x.t === 'device_fault').length;
  }

  /** A CPU load of (p, v); returns what it read. */
  cpuRead(p: number, v: number): number {
    const e = this.step('cpu_read', p, v).find((x) => x.t === 'cpu_read');
    if (!e || e.t !== 'cpu_read') throw new Error('no cpu_read event');
    return e.value;
  }

  /** A CPU store to (p, v) (a copy-on-write break first, settled, if the page is shared); returns the value stored. */
  cpuWrite(p: number, v: number): number {
    for (let tries = 0; tries < 3; tries++) {
      const e = this.step('cpu_write', p, v).find((x) => x.t === 'cpu_write');
      if (e && e.t === 'cpu_write') return e.value;
      this.settle(); // do_wp_page: the copy is an invalidation; the store is retried after it
    }
    throw new Error(`cpu_write(p${p}, v${v}) never stored`);
  }

  /** Events of one kind so far. */
  events<T extends ModelEvent['t']>(t: T): Extract<ModelEvent, { t: T }>[] {
    return this.log.filter((x) => x.e.t === t).map((x) => x.e as Extract<ModelEvent, { t: T }>);
  }
}
