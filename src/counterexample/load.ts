// Load and validate a counterexample file. Every problem becomes a LoadError naming the file, the field
// and what was expected; nothing is thrown past the caller, so one bad file does not stop the others.
import { readFileSync } from 'node:fs';
import type { Model } from '../../model/model.ts';
import { makeModel } from '../../model/model.ts';
import { findStrategy } from '../registry.ts';
import { anyConfigByName, withScope } from '../../model/configs.ts';
import { MODEL_VERSION } from './format.ts';
import { propertyById } from '../../properties/index.ts';
import type { Property } from '../../properties/types.ts';
import { CounterexampleSchema, FORMAT_VERSION, type Counterexample } from './format.ts';

export class LoadError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: ${field}: ${expected}`);
  }
}

export interface Loaded {
  file: string;
  cx: Counterexample;
  model: Model;
  property: Property<any>;
}

export function loadCounterexample(file: string): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LoadError(file, '(file)', `cannot be read: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LoadError(file, '(file)', `is not valid JSON: ${(e as Error).message}`);
  }
  const fmt = (raw as { format?: unknown } | null)?.format;
  if (typeof fmt === 'number' && fmt > FORMAT_VERSION) {
    throw new LoadError(file, 'format', `version ${fmt} is newer than this dmacheck reads (${FORMAT_VERSION}): upgrade dmacheck`);
  }
  const parsed = CounterexampleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LoadError(file, issue.path.join('.') || '(root)', issue.message);
  }
  const cx = parsed.data;
  if (cx.format !== FORMAT_VERSION) throw new LoadError(file, 'format', `version ${cx.format} is not one this dmacheck reads (${FORMAT_VERSION})`);
  const strategy = findStrategy(cx.strategy);
  if (!strategy) throw new LoadError(file, 'strategy', `unknown strategy '${cx.strategy}' (a strategy of your own: name its module with --strategies or in dmacheck.config.js)`);
  if (cx.mutant !== null && !strategy.mutants.some((m) => m.name === cx.mutant)) {
    throw new LoadError(file, 'mutant', `strategy ${cx.strategy} has no mutant '${cx.mutant}'`);
  }
  if (cx.model !== MODEL_VERSION) {
    throw new LoadError(file, 'model', `model version ${cx.model}, but this dmacheck's model is version ${MODEL_VERSION}: its semantics changed since the file was written, so the trace may not replay as it did (write it anew)`);
  }
  const named = anyConfigByName(cx.config);
  if (!named) throw new LoadError(file, 'config', `unknown config '${cx.config}'`);
  const cfg = cx.scope ? withScope(named, cx.scope) : named;
  const property = propertyById(cx.property.id);
  if (!property) throw new LoadError(file, 'property.id', `unknown property '${cx.property.id}'`);
  const model = makeModel(strategy, cfg, cx.mutant);
  cx.actions.forEach((a, i) => {
    if (!model.kinds.has(a.k)) throw new LoadError(file, `actions.${i}.k`, `unknown action '${a.k}' for strategy ${cx.strategy}`);
  });
  return { file, cx, model, property };
}
