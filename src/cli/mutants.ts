import { parseArgs } from 'node:util';
import { tableStrategies } from '../registry.ts';
import { defaultBudget, type Budget } from '../check.ts';
import { loadManifest, runMutant, runVariant, type Kill } from '../verdicts.ts';
import { kernelVariants } from '../../model/configs.ts';
import { strategies } from '../../model/strategies/index.ts';
import { saveCounterexample, toCounterexample } from '../counterexample/save.ts';
import { intArg } from './usage.ts';
import { writeCorpusReadme } from '../counterexample/corpus-readme.ts';
import { resolve } from 'node:path';

export const MUTANTS_USAGE = `dmacheck mutants [--runs N] [--seed X] [--out DIR]

  Kill every mutant: check each against the properties its correct design does not fail, print the
  property that kills it, the time to the first failure and the shrunk length, and save the
  counterexample to --out (default out/; --out counterexamples updates the corpus and its README.md).
  Then kill every kernel variant (dmacheck list) the same way: a correct design of its base config
  must break, in the variant, a property it holds in the base (built-in strategies only).

  exit: 0 every mutant and kernel variant killed, 1 one survived the budget, 2 bad usage`;

/**
 * Kill every mutant and every kernel variant: check each against the properties its correct design does not fail (holds or n/a),
 * print the property that kills it, the time to the first failure and the shrunk length, and save the
 * counterexample. Exit 1 if some mutant survives the budget; a survivor names each held property whose
 * premise witness its runs never reached (it survived what they never judged).
 */
export async function mutantsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(MUTANTS_USAGE);
    return 0;
  }
  const budget: Budget = {
    ...defaultBudget,
    runs: intArg('--runs', values.runs, defaultBudget.runs),
    seed: intArg('--seed', values.seed, defaultBudget.seed, -(2 ** 31)),
  };
  const out = values.out ?? 'out';
  const man = loadManifest();
  let survivors = 0;
  /** One row of the table: the killed one, its config, the killing property and the file; or a survivor and what it never judged. */
  const row = (who: string, what: string, where: string, k: Kill | null, unjudged: readonly string[]): void => {
    if (!k) {
      survivors++;
      console.log(`${who.padEnd(26)}${what.padEnd(26)}SURVIVED the budget`);
      for (const u of unjudged) console.log(`${''.padEnd(52)}  ${u}`);
      return;
    }
    const path = saveCounterexample(out, toCounterexample(k.model, k.failure, 'fast-check'));
    const f = k.failure;
    console.log(`${who.padEnd(26)}${`${what} `.padEnd(26)}${where.padEnd(24)}${f.property.padEnd(24)}${f.ms.toFixed(0).padStart(8)}  ${f.actions.length} (${f.foundLength})  ${path}`);
  };
  console.log(`${'strategy'.padEnd(26)}${'mutant'.padEnd(26)}${'config'.padEnd(24)}${'killed by'.padEnd(24)}${'ms'.padStart(8)}  steps (fast-check's own shrink)`);
  for (const s of tableStrategies()) {
    for (const mu of s.mutants) {
      const { kill: k, unjudged } = runMutant(s, mu.name, budget, man);
      row(s.name, mu.name, k?.model.cfg.name ?? '', k, unjudged.map((u) => `in ${u.config}, ${u.property} never judged: witness ${u.witness} not reached`));
    }
  }
  // Kernel variants: core-mm bugs, held to what the base config's built-in correct designs hold (with a
  // user's strategies named, only their mutants are run).
  const builtin = tableStrategies().every((s) => strategies.includes(s));
  for (const v of builtin ? kernelVariants : []) {
    const { kill: k, unjudged } = runVariant(v, tableStrategies(), budget, man);
    row(k?.model.strategy.name ?? '(kernel variant)', `kernel ${v.name}`, v.variant!.base, k, unjudged.map((u) => `${u.strategy}: ${u.property} never judged: witness ${u.witness} not reached`));
  }
  // The tracked corpus keeps its index up to date.
  if (resolve(out) === resolve('counterexamples')) console.error(`${writeCorpusReadme(out)} written`);
  return survivors > 0 ? 1 : 0;
}
