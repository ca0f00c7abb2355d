// Which strategies a command sees: the built-in ones, plus a user's own driver modules named with
// `--strategies ./my-driver.js` or in a `dmacheck.config.{mjs,js,json}` file. Every command resolves a
// strategy name here (check, matrix, replay, mutants, explore, list), so a user's strategy works on the
// command line exactly as a built-in one. With user strategies, the commands that run "every strategy"
// (check with no --strategy, matrix, mutants) run the user's, against the user's manifest.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Strategy } from '../model/strategy.ts';
import { strategies as builtins } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import { packageFile } from './paths.ts';

export interface Registry {
  /** The user's strategies, in the order their modules name them. */
  user: readonly Strategy[];
  /** The manifest of expected verdicts the commands compare with and --update-manifest writes. */
  manifest: string;
  /** The config file read, if any. */
  configFile: string | null;
  /** The user's strategy modules, as absolute paths (so that a worker thread can load them too). */
  modules?: readonly string[];
}

/** A user's strategies could not be loaded: a message naming the file, the field or export, and why. */
export class StrategyLoadError extends Error {}

const builtinRegistry: Registry = { user: [], manifest: packageFile('manifest.json'), configFile: null };
let current: Registry = builtinRegistry;

/** Make `r` the registry every command resolves strategies in (main does it once per run). */
export function useRegistry(r: Registry | null): void {
  current = r ?? builtinRegistry;
}

/** Every strategy a name may resolve to: the user's, then the built-in ones. */
export function allStrategies(): readonly Strategy[] {
  return [...current.user, ...builtins];
}

/** The strategies of "every strategy": the user's if any were named, else the built-in ones. */
export function tableStrategies(): readonly Strategy[] {
  return current.user.length > 0 ? current.user : builtins;
}

export function findStrategy(name: string): Strategy | undefined {
  return current.user.find((s) => s.name === name) ?? builtins.find((s) => s.name === name);
}

/** The modules of the user's strategies (absolute paths), for a worker thread to resolve them again. */
export function userModules(): readonly string[] {
  return current.modules ?? [];
}

export function manifestPath(): string {
  return current.manifest;
}

/** The config file names looked for, in this order, in the working directory. */
export const CONFIG_FILES = ['dmacheck.config.mjs', 'dmacheck.config.js', 'dmacheck.config.json'] as const;

const ConfigSchema = z.strictObject({
  /** Module paths, relative to the config file, each exporting one or more strategies. */
  strategies: z.array(z.string().min(1)).min(1),
  /** The user's manifest of expected verdicts, relative to the config file. */
  manifest: z.string().min(1).optional(),
});

export type DmacheckConfig = z.infer<typeof ConfigSchema>;

/** The manifest a user's strategies are compared with when the config names none. */
export const USER_MANIFEST = 'dmacheck.manifest.json';

/**
 * Resolve the strategies of a run: the modules of `--strategies` (relative to `cwd`) and those of the
 * config file found in `cwd`. Throws StrategyLoadError on a bad file or module.
 */
export async function resolveStrategies(flagModules: readonly string[], cwd: string = process.cwd()): Promise<Registry> {
  const configFile = CONFIG_FILES.map((f) => join(cwd, f)).find((f) => existsSync(f)) ?? null;
  const config = configFile ? await readConfig(configFile) : null;
  const base = configFile ? dirname(configFile) : cwd;
  const modules = [...flagModules.map((m) => resolve(cwd, m)), ...(config?.strategies ?? []).map((m) => resolve(base, m))];
  if (modules.length === 0) return builtinRegistry;
  const user: Strategy[] = [];
  for (const mod of [...new Set(modules)]) {
    for (const s of await strategiesOf(mod)) {
      const clash = [...user, ...builtins].find((x) => x.name === s.name);
      if (clash) throw new StrategyLoadError(`${mod}: strategy '${s.name}' is defined twice (${builtins.includes(clash) ? 'a built-in strategy has that name' : 'by two modules'})`);
      user.push(s);
    }
  }
  const manifest = config?.manifest ? resolve(base, config.manifest) : join(base, USER_MANIFEST);
  return { user, manifest, configFile, modules: [...new Set(modules)] };
}

async function readConfig(file: string): Promise<DmacheckConfig> {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(readFileSync(file, 'utf8')) : ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
  } catch (e) {
    throw new StrategyLoadError(`${file}: cannot be read: ${(e as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StrategyLoadError(`${file}: ${issue.path.join('.') || (file.endsWith('.json') ? '(root)' : 'export default')}: ${issue.message} (expected { strategies: ['./my-driver.js'], manifest?: 'dmacheck.manifest.json' })`);
  }
  return parsed.data;
}

/** The strategies a module exports: every export (or element of an exported array) shaped as one. */
async function strategiesOf(file: string): Promise<Strategy[]> {
  if (!isAbsolute(file) || !existsSync(file)) throw new StrategyLoadError(`${file}: no such strategy module`);
  if (/\.[cm]?tsx?$/.test(file)) {
    throw new StrategyLoadError(`${file}: a TypeScript module: compile it first (tsc) and name the .js file; dmacheck does not transpile at run time`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new StrategyLoadError(`${file}: cannot be imported: ${(e as Error).message}`);
  }
  const found: Strategy[] = [];
  for (const [name, value] of Object.entries(mod)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (!looksLikeStrategy(v)) continue;
      validate(file, name, v);
      if (!found.includes(v)) found.push(v);
    }
  }
  if (found.length === 0) throw new StrategyLoadError(`${file}: exports no strategy (an object made with defineStrategy, with name, configs, actionKinds, init, enabled and apply)`);
  return found;
}

function looksLikeStrategy(v: unknown): v is Strategy {
  const s = v as Partial<Strategy> | null;
  return typeof s === 'object' && s !== null && typeof s.name === 'string' && typeof s.init === 'function' && typeof s.enabled === 'function' && typeof s.apply === 'function';
}

const hooks = ['canRegister', 'onRegister', 'onDeregister', 'onSubmit', 'onInvalidateStart', 'onDeviceFault', 'onFenceSignal'] as const;

function validate(file: string, exp: string, s: Strategy): void {
  const where = `${file}: export ${exp} (strategy '${s.name}')`;
  if (!Array.isArray(s.configs) || s.configs.length === 0) throw new StrategyLoadError(`${where}: configs: expected a non-empty list of config names`);
  for (const c of s.configs) if (!configByName(c)) throw new StrategyLoadError(`${where}: configs: unknown config '${c}'`);
  if (!Array.isArray(s.mutants)) throw new StrategyLoadError(`${where}: mutants: expected a list (empty if none)`);
  if (!Array.isArray(s.actionKinds)) throw new StrategyLoadError(`${where}: actionKinds: expected a list`);
  for (const h of hooks) if (typeof s[h] !== 'function') throw new StrategyLoadError(`${where}: ${h}: expected a function (defineStrategy supplies the defaults)`);
}
