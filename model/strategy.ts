// The interface a driver design implements to be checked: the same one a user implements for their own
// driver. A strategy owns `state.drv` (plain data), offers its own atomic steps as actions, and is called
// back by the world where the kernel calls a driver: registration, submission, the invalidate callback,
// a device page fault, a fence signalling.
import type { Action, Actor, Config, DeviceKind, DriverState, State } from './types.ts';
import type { Emit } from './events.ts';
import type { Counters } from './canonical.ts';
import type { Wait } from './waits.ts';

export interface MutantInfo {
  /** Stable name, used on the command line and in counterexample files. */
  name: string;
  /** The real bug pattern it stands for. */
  pattern: string;
}

/** What the world hands a strategy on every call. */
export interface DriverContext {
  cfg: Config;
  /** The mutant running, or null for the correct design. Only the strategy itself reads it. */
  mutant: string | null;
  emit: Emit;
}

/** An action kind the strategy adds: its actor and the names of its two arguments, for printing. */
export interface ActionKind {
  kind: string;
  actor: Actor;
  args: readonly string[];
  /** The kernel function or step it models. */
  models: string;
  /**
   * Begins new work on the kernel's own initiative (a migration, a reclaim, an OOM kill, a buffer move),
   * never the continuation of work in flight: the progress oracle asks whether what is pending can finish
   * without such steps (a retry of a refused move excepted).
   */
  starts?: boolean;
}

export interface Strategy {
  name: string;
  /** One line: what the design does. */
  summary: string;
  /** Which seed thread or kernel code it comes from. */
  from: string;
  device: { kind: DeviceKind; recoverable: boolean };
  /** Names of the configs it is checked in. */
  configs: readonly string[];
  mutants: readonly MutantInfo[];
  /** Jobs need a live registration of their process (an MR, a userptr). */
  needsRegistration: boolean;
  actionKinds: readonly ActionKind[];

  init(s: State, cfg: Config): DriverState;
  /** Push the strategy's enabled actions (guards only). */
  enabled(s: State, ctx: DriverContext, out: Action[]): void;
  /** Apply one of the strategy's actions (an update in place on a state the caller owns). */
  apply(s: State, a: Action, ctx: DriverContext): void;

  /** Whether a registration of `proc` may be made now (e.g. a pin needs every page present). */
  canRegister(s: State, proc: number, ctx: DriverContext): boolean;
  onRegister(s: State, proc: number, ctx: DriverContext): void;
  /** Deregistration asked: finish it at once, or leave `regs[proc].closing` and finish in an action. */
  onDeregister(s: State, proc: number, ctx: DriverContext): void;
  /** A job was submitted to a kernel-owned queue (the kernel never sees user-queue submissions). */
  onSubmit(s: State, job: number, ctx: DriverContext): void;
  /** An invalidation began; the world set `cb[sub] = 0` for each live subscription of its process. */
  onInvalidateStart(s: State, inv: number, ctx: DriverContext): void;
  /** A recoverable device stalled on a missing translation for `job`. */
  onDeviceFault(s: State, job: number, ctx: DriverContext): void;
  /** `job`'s fence signalled (the job is still in its slot). */
  onFenceSignal(s: State, job: number, ctx: DriverContext): void;

  /**
   * The finite model (model/canonical.ts): pass every frame generation, seq, epoch or counter of the
   * driver's own that `drv` stores through `c`, storing back what it returns (`f.gen = c.gen(f.frame,
   * f.gen)`). A strategy that stores none needs no hook; one that stores some and has none has an
   * infinite state space, and `dmacheck prove` cannot finish on it.
   */
  counters?(drv: DriverState, c: Counters, s: State): void;
  /** Reset what `drv` holds that nothing reads before it is written again (a free slot's fields). */
  clearDead?(drv: DriverState, s: State): void;
  /**
   * Optional: what the driver's paths wait on in `s` (model/waits.ts): name what a pending invalidate
   * callback waits on (`waitsOn`), and push the driver's own waits (a buffer move, a fault on a lock, a
   * fence-signalling path in reclaim). Pure: reads `s`, emits nothing. The liveness properties name these.
   */
  waits?(s: State, ctx: DriverContext, out: Wait[]): void;
}

/** Defaults for the hooks a strategy does not need. */
export const noHooks = {
  canRegister: () => true,
  onRegister: () => {},
  onDeregister: () => {},
  /** By default the job goes straight to the hardware. */
  onSubmit: (s: State, job: number) => {
    s.jobs[job]!.state = 'ready';
  },
  onInvalidateStart: () => {},
  onDeviceFault: () => {},
  onFenceSignal: () => {},
} satisfies Partial<Strategy>;
