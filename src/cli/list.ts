import { parseArgs } from 'node:util';
import { allStrategies } from '../registry.ts';
import { configs, kernelVariants, scopeText } from '../../model/configs.ts';
import { allProperties } from '../../properties/index.ts';

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, strict: true });
  const data = {
    strategies: allStrategies().map((s) => ({
      name: s.name,
      summary: s.summary,
      configs: [...s.configs],
      mutants: s.mutants.map((m) => ({ name: m.name, pattern: m.pattern })),
    })),
    properties: allProperties.map((p) => ({ id: p.id, kind: p.kind, meaning: p.meaning, ...(p.premise ? { premise: p.premise } : {}) })),
    configs: configs.map((c) => ({ name: c.name, queue: c.queue, kernel: c.kernel, scope: c.scope, proofScope: { ...c.scope, ...c.proofScope } })),
    kernelVariants: kernelVariants.map((c) => ({ name: c.name, base: c.variant!.base, stands: c.variant!.stands, kernel: c.kernel })),
  };
  if (values.json) {
    console.log(JSON.stringify(data, null, 2));
    return 0;
  }
  console.log('Strategies:');
  for (const s of data.strategies) {
    console.log(`  ${s.name}  [${s.configs.join(', ')}]\n      ${s.summary}`);
    for (const m of s.mutants) console.log(`      mutant ${m.name}: ${m.pattern}`);
  }
  console.log('Properties:');
  for (const p of data.properties) console.log(`  ${p.id.padEnd(34)} ${p.kind.padEnd(10)} ${p.meaning}${p.premise ? ` (premise: ${p.premise})` : ''}`);
  console.log('Configs:');
  for (const c of data.configs) console.log(`  ${c.name.padEnd(24)} ${c.queue} queues, fork of pinned pages: ${c.kernel.forkPinned}, proof scope ${scopeText({ ...c.scope, ...c.proofScope })}`);
  console.log('Kernel variants (core-mm bugs, killed by dmacheck mutants as mutants are):');
  for (const v of data.kernelVariants) console.log(`  ${v.name.padEnd(24)} ${v.base} with: ${v.stands}`);
  return 0;
}
