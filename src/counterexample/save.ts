// Turn a finding into a counterexample file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../../model/model.ts';
import { formatAction } from '../../model/model.ts';
import type { Failure } from '../check.ts';
import { fileNameOf, FORMAT_VERSION, MODEL_VERSION, serialise, type Counterexample } from './format.ts';
import { propertyById } from '../../properties/index.ts';
import { anyConfigByName, sameScope, scopeText } from '../../model/configs.ts';

export function toCounterexample(m: Model, f: Failure, explorer: string): Counterexample {
  const who = m.mutant ? `${m.strategy.name} with mutant ${m.mutant}` : m.strategy.name;
  const meaning = propertyById(f.property)?.meaning ?? f.property;
  const own = anyConfigByName(m.cfg.name);
  const scoped = !own || !sameScope(own.scope, m.cfg.scope);
  const named = m.cfg.variant ? `${m.cfg.name} (a kernel variant of ${m.cfg.variant.base})` : m.cfg.name;
  const where = scoped ? `${named} (scope ${scopeText(m.cfg.scope)})` : named;
  return {
    format: FORMAT_VERSION,
    model: MODEL_VERSION,
    verdict: `${f.property} FAILS for ${who} in ${where}, in ${f.actions.length} steps`,
    question: `Does ${who} guarantee that ${meaning}?`,
    strategy: m.strategy.name,
    mutant: m.mutant,
    config: m.cfg.name,
    ...(scoped ? { scope: { ...m.cfg.scope } } : {}),
    property: { id: f.property, clause: f.violation.clause, step: f.actions.length - 1, message: f.violation.message },
    expect: 'fail',
    found: { explorer, seed: f.seed, path: f.path },
    actions: f.actions,
    trace: f.actions.map((a) => formatAction(m, a)),
  };
}

/** Write the file under `dir`; returns its path. */
export function saveCounterexample(dir: string, cx: Counterexample): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileNameOf(cx));
  writeFileSync(path, serialise(cx));
  return path;
}
