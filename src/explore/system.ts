// What an explorer sees of a model: states, actions, a step that updates a state in place and returns
// what it emitted, a copy, a key for hashing, and each action's actor class. Nothing of the kernel.
export type ActorClass = 'kernel' | 'hardware' | 'user';

export interface TransitionSystem<S, A, E> {
  init(): S;
  enabled(s: S): A[];
  step(s: S, a: A): E[];
  clone(s: S): S;
  key(s: S): string;
  actor(a: A): ActorClass;
  /** A name grouping actions of one kind (explorers choose a kind first, then an instance). */
  kind(a: A): string;
  /** Every action kind with its actor class (for swarm testing). */
  kinds: readonly { kind: string; actor: ActorClass }[];
  /**
   * Put `s` in a canonical form in place: two states canonical alike have the same futures, so a search
   * may keep one. With `anchor`, the values of `anchor` keep their meaning (a goal that compares with
   * them is decided alike). Absent: states are compared as they are.
   */
  canonicalize?(s: S, anchor?: S): void;
}

/** Checks properties along one execution; created at the initial state. */
export interface Checker<S, E, V> {
  check(s: S, events: readonly E[]): V | null;
  /** Names of the `sometimes` witnesses reached so far. */
  reached: ReadonlySet<string>;
  /** Put `s` and the checker's own memory in canonical form together, in place (see TransitionSystem). */
  canonicalize?(s: S): void;
}
