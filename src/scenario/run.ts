// Run a scenario (src/scenario/parse.ts) and judge its expectations. Every verdict property is checked
// at every step; a property that breaks without an `expect P fails` line is itself a failed expectation
// (a capability a design gives up is reported, and judged only when an expectation names it).
import { readFileSync } from 'node:fs';
import { makeModel, type Model } from '../../model/model.ts';
import { configByName, scopeLimits, withScope } from '../../model/configs.ts';
import type { Scope } from '../../model/types.ts';
import { optInProperties, propertyById, verdictProperties } from '../../properties/index.ts';
import { findStrategy, allStrategies } from '../registry.ts';
import type { Explanation } from '../explain/explanation.ts';
import { ScenarioError } from './call.ts';
import { parseScenario, type Expectation, type Scenario } from './parse.ts';
import { ScenarioSession } from './session.ts';

export interface ExpectationResult {
  line: number;
  text: string;
  ok: boolean;
  /** What was found, in words. */
  detail: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  model: Model;
  explanation: Explanation;
  expectations: ExpectationResult[];
  /** Every expectation held, and no property broke that no expectation said would. */
  ok: boolean;
}

function modelOf(sc: Scenario): Model {
  const s = findStrategy(sc.strategy);
  if (!s) throw new ScenarioError(`${sc.file}: strategy: unknown strategy '${sc.strategy}' (one of: ${allStrategies().map((x) => x.name).join(', ')})`);
  const cfgName = sc.config ?? s.configs[0]!;
  const named = configByName(cfgName);
  if (!named) throw new ScenarioError(`${sc.file}: config: unknown config '${cfgName}'`);
  if (!s.configs.includes(cfgName)) throw new ScenarioError(`${sc.file}: config: strategy ${s.name} is not checked in '${cfgName}' (one of: ${s.configs.join(', ')})`);
  if (sc.mutant !== undefined && !s.mutants.some((m) => m.name === sc.mutant)) {
    throw new ScenarioError(`${sc.file}: mutant: strategy ${s.name} has no mutant '${sc.mutant}' (one of: ${s.mutants.map((m) => m.name).join(', ')})`);
  }
  const cfg = sc.scope ? withScope(named, scopeOf(sc.scope, sc.file)) : named;
  return makeModel(s, cfg, sc.mutant ?? null);
}

function scopeOf(text: string, file: string): Partial<Scope> {
  const out: Partial<Scope> = {};
  for (const part of text.split(',').filter((x) => x)) {
    const m = /^([a-z]+)=(\d+)$/.exec(part);
    const key = m?.[1] as keyof Scope | undefined;
    const lim = key ? scopeLimits[key] : undefined;
    if (!m || !lim) throw new ScenarioError(`${file}: scope: expected KEY=N[,KEY=N...] with keys ${Object.keys(scopeLimits).join(', ')}, got '${part}'`);
    const n = Number(m[2]);
    if (n < lim.min || n > lim.max) throw new ScenarioError(`${file}: scope: ${key}=${n} is out of range: ${lim.what}, from ${lim.min} to ${lim.max}`);
    out[key!] = n;
  }
  return out;
}

/** Parse and run a scenario. A scenario that cannot run (bad text, an action not enabled) throws ScenarioError. */
export function runScenario(text: string, file = '(scenario)'): ScenarioResult {
  const sc = parseScenario(text, file);
  const model = modelOf(sc);
  const session = new ScenarioSession(model);
  // Judged after the run, over the steps up to where each expectation stands.
  const pending: { line: number; text: string; e: Expectation; upTo: number; value?: number }[] = [];
  const jobJudged: ExpectationResult[] = [];
  for (const st of sc.statements) {
    const where = `${file}:${st.line}`;
    if (st.k === 'act') session.act(st.text, st.as, where);
    else if (st.k === 'settle') session.settle(st.max, where);
    else if (st.e.k === 'read') {
      const ev = session.act(`${st.e.call.kind}(${st.e.call.args.join(', ')})`, undefined, where).find((x) => x.t === 'cpu_read');
      pending.push({ line: st.line, text: st.text, e: st.e, upTo: session.steps, ...(ev && ev.t === 'cpu_read' ? { value: ev.value } : {}) });
    } else if (st.e.k === 'job-errno' || st.e.k === 'job-completes') {
      jobJudged.push(judgeJob(session, st.e, st.line, st.text, where));
    } else {
      if ((st.e.k === 'holds' || st.e.k === 'fails') && !propertyById(st.e.property)) {
        throw new ScenarioError(`${where}: unknown property '${st.e.property}' (one of: ${verdictProperties.map((p) => p.id).join(', ')})`);
      }
      pending.push({ line: st.line, text: st.text, e: st.e, upTo: session.steps });
    }
  }
  // The verdict properties, and any opt-in one an expectation names (no-hung-task).
  const asked = new Set(pending.flatMap((x) => (x.e.k === 'holds' || x.e.k === 'fails' ? [x.e.property] : [])));
  const { explanation } = session.explain([...verdictProperties, ...optInProperties.filter((p) => asked.has(p.id))]);
  const vs = explanation.violations;
  const results: ExpectationResult[] = [...jobJudged];
  for (const p of pending) {
    const upTo = vs.filter((v) => v.step <= p.upTo);
    const e = p.e;
    const r = (ok: boolean, detail: string) => results.push({ line: p.line, text: p.text, ok, detail });
    switch (e.k) {
      case 'all-hold':
        r(upTo.length === 0, upTo.length === 0 ? `every property held over steps 1-${p.upTo}` : `broken: ${upTo.map((v) => `${v.property} at step ${v.step}`).join(', ')}`);
        break;
      case 'holds': {
        const v = upTo.find((x) => x.property === e.property);
        r(!v, v ? `${e.property} fails at step ${v.step} [${v.clause}]: ${v.message}` : `${e.property} held over steps 1-${p.upTo}`);
        break;
      }
      case 'fails': {
        const v = upTo.find((x) => x.property === e.property);
        if (!v) r(false, `${e.property} held over steps 1-${p.upTo}`);
        else r((e.step === undefined || e.step === v.step) && (e.clause === undefined || e.clause === v.clause), `${e.property} fails at step ${v.step} [${v.clause}]: ${v.message}`);
        break;
      }
      case 'read':
        r(p.value === e.value, `the CPU read ${p.value ?? 'nothing'} at step ${p.upTo}`);
        break;
    }
  }
  // A property that broke with no expectation saying it would is a surprise, unless it is a capability.
  const expectedToFail = new Set(sc.statements.flatMap((s) => (s.k === 'expect' && s.e.k === 'fails' ? [s.e.property] : [])));
  const named = new Set(sc.statements.flatMap((s) => (s.k === 'expect' && (s.e.k === 'fails' || s.e.k === 'holds') ? [s.e.property] : [])));
  for (const v of vs) {
    if (expectedToFail.has(v.property) || named.has(v.property)) continue;
    const cap = propertyById(v.property)?.capability === true;
    results.push({ line: 0, text: cap ? `(gives up ${v.property})` : `(no expectation names ${v.property})`, ok: cap, detail: `${v.property} fails at step ${v.step} [${v.clause}]: ${v.message}` });
  }
  results.sort((a, b) => (a.line || Infinity) - (b.line || Infinity));
  return { scenario: sc, model, explanation, expectations: results, ok: results.every((x) => x.ok) };
}

function judgeJob(session: ScenarioSession, e: Extract<Expectation, { k: 'job-errno' | 'job-completes' }>, line: number, text: string, where: string): ExpectationResult {
  const slot = jobSlot(session, e.job, where);
  let errno: string | null = null;
  let signalled = false;
  for (let i = slot.from; i < session.steps; i++) {
    for (const ev of session.events[i]!) {
      if (ev.t === 'job_error' && ev.job === slot.index && errno === null) errno = ev.errno;
      if (ev.t === 'fence_signal' && ev.job === slot.index) signalled = true;
    }
  }
  const found = errno ? `job${slot.index} failed with -${errno}` : signalled ? `job${slot.index} completed without an error` : `job${slot.index} has not completed`;
  return { line, text, ok: e.k === 'job-errno' ? errno === e.errno : signalled && errno === null, detail: found };
}

/** A job named as `j` (bound with as), `@3` (the job step 3 filled) or `job0`; `from` is the 0-based step that filled it. */
function jobSlot(session: ScenarioSession, ref: string, where: string): { index: number; from: number } {
  const direct = /^job(\d+)$/.exec(ref);
  if (direct) {
    const index = Number(direct[1]);
    if (index >= session.state.jobs.length) throw new ScenarioError(`${where}: job${index} does not exist: the scope has ${session.state.jobs.length} job slots`);
    let from = 0;
    for (const [n, refs] of session.bindings.steps) if (refs.some((r) => r.id === `job${index}`)) from = n - 1;
    return { index, from };
  }
  const refs = session.slots(ref);
  if (!refs) throw new ScenarioError(`${where}: '${ref}' names no step or slot (bound so far: ${[...session.bindings.names.keys()].join(', ') || 'none'})`);
  const job = refs.find((r) => r.prefix === 'job');
  if (!job) throw new ScenarioError(`${where}: '${ref}' filled no job slot (it filled ${refs.map((r) => r.id).join(', ') || 'nothing'})`);
  const step = [...session.bindings.steps].find(([, rs]) => rs.includes(job))![0];
  return { index: job.index, from: step - 1 };
}

export function runScenarioFile(file: string): ScenarioResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`${file}: cannot be read: ${(e as Error).message}`);
  }
  return runScenario(text, file);
}
