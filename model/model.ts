// The transition system: a strategy (and mutant) in a config. `enabled` lists the actions a state allows;
// `step` is pure (returns a new state); `stepInPlace` updates a state the caller owns, for explorers that
// walk without keeping the past.
import type { Action, Actor, Config, State } from './types.ts';
import type { ModelEvent } from './events.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import { applyWorld, initialState, worldEnabled, worldKindsOf } from './world.ts';
import { secondNotifierKinds } from './subscriptions.ts';
import { clonePlain } from './clone.ts';
import { exitActionKinds } from './exit.ts';

export interface Model {
  cfg: Config;
  strategy: Strategy;
  mutant: string | null;
  /** kind -> description, the world's and the strategy's. */
  kinds: Map<string, ActionKind>;
}

export function makeModel(strategy: Strategy, cfg: Config, mutant: string | null = null): Model {
  if (mutant !== null && !strategy.mutants.some((m) => m.name === mutant)) {
    throw new Error(`strategy ${strategy.name} has no mutant '${mutant}'`);
  }
  const kinds = new Map<string, ActionKind>();
  for (const k of worldKindsOf(cfg)) {
    // The second mm user's actions exist only where the scope gives processes a second notifier, and it
    // is not the second mirroring device's (Config.mirrors: that notifier is its driver's).
    if (((cfg.scope.notifiers ?? 1) === 1 || cfg.mirrors === 2) && secondNotifierKinds.has(k.kind)) continue;
    kinds.set(k.kind, k);
  }
  // Only a config that models exit has its actions (so that the others' explorers draw from the same kinds).
  if (cfg.exit) for (const k of exitActionKinds) kinds.set(k.kind, k);
  // A driver that kills (SIGKILL) has its victims exit through exit_mmap in every config it runs in.
  else if (strategy.killsProcesses === true) for (const k of exitActionKinds) if (k.kind === 'exit_mmap') kinds.set(k.kind, k);
  for (const k of strategy.actionKinds) if (k.mirrors === undefined || k.mirrors === (cfg.mirrors ?? 1)) kinds.set(k.kind, k);
  const m: Model = { cfg, strategy, mutant, kinds };
  context(m, discard); // made with the model, so that its shape does not change on first use
  return m;
}

/** A model's one DriverContext and the array its `emit` appends to. */
interface Context {
  ctx: DriverContext;
  sink: ModelEvent[];
}

/**
 * One context per model object, made on first use and kept under a non-enumerable key: enabled() and
 * stepInPlace() only point its sink at their own array, so no closure or context is allocated per step.
 * A copy of a model (`{ ...m, mutant: null }`) does not carry the key, and gets its own.
 */
const CONTEXT: unique symbol = Symbol('dmacheck.context');
type WithContext = Model & { [CONTEXT]?: Context };

/** What enabled() emits is dropped: a guard's events are no step's. */
const discard: ModelEvent[] = [];

function context(m: Model, events: ModelEvent[]): DriverContext {
  let c = (m as WithContext)[CONTEXT];
  if (c === undefined || c.ctx.mutant !== m.mutant || c.ctx.cfg !== m.cfg) {
    const made: Context = { ctx: { cfg: m.cfg, mutant: m.mutant, emit: (e) => void made.sink.push(e) }, sink: discard };
    Object.defineProperty(m, CONTEXT, { value: made, writable: true, enumerable: false, configurable: true });
    c = made;
  }
  c.sink = events;
  return c.ctx;
}

export function init(m: Model): State {
  const s = initialState(m.cfg);
  s.dev.kind = m.strategy.device.kind;
  s.dev.recoverable = m.strategy.device.recoverable;
  if (s.dev1) {
    // Two mirroring devices (Config.mirrors): the same kind of device, driven by the same driver.
    s.dev1.kind = m.strategy.device.kind;
    s.dev1.recoverable = m.strategy.device.recoverable;
  }
  s.drv = m.strategy.init(s, m.cfg);
  return s;
}

/** The actions `s` allows; `driver`: the driver's, already listed by driverEnabled (not listed again). */
export function enabled(m: Model, s: State, driver?: readonly Action[]): Action[] {
  const out: Action[] = [];
  const ctx = context(m, discard);
  worldEnabled(s, m.cfg, m.strategy, ctx, out);
  if (driver) out.push(...driver);
  else m.strategy.enabled(s, ctx, out);
  discard.length = 0;
  return out;
}

/**
 * The driver's own actions only (Strategy.enabled, without the world's): the tail of enabled(), in the
 * same order. The progress oracle's driver-first dives read it before the whole list (src/system.ts).
 */
export function driverEnabled(m: Model, s: State): Action[] {
  const out: Action[] = [];
  m.strategy.enabled(s, context(m, discard), out);
  discard.length = 0;
  return out;
}

/** Whether a strategy declares an action kind the world also has (its own then replaces the world's). */
export function overridesWorldKind(m: Model): boolean {
  const world = new Set([...worldKindsOf(m.cfg), ...exitActionKinds].map((k) => k.kind));
  for (const k of secondNotifierKinds) world.add(k);
  return m.strategy.actionKinds.some((k) => world.has(k.kind));
}

export function actorOf(m: Model, a: Action): Actor {
  const k = m.kinds.get(a.k);
  if (!k) throw new Error(`unknown action kind '${a.k}'`);
  return k.actor;
}

/** Apply `a` to `s` in place and return what it emitted. The caller checks that `a` is enabled. */
export function stepInPlace(m: Model, s: State, a: Action): ModelEvent[] {
  const events: ModelEvent[] = [];
  const ctx = context(m, events);
  if (!applyWorld(s, a, m.cfg, m.strategy, ctx)) m.strategy.apply(s, a, ctx);
  return events;
}

/** The pure step: a new state and the events. */
export function step(m: Model, s: State, a: Action): { state: State; events: ModelEvent[] } {
  const t = clonePlain(s);
  return { state: t, events: stepInPlace(m, t, a) };
}

export function sameAction(x: Action, y: Action): boolean {
  return x.k === y.k && x.a === y.a && x.b === y.b;
}

export function isEnabled(m: Model, s: State, a: Action): boolean {
  return enabled(m, s).some((e) => sameAction(e, a));
}

/** An action printed as a call: `migrate(p0, v1)`. */
export function formatAction(m: Model, a: Action): string {
  const k = m.kinds.get(a.k);
  const names = k?.args ?? [];
  const parts: string[] = [];
  if (a.a !== -1) parts.push(`${names[0] ?? ''}${a.a}`);
  if (a.b !== -1) parts.push(`${names[1] ?? ''}${a.b}`);
  return `${a.k}(${parts.join(', ')})`;
}
