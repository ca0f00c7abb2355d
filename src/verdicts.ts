// Verdicts: each strategy in each of its configs against every property, and the manifest of expected
// verdicts they are compared with (as tlaplus/Examples keeps manifest.json).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Strategy } from '../model/strategy.ts';
import { makeModel, type Model } from '../model/model.ts';
import { configByName } from '../model/configs.ts';
import type { Config } from '../model/types.ts';
import { allProperties, propertyById, verdictProperties, witnesses } from '../properties/index.ts';
import { witnessById } from '../properties/witnesses.ts';
import type { Property } from '../properties/types.ts';
import { checkModel, type Budget, type CheckResult, type Failure } from './check.ts';
import { packageFile } from './paths.ts';
import { manifestPath } from './registry.ts';

/**
 * holds: survived the budget, and its premise (a `sometimes` witness) was reached; fails: violated, with
 * a counterexample; n/a: not violated, but its premise was never reached, so the run had nothing to judge.
 */
export type Verdict = 'holds' | 'fails' | 'n/a';
export const verdicts = ['holds', 'fails', 'n/a'] as const satisfies readonly Verdict[];

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
      verdict: z.enum(verdicts),
    }),
  ),
  /** Per strategy and config: the `sometimes` witnesses its run reached, which every later run must reach. */
  witnesses: z
    .array(
      z.object({
        strategy: z.string(),
        config: z.string(),
        reached: z.array(z.string()),
      }),
    )
    .optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** What a run of one design in one config reached: the witnesses, in the order properties/witnesses.ts lists them. */
export interface DesignWitnesses {
  strategy: string;
  config: string;
  reached: string[];
}

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

export function writeManifest(cells: readonly Cell[], reached: readonly DesignWitnesses[], path = manifestPath()): void {
  const m: Manifest = {
    note: 'Expected verdicts (holds, fails, or n/a: the premise witness was never reached) and the witnesses each design must reach: written by `dmacheck check --update-manifest` from a run, compared by `dmacheck check`, `dmacheck matrix` and the test suite.',
    verdicts: cells.map((c) => ({ strategy: c.strategy, config: c.config, property: c.property, verdict: c.verdict })),
    witnesses: reached.map((w) => ({ strategy: w.strategy, config: w.config, reached: [...w.reached] })),
  };
  writeFileSync(path, JSON.stringify(m, null, 2) + '\n');
}

export function expectedVerdict(man: Manifest | null, strategy: string, config: string, property: string): Verdict | undefined {
  return man?.verdicts.find((v) => v.strategy === strategy && v.config === config && v.property === property)?.verdict;
}

/** The witnesses the manifest says a design reaches in a config (undefined: it lists none). */
export function expectedWitnesses(man: Manifest | null, strategy: string, config: string): string[] | undefined {
  return man?.witnesses?.find((w) => w.strategy === strategy && w.config === config)?.reached;
}

/** A cell's verdict: fails if violated; else n/a if the property's premise was not reached; else holds. */
export function verdictOf(p: Property<any>, failed: boolean, reached: ReadonlySet<string>): Verdict {
  if (failed) return 'fails';
  return p.premise !== undefined && !reached.has(p.premise) ? 'n/a' : 'holds';
}

/** The witnesses of `reached`, in the order properties/witnesses.ts lists them (stable for the manifest). */
export function reachedList(reached: ReadonlySet<string>): string[] {
  return witnesses.map((w) => w.id).filter((id) => reached.has(id));
}

function witnessText(id: string): string {
  const w = witnessById(id);
  return w ? `\`${id}\` (${w.meaning})` : `\`${id}\` (no such witness)`;
}

/** Where a run disagrees with the manifest: a verdict, or a witness it did not reach. */
export interface Mismatch {
  strategy: string;
  config: string;
  /** For a verdict: the property; absent for a witness. */
  property?: string;
  /** The witness concerned: the premise of an n/a cell the manifest says holds, or one not reached. */
  witness?: string;
  verdict?: Verdict;
  expected?: Verdict;
  message: string;
}

/**
 * Compare one design's run in one config with the manifest: each cell's verdict (a cell the manifest says
 * holds whose premise was not reached is a mismatch naming the premise), and each witness the manifest
 * says the design reaches.
 */
export function designMismatches(strategy: string, config: string, cells: readonly Cell[], reached: ReadonlySet<string>, man: Manifest | null): Mismatch[] {
  const out: Mismatch[] = [];
  for (const c of cells) {
    const expected = expectedVerdict(man, strategy, config, c.property);
    if (expected === c.verdict) continue;
    const premise = propertyById(c.property)?.premise;
    const where = `${strategy} / ${config} / ${c.property}: ${c.verdict}, manifest says ${expected ?? 'nothing'}`;
    // An n/a on either side is about the premise: name it.
    const aboutPremise = premise !== undefined && (c.verdict === 'n/a' || (expected === 'n/a' && c.verdict === 'holds'));
    const message = !aboutPremise ? where : `${where}: its premise ${witnessText(premise)} ${c.verdict === 'n/a' ? 'was not reached' : 'is reached now'}`;
    out.push({ strategy, config, property: c.property, verdict: c.verdict, ...(expected ? { expected } : {}), ...(aboutPremise ? { witness: premise } : {}), message });
  }
  const want = expectedWitnesses(man, strategy, config);
  if (want === undefined) {
    out.push({ strategy, config, message: `${strategy} / ${config}: the manifest lists no witnesses for it (write them with \`dmacheck check --update-manifest\`)` });
  } else {
    for (const w of want) {
      if (!reached.has(w)) out.push({ strategy, config, witness: w, message: `${strategy} / ${config}: witness ${witnessText(w)} was not reached` });
    }
  }
  return out;
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
      verdict: verdictOf(p, result.failures.some((f) => f.property === p.id), result.reached),
    }));
  return { model, cells, result };
}

/**
 * The properties a design does not fail in a config (holds or n/a), from the manifest, or computed when it
 * has no entry: a mutant is held to them. An n/a property counts, since the mutant may reach what the
 * design never does (e.g. a registration the design refuses).
 */
export function heldProperties(s: Strategy, cfg: Config, budget: Budget, man: Manifest | null): Property<any>[] {
  const known = verdictProperties.map((p) => expectedVerdict(man, s.name, cfg.name, p.id));
  if (known.every((v) => v !== undefined)) return verdictProperties.filter((_, i) => known[i] !== 'fails');
  const { result } = checkDesign(s, cfg, budget, verdictProperties);
  return verdictProperties.filter((p) => !result.failures.some((f) => f.property === p.id));
}

/** The premise witnesses of some properties, each once. */
export function premisesOf(props: readonly Property<any>[]): Property<any>[] {
  const ids = new Set(props.map((p) => p.premise).filter((x): x is string => x !== undefined));
  return witnesses.filter((w) => ids.has(w.id));
}

export interface Kill {
  model: Model;
  failure: Failure;
}

/** A held property whose premise a surviving mutant's run never reached: the mutant survived it vacuously. */
export interface Unjudged {
  config: string;
  property: string;
  witness: string;
}

export interface MutantRun {
  kill: Kill | null;
  /** For a survivor: in each config, the held properties whose premise its run did not reach. */
  unjudged: Unjudged[];
}

/**
 * Try to kill a mutant: in each config of its strategy, check the properties the correct design does not
 * fail there (holds or n/a), with their premises; the first that fails kills it. A survivor says which of
 * those properties it survived without reaching their premise.
 */
export function runMutant(s: Strategy, mutant: string, budget: Budget, man: Manifest | null, only?: Config, leaveOut: readonly string[] = []): MutantRun {
  const unjudged: Unjudged[] = [];
  const where = s.mutants.find((m) => m.name === mutant)?.configs;
  for (const cfg of only ? [only] : configsOf(s).filter((c) => !where || where.includes(c.name))) {
    const kill = tryKill(s, mutant, cfg, cfg, budget, man, unjudged, leaveOut);
    if (kill) return { kill, unjudged: [] };
  }
  return { kill: null, unjudged };
}

/**
 * Check `s` (with `mutant`, or none) in `cfg` against the properties it does not fail in `heldIn` (holds or
 * n/a), with their premises: the first failure is the kill; without one, the held properties whose
 * premise the run never reached are added to `unjudged`.
 */
function tryKill(s: Strategy, mutant: string | null, cfg: Config, heldIn: Config, budget: Budget, man: Manifest | null, unjudged: Unjudged[], leaveOut: readonly string[] = []): Kill | null {
  const props = heldProperties(s, heldIn, budget, man).filter((p) => !leaveOut.includes(p.id));
  if (props.length === 0) return null;
  const model = makeModel(s, cfg, mutant);
  const r = checkModel(model, [...props, ...premisesOf(props)], budget, true);
  const f = r.failures[0];
  if (f) return { model, failure: f };
  for (const p of props) {
    if (p.premise !== undefined && !r.reached.has(p.premise)) unjudged.push({ config: cfg.name, property: p.id, witness: p.premise });
  }
  return null;
}

/**
 * Try to kill a mutant (see runMutant): the kill, or null if it survives the budget everywhere. `leaveOut`
 * names held properties not to check (the test suite's costly ones, where another property kills it).
 */
export function killMutant(s: Strategy, mutant: string, budget: Budget, man: Manifest | null, only?: Config, leaveOut: readonly string[] = []): Kill | null {
  return runMutant(s, mutant, budget, man, only, leaveOut).kill;
}

export interface VariantRun {
  variant: Config;
  /** The first correct design of the base config that breaks, in the variant, a property it holds there. */
  kill: Kill | null;
  /** For a survivor: per design, the held properties whose premise its run did not reach. */
  unjudged: (Unjudged & { strategy: string })[];
}

/**
 * Try to kill a kernel variant (model/configs.ts kernelVariants) as a mutant is killed: each correct
 * design checked in the base config is checked in the variant against the properties it does not fail in
 * the base (holds or n/a); the first that fails kills the variant.
 */
export function runVariant(variant: Config, designs: readonly Strategy[], budget: Budget, man: Manifest | null): VariantRun {
  const base = configByName(variant.variant!.base)!;
  const unjudged: VariantRun['unjudged'] = [];
  for (const s of designs) {
    if (!s.configs.includes(base.name)) continue;
    const missed: Unjudged[] = [];
    const kill = tryKill(s, null, variant, base, budget, man, missed);
    if (kill) return { variant, kill, unjudged: [] };
    unjudged.push(...missed.map((u) => ({ ...u, strategy: s.name })));
  }
  return { variant, kill: null, unjudged };
}
