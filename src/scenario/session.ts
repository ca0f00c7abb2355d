// A scenario run step by step, as a library: act by call text (`submit(p0, v1)`, with a name for the
// slots the step fills), settle (kernel and hardware to quiescence, deterministically), and read back the
// names, the events and the state. `dmacheck run` drives one from a scenario file (src/scenario/run.ts);
// a test drives one directly:
//
//   const s = new ScenarioSession(makeModel(strategyByName('odp-mirror')!, configByName('kernel-queue')!));
//   s.act('register(p0)'); s.act('submit(p0, v1)', 'j'); s.act('dma_start(j)'); s.settle();
//   const { explanation } = s.explain();          // every property checked at every step
import type { Model } from '../../model/model.ts';
import { enabled, formatAction, init, sameAction, stepInPlace } from '../../model/model.ts';
import { clonePlain } from '../../model/clone.ts';
import type { Action, State } from '../../model/types.ts';
import type { ModelEvent } from '../../model/events.ts';
import { verdictProperties } from '../../properties/index.ts';
import type { Property } from '../../properties/types.ts';
import { explainTrace, type Explanation } from '../explain/explanation.ts';
import { slotsBorn } from '../explain/slots.ts';
import { parseCall, resolveCall, ScenarioError, type Bindings, type SlotRef } from './call.ts';
import { whyNotEnabled } from './guards.ts';

export const DEFAULT_SETTLE_BOUND = 100;

export class ScenarioSession {
  readonly state: State;
  readonly actions: Action[] = [];
  /** What each step emitted: events[i] for actions[i]. */
  readonly events: ModelEvent[][] = [];
  readonly bindings: Bindings = { names: new Map(), steps: new Map() };

  constructor(readonly model: Model) {
    this.state = init(model);
  }

  /** The number of steps run so far. */
  get steps(): number {
    return this.actions.length;
  }

  /**
   * Run one action written as a call; `name` names the slots it fills (the job a submit takes, the
   * invalidation a migrate begins, the fault context a register starts). `where` prefixes an error.
   */
  act(text: string, name?: string, where = `step ${this.steps + 1}`): ModelEvent[] {
    const call = parseCall(text);
    if (!call) throw new ScenarioError(`${where}: '${text}' is not a call such as submit(p0, v1)`);
    const a = resolveCall(this.model, this.state, call, this.bindings, where);
    const en = enabled(this.model, this.state);
    if (!en.some((e) => sameAction(e, a))) {
      const list = en.map((e) => formatAction(this.model, e)).join(', ') || 'nothing';
      throw new ScenarioError(`${where}: step ${this.steps + 1}, ${formatAction(this.model, a)}, is not enabled: ${whyNotEnabled(this.model, this.state, a)}. Enabled here: ${list}`);
    }
    return this.apply(a, name);
  }

  /** Run an action (already resolved), binding `name` to the slots it fills. */
  apply(a: Action, name?: string): ModelEvent[] {
    const before = clonePlain(this.state);
    const events = stepInPlace(this.model, this.state, a);
    this.actions.push(a);
    this.events.push(events);
    const n = this.steps;
    const refs: SlotRef[] = slotsBorn(before, this.state, n, formatAction(this.model, a), this.model.cfg.queue).map((l) => {
      const m = /^([a-z_]+?)(\d+)$/.exec(l.id)!;
      return { id: l.id, prefix: m[1]!, index: Number(m[2]) };
    });
    this.bindings.steps.set(n, refs);
    if (name !== undefined) this.bindings.names.set(name, refs);
    return events;
  }

  /**
   * Run kernel and hardware steps to quiescence, deterministically: repeatedly the first enabled one in
   * the model's order (the world's, then the strategy's), leaving out those that begin new work on the
   * kernel's own initiative (a migration, a reclaim, an OOM kill: ActionKind `starts`). Hitting `max`
   * steps is an error (a cycle, or work that never ends). Returns the actions run.
   */
  settle(max = DEFAULT_SETTLE_BOUND, where = `settle after step ${this.steps}`): Action[] {
    const ran: Action[] = [];
    for (;;) {
      const next = enabled(this.model, this.state).find((a) => {
        const k = this.model.kinds.get(a.k)!;
        return k.actor !== 'user' && !k.starts;
      });
      if (!next) return ran;
      if (ran.length >= max) {
        const tail = ran.slice(-6).map((a) => formatAction(this.model, a)).join(', ');
        throw new ScenarioError(`${where}: no quiescence within ${max} kernel and hardware steps (the last ones: ${tail}); 'settle max N' raises the bound`);
      }
      this.apply(next);
      ran.push(next);
    }
  }

  /** The slots a name or a step (`@3`) refers to. */
  slots(ref: string): SlotRef[] | undefined {
    const m = /^@(\d+)$/.exec(ref);
    return m ? this.bindings.steps.get(Number(m[1])) : this.bindings.names.get(ref);
  }

  /** The whole run explained, with every property checked at every step (all verdict properties by default). */
  explain(props: readonly Property<any>[] = verdictProperties): { explanation: Explanation } {
    return { explanation: explainTrace(this.model, this.actions, props, { continueAfterViolation: true }) };
  }
}
