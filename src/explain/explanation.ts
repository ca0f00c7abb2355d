// A counterexample explained as data first (as elle explains an anomaly), then rendered as text,
// Markdown with a Mermaid diagram, JSON or an HTML page (src/explain/render-*.ts): every step with its
// effects and the state's difference from the step before, every slot named by what it is, and for a
// violation the causal chain that leads to it, each link naming the step that made it true.
import type { Model } from '../../model/model.ts';
import { enabled, formatAction, init, sameAction, stepInPlace } from '../../model/model.ts';
import { clonePlain } from '../../model/clone.ts';
import type { Action, Actor, State } from '../../model/types.ts';
import type { ModelEvent } from '../../model/events.ts';
import { describeTarget, waitsOf, type Wait } from '../../model/waits.ts';
import { worldActionKinds } from '../../model/world.ts';
import { mprotectActionKinds } from '../../model/mprotect.ts';
import type { Property, Violation } from '../../properties/types.ts';
import { Monitor } from '../system.ts';
import { effectOfEvent, worldEffects, type Effect } from './effects.ts';
import { changeText, diffStates, flatten, type Cell, type Change, type FlatState } from './state.ts';
import { slotAt, slotsBorn, type SlotLife } from './slots.ts';

/** The lanes of the sequence diagram. */
export type Lane = 'user' | 'mm' | 'driver' | 'device' | 'queue';
export const laneNames: Record<Lane, string> = { user: 'user space and CPU', mm: 'core mm', driver: 'driver', device: 'device', queue: 'queue' };
export const lanes: readonly Lane[] = ['user', 'mm', 'driver', 'device', 'queue'];

export interface Broke {
  property: string;
  clause: string;
  message: string;
  values: Violation['values'];
}

export interface ExplainedStep {
  /** 1-based. */
  n: number;
  actor: Actor;
  /** The lane the step runs in, and the lane its call reaches (the same for a step that stays put). */
  lane: Lane;
  to: Lane;
  kind: string;
  /** The action as a call, `read_begin(fault3)`. */
  call: string;
  /** What the call's slots are, resolved (`fault3 = the fault of p0 v1 ...`), as a fast-check command comments them. */
  resolved: string[];
  /** The kernel function or step the action models. */
  models: string;
  effects: Effect[];
  /** Every field of the state that differs from the step before. */
  changes: Change[];
  /** What the kernel paths wait on after the step (model/waits.ts), in words. */
  waits: string[];
  broke?: Broke;
}

export interface ChainLink {
  /** The step that made the link true (1-based), or null for what holds at the end. */
  step: number | null;
  text: string;
}

export interface NotEnabled {
  /** 1-based step of the action that is not enabled. */
  n: number;
  call: string;
  /** What is enabled there, as calls. */
  enabled: string[];
}

export interface Explanation {
  strategy: string;
  mutant: string | null;
  config: string;
  queue: 'kernel' | 'user';
  verdict?: string;
  question?: string;
  /** The property judged (the first violation, or the one the file names). */
  property?: { id: string; meaning: string };
  /** The state before the first step, as rows. */
  initial: [string, Cell][];
  steps: ExplainedStep[];
  slots: SlotLife[];
  /** The first violation, with its step; null if every property checked held. */
  violation: (Broke & { step: number }) | null;
  /** Every property's first violation, in step order (with `continueAfterViolation`, more than one). */
  violations: (Broke & { step: number })[];
  chain: ChainLink[];
  notEnabled: NotEnabled | null;
}

export interface ExplainOptions {
  verdict?: string;
  question?: string;
  /** The property the trace is about (for its meaning), when none breaks. */
  property?: Property<any>;
  /** Run the whole list: a property that broke is not checked again, the others still are (scenarios). */
  continueAfterViolation?: boolean;
}

const worldKinds = new Set([...worldActionKinds, ...mprotectActionKinds].map((k) => k.kind));

/** The lane an action runs in. */
function laneOf(m: Model, kind: string, actor: Actor): Lane {
  if (actor === 'user') return 'user';
  if (actor === 'hardware') return kind.startsWith('dma_') ? 'device' : 'queue';
  return worldKinds.has(kind) || !m.strategy.actionKinds.some((k) => k.kind === kind) ? 'mm' : 'driver';
}

const effectLane: Partial<Record<Effect['kind'], Lane>> = {
  translated: 'device', programmed: 'device', zapped: 'device', fault: 'device', landed: 'mm',
  snapshot: 'mm', seq: 'driver', callback: 'driver', 'waited-on': 'driver', invalidation: 'driver', refused: 'driver',
  registration: 'driver', driver: 'driver', error: 'queue', signalled: 'queue', job: 'queue', queue: 'queue',
  read: 'mm', wrote: 'mm', freed: 'mm', allocated: 'mm', 'swapped-out': 'mm', 'swapped-in': 'mm',
  'copied-on-write': 'mm', remapped: 'mm', mapped: 'mm', unmapped: 'mm', moved: 'mm', process: 'mm', pinned: 'mm', unpinned: 'mm',
};

function laneOfEffect(e: Effect): Lane | undefined {
  // An invalidation that owes no callback stays in the core mm.
  if (e.kind === 'invalidation') return e.data['callbacks'] === undefined || e.data['callbacks'] === 0 ? 'mm' : 'driver';
  return effectLane[e.kind];
}

/** Where a user-space call goes: the CPU's to the core mm, a registration to the driver, a submission to the queue (user queues) or the driver. */
function callTarget(m: Model, kind: string): Lane | undefined {
  switch (kind) {
    case 'cpu_read': case 'cpu_write': case 'munmap': case 'mmap': case 'fork':
      return 'mm';
    case 'register': case 'deregister':
      return 'driver';
    case 'submit': case 'submit_write':
      return m.cfg.queue === 'user' ? 'queue' : 'driver';
    case 'user_signal':
      return 'queue';
    default:
      return undefined;
  }
}

/** The refs a driver-state row names: `drv faults[3] phase` -> `fault3`. */
function driverRef(path: string): string | null {
  const m = /^drv (\w+?)s?\[(\d+)\]/.exec(path);
  return m ? `${m[1]}${m[2]}` : null;
}

/** The driver's own changes, as one effect (what its private state did: no property reads it). */
function driverEffect(changes: readonly Change[]): Effect | null {
  const own = changes.filter((c) => c.path.startsWith('drv'));
  if (own.length === 0) return null;
  const refs = [...new Set(own.map((c) => driverRef(c.path)).filter((r): r is string => r !== null))];
  return { kind: 'driver', text: `driver state: ${own.map((c) => changeText({ ...c, path: c.path.replace(/^drv /, '') })).join('; ')}`, refs, data: {} };
}

/** Run `actions` from the initial state, checking `props` after every step, and explain what happened. */
export function explainTrace(m: Model, actions: readonly Action[], props: readonly Property<any>[], opts: ExplainOptions = {}): Explanation {
  const s = init(m);
  // One monitor per property, so that a step that breaks two is seen to break both (the first is reported).
  const mons = props.map((p) => new Monitor(m, [p], s));
  let flat = flatten(s);
  const initial = [...flat.entries()];
  const slots: SlotLife[] = [];
  const steps: ExplainedStep[] = [];
  const ctx = { cfg: m.cfg, mutant: m.mutant, emit: () => {} };
  let violation: Explanation['violation'] = null;
  const violations: (Broke & { step: number })[] = [];
  const broken = new Set<number>();
  let notEnabled: NotEnabled | null = null;
  let last: State = s;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    const en = enabled(m, s);
    if (!en.some((e) => sameAction(e, a))) {
      notEnabled = { n: i + 1, call: formatAction(m, a), enabled: en.map((e) => formatAction(m, e)) };
      break;
    }
    const before = clonePlain(s);
    const events = stepInPlace(m, s, a);
    const after = flatten(s);
    const n = i + 1;
    const call = formatAction(m, a);
    const born = slotsBorn(before, s, n, call, m.cfg.queue);
    slots.push(...born);
    const changes = diffStates(flat, after);
    flat = after;
    const effects = stepEffects(before, s, events, changes, born);
    const kind = m.kinds.get(a.k)!;
    const lane = laneOf(m, a.k, kind.actor);
    const to = callTarget(m, a.k) ?? effects.map(laneOfEffect).find((l): l is Lane => l !== undefined && l !== lane) ?? lane;
    const ws = waitsOf(m.strategy, s, ctx);
    const st: ExplainedStep = {
      n, actor: kind.actor, lane, to, kind: a.k, call, resolved: resolve(m, a, slots, n, steps), models: kind.models,
      effects, changes, waits: ws.filter((w) => w.on.length > 0).map((w) => `${w.what} waits on ${w.on.map((o) => describeTarget(o.target)).join(' and ')}`),
    };
    mons.forEach((mon, k) => {
      if (broken.has(k)) return;
      const v = mon.check(s, events);
      if (!v) return;
      broken.add(k);
      const b: Broke = { property: v.property, clause: v.clause, message: v.message, values: v.values };
      violations.push({ ...b, step: n });
      st.broke ??= b;
    });
    steps.push(st);
    if (st.broke && !violation) {
      last = clonePlain(s);
      violation = { ...st.broke, step: n };
      if (!opts.continueAfterViolation) break;
    }
  }
  const prop = violation ? props.find((p) => p.id === violation!.property) : opts.property ?? props[0];
  return {
    strategy: m.strategy.name,
    mutant: m.mutant,
    config: m.cfg.name,
    queue: m.cfg.queue,
    ...(opts.verdict !== undefined ? { verdict: opts.verdict } : {}),
    ...(opts.question !== undefined ? { question: opts.question } : {}),
    ...(prop ? { property: { id: prop.id, meaning: prop.meaning } } : {}),
    initial,
    steps,
    slots,
    violation,
    violations,
    chain: violation ? causalChain(m, steps.slice(0, violation.step), slots, violation, last) : [],
    notEnabled,
  };
}

function stepEffects(before: State, after: State, events: readonly ModelEvent[], changes: readonly Change[], born: readonly SlotLife[]): Effect[] {
  const out = events.map(effectOfEvent);
  out.push(...worldEffects(before, after, events));
  // A driver slot filled (a fault context started) is said once, not field by field.
  const driverBorn = born.filter((l) => !/^(job|inv)\d+$/.test(l.id));
  for (const l of driverBorn) out.push({ kind: 'driver', text: `${l.id}: ${l.what.replace(/ started by .*$/, '')} starts`, refs: [l.id], data: {} });
  const bornRows = (path: string) => driverBorn.some((l) => driverRef(path) === l.id);
  // The driver's private changes, unless an event of its own already said what its step did.
  const own = driverEffect(changes.filter((c) => !bornRows(c.path)));
  if (own && (out.length === 0 || !events.some((e) => e.t === 'fault_seq' || e.t === 'fault_snapshot' || e.t === 'mirror_program'))) out.push(own);
  return out;
}

/** The slots an action's arguments name, resolved: `fault3 = the fault of p0 v1 for the driver itself ...`. */
function resolve(m: Model, a: Action, slots: readonly SlotLife[], n: number, earlier: readonly ExplainedStep[]): string[] {
  const names = m.kinds.get(a.k)?.args ?? [];
  const out: string[] = [];
  [a.a, a.b].forEach((x, i) => {
    const name = names[i];
    if (x === -1 || name === undefined || name === 'p' || name === 'v') return;
    const id = `${name}${x}`;
    const life = slotAt(slots, id, n);
    // Said once per lifetime: at the first step whose call names it.
    if (!life || earlier.some((st) => st.n > life.from && st.resolved.some((r) => r.startsWith(`${id} = `)))) return;
    out.push(`${id} = ${life.what}`);
  });
  return out;
}

/** The ids a violation's values name: `job0`, `inv1`, `frame2`, `p0 v1`, `p0`. */
export function refsOfValues(values: Violation['values']): Set<string> {
  const out = new Set<string>();
  const num = (k: string) => (typeof values[k] === 'number' ? (values[k] as number) : undefined);
  for (const k of ['job', 'inv', 'frame', 'sub', 'fault']) if (num(k) !== undefined) out.add(`${k}${num(k)}`);
  const p = num('proc');
  const v = num('vpage');
  if (p !== undefined && v !== undefined) out.add(`p${p} v${v}`);
  // A violation about a whole process (the OOM reaper's pass over it) has that process in its story.
  else if (p !== undefined) out.add(`p${p}`);
  for (const x of Object.values(values)) {
    if (typeof x !== 'string') continue;
    for (const mm of x.matchAll(/\b(job|inv|frame|fault)(\d+)\b/g)) out.add(`${mm[1]}${mm[2]}`);
    for (const mm of x.matchAll(/callback:(\d+):(\d+)/g)) out.add(`inv${mm[1]}`);
    for (const mm of x.matchAll(/move:(\d+):(\d+)/g)) out.add(`p${mm[1]} v${mm[2]}`);
  }
  return out;
}

/**
 * The causal chain of a violation: each step whose effects touch what the violation names (its job, its
 * invalidation, its frame, its page, and the slots that acted on them), with the step that made it true;
 * then the violation; then, for a wait that cannot end, what it waits on and who alone could end it.
 */
function causalChain(m: Model, steps: readonly ExplainedStep[], slots: readonly SlotLife[], v: Broke & { step: number }, end: State): ChainLink[] {
  const refs = refsOfValues(v.values);
  // A fault context or job that acted on a page the violation names is part of the story.
  // A slot ref means the slot's lifetime at the violation: earlier lives of the slot are another story.
  const since = (r: string) => (/^(job|inv|fault)\d+$/.test(r) ? (slotAt(slots, r, v.step)?.from ?? 0) : 0);
  // The pages an invalidation or a job of the story covers are in it, and so are the fault contexts and
  // jobs that acted on those pages.
  for (const st of steps) {
    for (const e of st.effects) {
      if (!e.refs.some((r) => /^(job|inv)\d+$/.test(r) && refs.has(r) && st.n === since(r))) continue;
      for (const r of e.refs) if (/^p\d+ v\d+$/.test(r)) refs.add(r);
    }
  }
  for (const st of steps) for (const e of st.effects) if (e.refs.some((r) => refs.has(r) && /^p\d+ v\d+$/.test(r))) for (const r of e.refs) if (/^(fault|job)\d+$/.test(r)) refs.add(r);
  const isSlot = (r: string) => /^(job|inv|fault)\d+$/.test(r);
  // An effect of an earlier lifetime of a slot in the story is another story, whatever page it touched.
  const hits = (n: number, rs: readonly string[]) => rs.some((r) => refs.has(r) && n >= since(r)) && !rs.some((r) => isSlot(r) && refs.has(r) && n < since(r));
  const links: ChainLink[] = [];
  for (const st of steps) {
    const bornHere = slots.filter((l) => l.from === st.n && refs.has(l.id) && st.n >= since(l.id));
    const born = bornHere.map((l) => `${l.id}: ${l.what}`);
    const touched = st.effects
      .filter((e) => e.kind !== 'driver' && hits(st.n, e.refs) && !(e.kind === 'job' && bornHere.some((l) => e.refs.includes(l.id))))
      .map((e) => e.text);
    const texts = [...new Set([...born, ...touched])];
    if (texts.length > 0 && st.n !== v.step) links.push({ step: st.n, text: `${st.call}: ${texts.join('; ')}` });
    if (st.n === v.step) {
      const own = texts.length > 0 ? `${st.call}: ${texts.join('; ')}; then ` : `${st.call}; then `;
      links.push({ step: st.n, text: `${own}${v.property} breaks [${v.clause}]: ${v.message}` });
    }
  }
  const wait = typeof v.values['wait'] === 'string' ? (v.values['wait'] as string) : null;
  if (wait) links.push(...whyStuck(m, end, wait, slots, v.step));
  return links;
}

/** For a wait that cannot end: each thing it waits on, named, and who alone releases it. */
function whyStuck(m: Model, s: State, id: string, slots: readonly SlotLife[], n: number): ChainLink[] {
  const ws: Wait[] = waitsOf(m.strategy, s, { cfg: m.cfg, mutant: m.mutant, emit: () => {} });
  const w = ws.find((x) => x.id === id);
  if (!w) return [];
  const out: ChainLink[] = [];
  for (const o of w.on) {
    const t = o.target;
    const name = describeTarget(t);
    const job = t.k === 'fence' || t.k === 'dma' ? slotAt(slots, `job${t.job}`, n) : undefined;
    const who = job ? ` (job${(t as { job: number }).job}: ${job.what})` : '';
    if (o.heldBy.length > 0) {
      out.push({ step: null, text: `${w.what} waits on ${name}${who}, held by ${o.heldBy.map((h) => ws.find((x) => x.id === h)?.what ?? h).join(' and ')}` });
    } else if (o.releasedBy === 'user') {
      const why = t.k === 'fence' && m.cfg.queue === 'user'
        ? `the job runs on a user queue: the kernel never saw it submitted, its fence signals when user space says the job is done (user_signal(job${t.job})), and no kernel or hardware step can signal it`
        : 'only a step of user space releases it';
      out.push({ step: null, text: `${w.what} waits on ${name}${who}: ${why}` });
    } else {
      out.push({ step: null, text: `${w.what} waits on ${name}${who}: ${o.releasedBy === 'nobody' ? 'nothing releases it' : `the ${o.releasedBy} releases it`}` });
    }
  }
  // What the kernel and the hardware could still do there: none of it ends the wait (the oracle searched all of it).
  const kh = enabled(m, s).filter((a) => m.kinds.get(a.k)!.actor !== 'user' && !m.kinds.get(a.k)!.starts).map((a) => formatAction(m, a));
  out.push({ step: null, text: kh.length > 0 ? `the kernel and the hardware can still run ${kh.join(', ')} (besides new work: a migration, a reclaim, an OOM kill), and no schedule of their steps ends the wait` : 'the kernel and the hardware have no step left to run but new work (a migration, a reclaim, an OOM kill)' });
  return out;
}

export function flatOf(rows: readonly [string, Cell][]): FlatState {
  return new Map(rows);
}
