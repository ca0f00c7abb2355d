// Bad usage: reported with exit code 2.
import type { Strategy } from '../../model/strategy.ts';
import type { Config, Scope } from '../../model/types.ts';
import { allStrategies, findStrategy } from '../registry.ts';
import { anyConfigByName, scopeLimits, withScope } from '../../model/configs.ts';

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
  const c = anyConfigByName(name);
  if (!c) throw new UsageError(`--config: unknown config '${name}'`);
  // A kernel variant takes the strategies of its base config.
  if (!s.configs.includes(c.variant?.base ?? name)) throw new UsageError(`--config: strategy ${s.name} is not checked in '${c.variant?.base ?? name}' (one of: ${s.configs.join(', ')})`);
  return c;
}

export function intArg(flag: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag}: expected an integer >= ${min}, got '${v}'`);
  return Number(v);
}

/** `--scope procs=1,vpages=1,frames=2`: the keys of model/configs.ts's scopeLimits, each within its limits. */
export function scopeArg(text: string | undefined): Partial<Scope> | undefined {
  if (text === undefined) return undefined;
  const out: Partial<Scope> = {};
  const keys = Object.keys(scopeLimits) as (keyof Scope)[];
  for (const part of text.split(',').filter((x) => x.length > 0)) {
    const m = /^([a-z]+)=(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`--scope: expected KEY=N[,KEY=N...], got '${part}' (keys: ${keys.join(', ')})`);
    const key = m[1] as keyof Scope;
    const lim = scopeLimits[key];
    if (!lim) throw new UsageError(`--scope: unknown key '${m[1]}' (one of: ${keys.map((k) => `${k} (${scopeLimits[k].what})`).join(', ')})`);
    const n = Number(m[2]);
    if (n < lim.min || n > lim.max) throw new UsageError(`--scope: ${key}=${n} is out of range: ${lim.what}, from ${lim.min} to ${lim.max}`);
    out[key] = n;
  }
  return out;
}

/** The config with the scope asked for; a scope that cannot hold the config's initial state is refused. */
export function scopedConfig(cfg: Config, over: Partial<Scope> | undefined): Config {
  if (!over) return cfg;
  const c = withScope(cfg, over);
  if (c.scope.frames < c.scope.vpages) throw new UsageError(`--scope: frames=${c.scope.frames} cannot hold process 0's ${c.scope.vpages} page(s), each mapped at the start`);
  if (cfg.topology && (c.scope.vram ?? 0) < 1) throw new UsageError(`--scope: config ${cfg.name} has a peer device, which needs vram >= 1`);
  return c;
}
