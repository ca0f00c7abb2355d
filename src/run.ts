// Run an action list from the initial state, checking properties after every step: the one executor
// behind replay, shrinking and the counterexample printer.
import type { Model } from '../model/model.ts';
import { enabled, formatAction, init, sameAction, stepInPlace } from '../model/model.ts';
import type { Action, State } from '../model/types.ts';
import type { ModelEvent } from '../model/events.ts';
import type { Property, Violation } from '../properties/types.ts';
import { Monitor } from './system.ts';

export interface TraceStep {
  index: number;
  action: Action;
  text: string;
  actor: string;
  events: ModelEvent[];
}

export interface RunResult {
  /** The first violation, or null. */
  violation: Violation | null;
  /** Index of the action after which it broke (or -1). */
  step: number;
  /** Set when an action of the list was not enabled where it stood. */
  notEnabled: { index: number; action: Action } | null;
  /**
   * How many actions of the list were applied (the violating one included). A run that replayed the whole
   * list without a violation has `ran === actions.length`; one stopped by an action not enabled has
   * `ran === notEnabled.index`.
   */
  ran: number;
  reached: Set<string>;
  trace: TraceStep[];
  /** The state after the last action that ran (the violating one, or the last of the list). */
  state: State;
  /** What each action that ran emitted, in order: events[i] for actions[i]. */
  events: ModelEvent[][];
}

/** Run `actions` from the initial state; `record` keeps a printable trace. Props may be empty. */
export function runActions(m: Model, actions: readonly Action[], props: readonly Property<any>[] = [], record = false): RunResult {
  const s = init(m);
  const mon = new Monitor(m, props, s);
  const trace: TraceStep[] = [];
  const emitted: ModelEvent[][] = [];
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (!enabled(m, s).some((e) => sameAction(e, a))) {
      return { violation: null, step: -1, notEnabled: { index: i, action: a }, ran: i, reached: mon.reached, trace, state: s, events: emitted };
    }
    const events = stepInPlace(m, s, a);
    emitted.push(events);
    if (record) trace.push({ index: i, action: a, text: formatAction(m, a), actor: m.kinds.get(a.k)!.actor, events });
    const v = mon.check(s, events);
    if (v) return { violation: v, step: i, notEnabled: null, ran: i + 1, reached: mon.reached, trace, state: s, events: emitted };
  }
  return { violation: null, step: -1, notEnabled: null, ran: actions.length, reached: mon.reached, trace, state: s, events: emitted };
}
