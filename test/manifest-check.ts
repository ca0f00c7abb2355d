// What a manifest of expected verdicts must be, against the strategies, configs and properties that
// exist and against the corpus of counterexamples: each problem as one line naming the row or the file.
// (tlaplus/Examples checks its manifest.json against the specs on disk the same way.)
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { strategies, strategyByName } from '../model/strategies/index.ts';
import { configByName, kernelVariants } from '../model/configs.ts';
import { verdictProperties } from '../properties/index.ts';
import type { Manifest } from '../src/verdicts.ts';
import { fileNameOf, type Counterexample } from '../src/counterexample/format.ts';
import { loadCounterexample, LoadError } from '../src/counterexample/load.ts';

const cellOf = (strategy: string, config: string, property: string) => `${strategy} in ${config}, ${property}`;

export function manifestProblems(man: Manifest, corpusDir: string): string[] {
  const problems: string[] = [];
  const verdictIds = new Set(verdictProperties.map((p) => p.id));
  const seen = new Map<string, number>();
  man.verdicts.forEach((v, i) => {
    const row = `manifest row ${i} (${cellOf(v.strategy, v.config, v.property)})`;
    const s = strategyByName(v.strategy);
    if (!s) problems.push(`${row}: unknown strategy '${v.strategy}'`);
    if (!configByName(v.config)) problems.push(`${row}: unknown config '${v.config}'`);
    else if (s && !s.configs.includes(v.config)) problems.push(`${row}: ${v.strategy} is not checked in config '${v.config}' (its configs: ${s.configs.join(', ')})`);
    if (!verdictIds.has(v.property)) problems.push(`${row}: unknown property '${v.property}' (not a verdict property)`);
    const key = `${v.strategy}\u0000${v.config}\u0000${v.property}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${row}: duplicates row ${first}`);
    else seen.set(key, i);
  });
  // Every cell of the table has a row.
  for (const s of strategies) {
    for (const c of s.configs) {
      for (const p of verdictIds) if (!seen.has(`${s.name}\u0000${c}\u0000${p}`)) problems.push(`no manifest row for ${cellOf(s.name, c, p)}`);
    }
  }
  const corpus = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith('.json')) : [];
  // Every failing cell is backed by its committed counterexample, a known weakness expected to fail.
  for (const v of man.verdicts) {
    if (v.verdict !== 'fails') continue;
    const file = fileNameOf({ strategy: v.strategy, mutant: null, config: v.config, property: { id: v.property } as Counterexample['property'] });
    if (!corpus.includes(file)) {
      problems.push(`missing counterexample file ${join(corpusDir, file)} for the failing cell ${cellOf(v.strategy, v.config, v.property)}`);
      continue;
    }
    try {
      const { cx } = loadCounterexample(join(corpusDir, file));
      if (cx.expect !== 'fail') problems.push(`${file}: expect is '${cx.expect}', but the manifest says ${cellOf(v.strategy, v.config, v.property)} fails`);
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      problems.push(e.message);
    }
  }
  // Every mutant has its committed counterexample (its config and property are what killMutant finds).
  for (const s of strategies) {
    for (const m of s.mutants) {
      const prefix = `${s.name}--${m.name}--`;
      if (!corpus.some((f) => f.startsWith(prefix))) problems.push(`missing counterexample file ${join(corpusDir, `${prefix}<config>--<property>.json`)} for mutant ${s.name}/${m.name}`);
    }
  }
  // Every kernel variant has its committed counterexample (a correct design of its base, in the variant).
  for (const v of kernelVariants) {
    if (!corpus.some((f) => f.includes(`--${v.name}--`))) problems.push(`missing counterexample file ${join(corpusDir, `<strategy>--${v.name}--<property>.json`)} for kernel variant ${v.name}`);
  }
  // A known weakness in the corpus backs a cell the manifest says fails (else it is stale, or the row wrong).
  const verdictOf = new Map(man.verdicts.map((v) => [`${v.strategy}--${v.config}--${v.property}.json`, v.verdict]));
  for (const f of corpus) {
    if (strategies.some((s) => s.mutants.some((m) => f.startsWith(`${s.name}--${m.name}--`)))) continue;
    const verdict = verdictOf.get(f);
    if (verdict === undefined) continue; // not a cell's file name (the cell itself is reported above, if unknown)
    if (verdict !== 'fails') {
      try {
        if (loadCounterexample(join(corpusDir, f)).cx.expect === 'fail') problems.push(`${f}: a known weakness for a cell the manifest says ${verdict}`);
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        problems.push(e.message);
      }
    }
  }
  return problems;
}
