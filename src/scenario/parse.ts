// The scenario text format (docs/scenarios.md): a litmus-style file a person writes to ask "what does
// this interleaving do?". One statement per line; `#` starts a comment.
//
//   scenario "a fault racing a migration"
//   strategy odp-mirror  config kernel-queue        (also: mutant M, scope K=V,...)
//   register(p0)
//   submit(p0, v1) as j
//   dma_start(j)
//   settle                                          (settle max N: a bound other than the default)
//   expect coherent-dma holds
//   expect cpu_read(p0, v1) == 0
import { parseCall, ScenarioError, type Call } from './call.ts';

export type Expectation =
  | { k: 'all-hold' }
  | { k: 'holds'; property: string }
  | { k: 'fails'; property: string; step?: number; clause?: string }
  | { k: 'read'; call: Call; value: number }
  | { k: 'job-errno'; job: string; errno: string }
  | { k: 'job-completes'; job: string };

export type Statement =
  | { k: 'act'; line: number; call: Call; text: string; as?: string }
  | { k: 'settle'; line: number; max?: number }
  | { k: 'expect'; line: number; text: string; e: Expectation };

export interface Scenario {
  file: string;
  title: string;
  strategy: string;
  config?: string;
  mutant?: string;
  scope?: string;
  statements: Statement[];
}

const HEADER_KEYS = ['strategy', 'config', 'mutant', 'scope'] as const;

export function parseScenario(text: string, file = '(scenario)'): Scenario {
  const sc: Scenario = { file, title: '', strategy: '', statements: [] };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const where = `${file}:${n}`;
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const words = line.split(/\s+/);
    const head = words[0]!;
    if (head === 'scenario') {
      const m = /^scenario\s+"([^"]*)"$/.exec(line);
      if (!m) throw new ScenarioError(`${where}: expected scenario "TITLE", got '${line}'`);
      sc.title = m[1]!;
      return;
    }
    if ((HEADER_KEYS as readonly string[]).includes(head)) {
      if (sc.statements.length > 0) throw new ScenarioError(`${where}: '${head}' must come before the first step`);
      if (words.length % 2 !== 0) throw new ScenarioError(`${where}: expected KEY VALUE pairs (${HEADER_KEYS.join(', ')}), got '${line}'`);
      for (let w = 0; w < words.length; w += 2) {
        const key = words[w]!;
        if (!(HEADER_KEYS as readonly string[]).includes(key)) throw new ScenarioError(`${where}: unknown header '${key}' (one of: ${HEADER_KEYS.join(', ')})`);
        sc[key as (typeof HEADER_KEYS)[number]] = words[w + 1]!;
      }
      return;
    }
    if (head === 'settle') {
      const m = /^settle(?:\s+max\s+(\d+))?$/.exec(line);
      if (!m) throw new ScenarioError(`${where}: expected 'settle' or 'settle max N', got '${line}'`);
      sc.statements.push({ k: 'settle', line: n, ...(m[1] ? { max: Number(m[1]) } : {}) });
      return;
    }
    if (head === 'expect') {
      sc.statements.push({ k: 'expect', line: n, text: line, e: parseExpectation(line.slice('expect'.length).trim(), where) });
      return;
    }
    const m = /^(.*?\))\s*(?:as\s+([A-Za-z_]\w*))?$|^([a-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?$/i.exec(line);
    const callText = m ? (m[1] ?? m[3]!) : line;
    const name = m ? (m[2] ?? m[4]) : undefined;
    const call = parseCall(callText);
    if (!call) throw new ScenarioError(`${where}: expected a step such as submit(p0, v1) [as NAME], settle, or expect ..., got '${line}'`);
    sc.statements.push({ k: 'act', line: n, call, text: callText, ...(name ? { as: name } : {}) });
  });
  if (!sc.strategy) throw new ScenarioError(`${file}: no 'strategy NAME' line (e.g. strategy odp-mirror config kernel-queue)`);
  return sc;
}

function parseExpectation(t: string, where: string): Expectation {
  let m: RegExpExecArray | null;
  if (/^(every property holds|all properties hold|all hold)$/.test(t)) return { k: 'all-hold' };
  if ((m = /^([a-z0-9-]+)\s+holds$/.exec(t))) return { k: 'holds', property: m[1]! };
  if ((m = /^([a-z0-9-]+)\s+fails(?:\s+at\s+step\s+(\d+))?(?:\s+clause\s+([a-z0-9-]+))?$/.exec(t)) && !/\s+with\s+/.test(t)) {
    return { k: 'fails', property: m[1]!, ...(m[2] ? { step: Number(m[2]) } : {}), ...(m[3] ? { clause: m[3] } : {}) };
  }
  if ((m = /^(.+\))\s*==\s*(-?\d+)$/.exec(t))) {
    const call = parseCall(m[1]!);
    if (!call || call.kind !== 'cpu_read') throw new ScenarioError(`${where}: a value expectation reads with cpu_read(pP, vV) == N, got '${t}'`);
    return { k: 'read', call, value: Number(m[2]) };
  }
  if ((m = /^(\S+)\s+fails\s+with\s+-?([A-Z]+)$/.exec(t))) return { k: 'job-errno', job: m[1]!, errno: m[2]! };
  if ((m = /^(\S+)\s+completes$/.exec(t))) return { k: 'job-completes', job: m[1]! };
  throw new ScenarioError(
    `${where}: expected one of: expect every property holds | expect P holds | expect P fails [at step N] [clause C] | expect cpu_read(pP, vV) == N | expect JOB fails with ERRNO | expect JOB completes; got 'expect ${t}'`,
  );
}
