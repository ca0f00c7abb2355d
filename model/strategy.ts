// The interface a driver design implements to be checked: the same one a user implements for their own
// driver (docs/driver-guide.md writes the contract out). A strategy owns `state.drv` (plain data), offers
// its own atomic steps as actions, and is called back by the world where the kernel calls a driver:
// registration, submission, the invalidate callback, a device page fault, a fence signalling.
//
// `Strategy<D, M, K>` is typed by the driver's own state D, its mutant names M and its action kinds K;
// `defineStrategy` infers all three from the definition, so a driver reads `s.drv` without a cast and a
// misspelt mutant or action kind is a compile error. The world holds every strategy as a plain `Strategy`.
import type { Action, Actor, Config, DeviceKind, Job, State } from './types.ts';
import type { Emit } from './events.ts';
import type { Counters } from './canonical.ts';
import type { InvSymmetry, JobSymmetry } from './symmetry.ts';
import type { Wait } from './waits.ts';

export interface MutantInfo<M extends string = string> {
  /** Stable name, used on the command line and in counterexample files. */
  name: M;
  /** The real bug pattern it stands for. */
  pattern: string;
  /**
   * The configs of the strategy where the bug can show at all (e.g. only where user space may
   * mprotect); absent: every config of the strategy. `dmacheck mutants` tries only these.
   */
  configs?: readonly string[];
}

/** What the world hands a strategy on every call. */
export interface DriverContext<M extends string = string> {
  cfg: Config;
  /** The mutant running, or null for the correct design. Only the strategy itself reads it. */
  mutant: M | null;
  emit: Emit;
}

/** An action kind the strategy adds: its actor and the names of its two arguments, for printing. */
export interface ActionKind<K extends string = string> {
  kind: K;
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
  /**
   * Optional: when the action is enabled, in a few words ("fault context f has taken its seq and its
   * snapshot, and the driver lock is free"): a scenario that runs the action where it is not enabled
   * says this (src/scenario/guards.ts).
   */
  guard?: string;
  /**
   * Optional: the action exists only in configs with this many mirroring devices (Config.mirrors), e.g. a
   * driver's ioctl on the second device's file; elsewhere the model does not have it (so that the other
   * configs' explorers draw from the same kinds as before).
   */
  mirrors?: number;
}

/** One of a strategy's own actions, as `apply` receives it. */
export interface DriverAction<K extends string = string> extends Action {
  k: K;
}

/**
 * A driver design. D: the type of `state.drv`; M: the mutant names; K: the strategy's action kinds.
 * Hooks are methods, so a `Strategy<MyDriver, ...>` is a `Strategy`.
 */
export interface Strategy<D = unknown, M extends string = string, K extends string = string> {
  name: string;
  /** One line: what the design does. */
  summary: string;
  /** Which seed thread or kernel code it comes from. */
  from: string;
  device: { kind: DeviceKind; recoverable: boolean };
  /** Names of the configs it is checked in. */
  configs: readonly string[];
  mutants: readonly MutantInfo<M>[];
  /** Jobs need a live registration of their process (an MR, a userptr). */
  needsRegistration: boolean;
  actionKinds: readonly ActionKind<K>[];

  /** The driver's state at start-up: plain data (numbers, booleans, arrays, records of them). */
  init(s: State, cfg: Config): D;
  /** Push the strategy's enabled actions (guards only). */
  enabled(s: State<D>, ctx: DriverContext<M>, out: Action[]): void;
  /** Apply one of the strategy's actions (an update in place on a state the caller owns). */
  apply(s: State<D>, a: DriverAction<K>, ctx: DriverContext<M>): void;

  /** Whether a registration of `proc` may be made now (e.g. a pin needs every page present). */
  canRegister(s: State<D>, proc: number, ctx: DriverContext<M>): boolean;
  onRegister(s: State<D>, proc: number, ctx: DriverContext<M>): void;
  /** Deregistration asked: finish it at once, or leave `regs[proc].closing` and finish in an action. */
  onDeregister(s: State<D>, proc: number, ctx: DriverContext<M>): void;
  /** A job was submitted to a kernel-owned queue (the kernel never sees user-queue submissions). */
  onSubmit(s: State<D>, job: number, ctx: DriverContext<M>): void;
  /** An invalidation began; the world set `cb[sub] = 0` for each live subscription of its process. */
  onInvalidateStart(s: State<D>, inv: number, ctx: DriverContext<M>): void;
  /** A recoverable device stalled on a missing translation for `job`. */
  onDeviceFault(s: State<D>, job: number, ctx: DriverContext<M>): void;
  /**
   * Optional: mn_hlist_release, the ->release of a struct mmu_notifier (amdkfd's
   * kfd_process_notifier_release): the mm of `proc` is exiting (exit_mmap, model/exit.ts), every interval
   * notifier's invalidate with MMU_NOTIFY_RELEASE (onInvalidateStart, cause `exit`) has returned, and the
   * pages are unmapped next. The device must no longer use the mm after it. Left out: nothing to do, which
   * is right for a design whose invalidate callback already stopped its device for the whole range.
   */
  onRelease?(s: State<D>, proc: number, ctx: DriverContext<M>): void;
  /**
   * Optional: the driver may send SIGKILL to a process (send_sig_info, as peerdirect-kill's callback does)
   * by setting `mms[p].killed` and `mms[p].exiting`. The killed process then exits through the world's
   * exit_mmap (model/exit.ts) in every config of the strategy, also where user space does not exit on its
   * own (Config.exit): the model has the `exit_mmap` action there. Left out: the driver kills no process.
   */
  killsProcesses?: boolean;
  /**
   * Optional: does the driver pin through a lockless page-table walk that never re-checks
   * mm->write_protect_seq (its own walk, or a gup_fast of the kernel before 57efa1fe5957)? Then fork's
   * copy_present_pte is two steps, its check for maybe-pinned pages and its write-protect (model/fork.ts
   * splitCopy), so that such a pin can land between them; elsewhere nothing can tell the two apart and
   * they stay one step. Only the driver reads its mutant here. Left out: no such walk.
   */
  gupFastWithoutSeq?(ctx: DriverContext<M>): boolean;
  /** `job`'s fence signalled (the job is still in its slot). */
  onFenceSignal(s: State<D>, job: number, ctx: DriverContext<M>): void;

  /**
   * The finite model (model/canonical.ts): pass every frame generation, seq, epoch or counter of the
   * driver's own that `drv` stores through `c`, storing back what it returns (`f.gen = c.gen(f.frame,
   * f.gen)`). A strategy that stores none needs no hook; one that stores some and has none has an
   * infinite state space, and `dmacheck prove` cannot finish on it.
   */
  counters?(drv: D, c: Counters, s: State<D>): void;
  /** Reset what `drv` holds that nothing reads before it is written again (a free slot's fields). */
  clearDead?(drv: D, s: State<D>): void;
  /**
   * Symmetry (model/symmetry.ts): where `drv` stores job slots, so that an exhaustive search may relabel
   * them and keep one state of each orbit. A driver that treats every slot alike says which of its arrays
   * are indexed by job slot and which fields name one; a driver without it is searched unreduced.
   * test/symmetry.test.ts checks the claim for every strategy that makes it.
   */
  jobSymmetry?: JobSymmetry;
  /**
   * Symmetry over invalidation slots (model/symmetry.ts): which arrays of `drv` are indexed by
   * invalidation slot and which fields name one (a lock its callback holds). A driver that keeps no such
   * thing says `{}`; a driver without it is searched with its invalidation slots unrelabelled.
   */
  invSymmetry?: InvSymmetry;
  /**
   * Optional: what the driver's paths wait on in `s` (model/waits.ts): name what a pending invalidate
   * callback waits on (`waitsOn`), and push the driver's own waits (a buffer move, a fault on a lock, a
   * fence-signalling path in reclaim). Pure: reads `s`, emits nothing. The liveness properties name these.
   */
  waits?(s: State<D>, ctx: DriverContext<M>, out: Wait[]): void;
}

/** Defaults for the hooks a strategy does not need. */
export const noHooks = {
  canRegister: () => true,
  onRegister: () => {},
  onDeregister: () => {},
  /** By default the job goes straight to the hardware. */
  onSubmit: (s: { jobs: Job[] }, job: number) => {
    s.jobs[job]!.state = 'ready';
  },
  onInvalidateStart: () => {},
  onDeviceFault: () => {},
  onFenceSignal: () => {},
} satisfies Partial<Strategy>;

type Hook = keyof typeof noHooks;

/** What `defineStrategy` takes: a Strategy whose hooks may be left out (they default to `noHooks`). */
export type StrategySpec<D, M extends string, K extends string> = Omit<Strategy<D, M, K>, Hook> & Partial<Pick<Strategy<D, M, K>, Hook>>;

/**
 * Define a strategy, typed by what it is: D from `init`'s return type (annotate it: `init: (s): MyDriver
 * => ...`), the mutant names from `mutants`, the action kinds from `actionKinds`. Hooks left out do
 * nothing (a submitted job goes straight to the hardware). `init`'s result is checked to be plain data
 * (it is copied, hashed and compared by the explorers); a function, a Map, a class instance, a string
 * that grows, an undefined field is an error naming the field.
 */
export function defineStrategy<D, const M extends string = never, const K extends string = never>(spec: StrategySpec<D, M, K>): Strategy<D, M, K> {
  const init = spec.init;
  return {
    ...noHooks,
    ...spec,
    init(s, cfg) {
      const d = init(s, cfg);
      assertPlain(d, `strategy ${spec.name}: init() returned`, 'drv');
      return d;
    },
  } as Strategy<D, M, K>;
}

/** Throw unless `x` is plain data: numbers, booleans, strings, null, arrays and plain records of them. */
export function assertPlain(x: unknown, who: string, path: string): void {
  if (x === null || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string') {
    if (typeof x === 'number' && !Number.isFinite(x)) throw new TypeError(`${who} ${path} = ${x}: expected a finite number`);
    return;
  }
  if (Array.isArray(x)) {
    x.forEach((v, i) => assertPlain(v, who, `${path}[${i}]`));
    return;
  }
  if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const [k, v] of Object.entries(x)) assertPlain(v, who, `${path}.${k}`);
    return;
  }
  const what = x === undefined ? 'undefined' : typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'non-plain'} object` : `a ${typeof x}`;
  throw new TypeError(`${who} ${path} as ${what}: driver state must be plain data (numbers, booleans, arrays, plain records), so that it can be copied, hashed and printed`);
}
