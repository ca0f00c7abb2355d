// Verdicts: each strategy in each of its configs against every property, and the manifest of expected
// verdicts they are compared with (as tlaplus/Examples keeps manifest.json).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Strategy } from '../model/strategy.ts';
import { makeModel, type Model } from '../model/model.ts';
import { configByName } from '../model/configs.ts';
import type { Config } from '../model/types.ts';
import { allProperties, verdictProperties } from '../properties/index.ts';
import type { Property } from '../properties/types.ts';
import { checkModel, type Budget, type CheckResult, type Failure } from './check.ts';
import { packageFile } from './paths.ts';
import { manifestPath } from './registry.ts';

export type Verdict = 'holds' | 'fails';

export interface Cell {
  strategy: string;
  config: string;
  property: string;
  verdict: Verdict;
}

export const ManifestSchema = z.object({
  note: z.string().optional(),
  verdicts: z.array(
    z.object({
      strategy: z.string(),
      config: z.string(),
      property: z.string(),
      verdict: z.enum(['holds', 'fails']),
    }),
  ),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** dmacheck's own manifest (of the built-in strategies). */
export const MANIFEST_PATH = packageFile('manifest.json');

/** The manifest of this run: dmacheck's own, or the user's when their strategies are named (src/registry.ts). */
export function loadManifest(path = manifestPath()): Manifest | null {
  if (!existsSync(path)) return null;
  const parsed = ManifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export function writeManifest(cells: readonly Cell[], path = manifestPath()): void {
  const m: Manifest = {
    note: 'Expected verdicts: written by `dmacheck check --update-manifest` from a run, compared by `dmacheck check` and the test suite.',
    verdicts: cells.map((c) => ({ strategy: c.strategy, config: c.config, property: c.property, verdict: c.verdict })),
  };
  writeFileSync(path, JSON.stringify(m, null, 2) + '\n');
}

export function expectedVerdict(man: Manifest | null, strategy: string, config: string, property: string): Verdict | undefined {
  return man?.verdicts.find((v) => v.strategy === strategy && v.config === config && v.property === property)?.verdict;
}

export function configsOf(s: Strategy): Config[] {
  return s.configs.map((n) => {
    const c = configByName(n);
    if (!c) throw new Error(`strategy ${s.name} names unknown config '${n}'`);
    return c;
  });
}

export interface DesignResult {
  model: Model;
  cells: Cell[];
  result: CheckResult;
}

/** Check a design (no mutant) in one config against every verdict property (and the witnesses). */
export function checkDesign(s: Strategy, cfg: Config, budget: Budget, props: readonly Property<any>[] = allProperties): DesignResult {
  const model = makeModel(s, cfg, null);
  const result = checkModel(model, props, budget);
  const cells: Cell[] = verdictProperties
    .filter((p) => props.includes(p))
    .map((p) => ({
      strategy: s.name,
      config: cfg.name,
      property: p.id,
      verdict: result.failures.some((f) => f.property === p.id) ? 'fails' : 'holds',
    }));
  return { model, cells, result };
}

/** The properties a design holds in a config: from the manifest, or computed when it has no entry. */
export function heldProperties(s: Strategy, cfg: Config, budget: Budget, man: Manifest | null): Property<any>[] {
  const known = verdictProperties.map((p) => expectedVerdict(man, s.name, cfg.name, p.id));
  if (known.every((v) => v !== undefined)) return verdictProperties.filter((_, i) => known[i] === 'holds');
  const { cells } = checkDesign(s, cfg, budget, verdictProperties);
  return verdictProperties.filter((p) => cells.find((c) => c.property === p.id)?.verdict === 'holds');
}

export interface Kill {
  model: Model;
  failure: Failure;
}

/**
 * Try to kill a mutant: in each config of its strategy, check the properties the correct design holds
 * there; the first that fails kills it. Null if it survives the budget everywhere.
 */
export function killMutant(s: Strategy, mutant: string, budget: Budget, man: Manifest | null, only?: Config): Kill | null {
  for (const cfg of only ? [only] : configsOf(s)) {
    const props = heldProperties(s, cfg, budget, man);
    if (props.length === 0) continue;
    const model = makeModel(s, cfg, mutant);
    const r = checkModel(model, props, budget, true);
    const f = r.failures[0];
    if (f) return { model, failure: f };
  }
  return null;
}
