// An action written as the trace prints it, `submit(p0, v1)`, `dma_start(job0)`, `read_begin(fault3)`,
// read back into an Action: each argument is a number with its kind's prefix (`p0`, `v1`, `job0`), a bare
// number, a name bound with `as` (`dma_start(j)`), or the slot a step filled (`dma_start(@2)`: the job
// the second step submitted).
import type { Model } from '../../model/model.ts';
import type { Action, State } from '../../model/types.ts';
import { NONE } from '../../model/types.ts';

export class ScenarioError extends Error {}

export interface Call {
  kind: string;
  args: string[];
}

/** `kind(a, b)` or `kind()` or `kind`; null if the text is not a call. */
export function parseCall(text: string): Call | null {
  const m = /^([a-z_][a-z0-9_]*)\s*(?:\(\s*([^()]*?)\s*\))?$/i.exec(text.trim());
  if (!m) return null;
  const args = m[2] === undefined || m[2] === '' ? [] : m[2].split(',').map((x) => x.trim());
  if (args.some((a) => a === '')) return null;
  return { kind: m[1]!, args };
}

/** A slot some step filled: its kind prefix (`job`, `inv`, `fault`) and index. */
export interface SlotRef {
  id: string;
  prefix: string;
  index: number;
}

/** What names and step numbers refer to: the slots each filled. */
export interface Bindings {
  /** name -> the slots the step it names filled. */
  names: Map<string, SlotRef[]>;
  /** 1-based step -> the slots it filled. */
  steps: Map<number, SlotRef[]>;
}

/** How many slots of an argument kind the state has, and what they are called. */
function slotCount(s: State, arg: string): { n: number; what: string } | null {
  switch (arg) {
    case 'p':
      return { n: s.mms.length, what: 'processes' };
    case 'v':
      return { n: s.mms[0]!.ptes.length, what: 'virtual pages per process' };
    case 'job':
      return { n: s.jobs.length, what: 'job slots' };
    case 'inv':
      return { n: s.invs.length, what: 'invalidation slots' };
    default: {
      // A driver's own slots: drv.<arg>s (faults, moves), an array.
      const arr = (s.drv as Record<string, unknown> | null)?.[`${arg}s`];
      return Array.isArray(arr) ? { n: arr.length, what: `${arg} slots of the driver` } : null;
    }
  }
}

/** Resolve a call against the model's action kinds, the state's slots and the bindings so far. */
export function resolveCall(m: Model, s: State, call: Call, b: Bindings, where: string): Action {
  const kind = m.kinds.get(call.kind);
  if (!kind) {
    throw new ScenarioError(`${where}: unknown action '${call.kind}' for strategy ${m.strategy.name} (one of: ${[...m.kinds.keys()].join(', ')})`);
  }
  const names = kind.args;
  if (call.args.length !== names.length) {
    const sig = `${call.kind}(${names.map((n, i) => `${n}${i}`).join(', ')})`;
    throw new ScenarioError(`${where}: ${call.kind} takes ${names.length} argument(s), as in ${sig}; got ${call.args.length}`);
  }
  const vals = call.args.map((text, i) => resolveArg(s, names[i]!, text, b, where, call.kind));
  return { k: call.kind, a: vals[0] ?? NONE, b: vals[1] ?? NONE };
}

function resolveArg(s: State, arg: string, text: string, b: Bindings, where: string, kind: string): number {
  let n: number | undefined;
  const plain = /^-?\d+$/.exec(text);
  const prefixed = new RegExp(`^${arg}(\\d+)$`).exec(text);
  const step = /^@(\d+)$/.exec(text);
  if (plain) n = Number(text);
  else if (prefixed) n = Number(prefixed[1]);
  else if (step || /^[A-Za-z_][\w]*$/.test(text)) {
    const filled = step ? b.steps.get(Number(step[1])) : b.names.get(text);
    const what = step ? `step ${step[1]}` : `'${text}'`;
    if (!filled) {
      if (step) throw new ScenarioError(`${where}: ${kind}'s ${arg} argument @${step[1]}: there is no step ${step[1]} yet`);
      const known = [...b.names.keys()];
      throw new ScenarioError(`${where}: ${kind}'s ${arg} argument '${text}' is not a slot name (${arg}N or a number), nor a name bound with 'as' (${known.length ? `bound so far: ${known.join(', ')}` : 'none bound so far'})`);
    }
    const ref = filled.find((r) => r.prefix === arg);
    if (!ref) {
      throw new ScenarioError(`${where}: ${what} filled no ${arg} slot (it filled ${filled.map((r) => r.id).join(', ') || 'nothing'}), so it cannot be ${kind}'s ${arg} argument`);
    }
    n = ref.index;
  } else {
    throw new ScenarioError(`${where}: ${kind}'s argument '${text}': expected ${arg}N, a number, a name bound with 'as', or @STEP`);
  }
  const count = slotCount(s, arg);
  if (count && (n < 0 || n >= count.n)) {
    throw new ScenarioError(`${where}: ${arg}${n} does not exist: the scope has ${count.n} ${count.what} (${arg}0..${arg}${count.n - 1})`);
  }
  return n;
}
