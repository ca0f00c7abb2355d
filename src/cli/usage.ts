// Bad usage: reported with exit code 2.
import type { Strategy } from '../../model/strategy.ts';
import type { Config } from '../../model/types.ts';
import { allStrategies, findStrategy } from '../registry.ts';
import { configByName } from '../../model/configs.ts';

export class UsageError extends Error {}

export function strategyArg(name: string | undefined): Strategy {
  if (!name) throw new UsageError('--strategy is required');
  const s = findStrategy(name);
  if (!s) {
    throw new UsageError(`--strategy: unknown strategy '${name}' (one of: ${allStrategies().map((x) => x.name).join(', ')}; a strategy of your own: --strategies ./my-driver.js or dmacheck.config.js)`);
  }
  return s;
}

export function mutantArg(s: Strategy, name: string | undefined): string | null {
  if (name === undefined) return null;
  if (!s.mutants.some((m) => m.name === name)) {
    throw new UsageError(`--mutant: strategy ${s.name} has no mutant '${name}' (one of: ${s.mutants.map((m) => m.name).join(', ')})`);
  }
  return name;
}

export function configArg(s: Strategy, name: string | undefined): Config | undefined {
  if (name === undefined) return undefined;
  const c = configByName(name);
  if (!c) throw new UsageError(`--config: unknown config '${name}'`);
  if (!s.configs.includes(name)) throw new UsageError(`--config: strategy ${s.name} is not checked in '${name}' (one of: ${s.configs.join(', ')})`);
  return c;
}

export function intArg(flag: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag}: expected an integer >= ${min}, got '${v}'`);
  return Number(v);
}
