// A campaign shard's summary (summary.json beside its counterexamples/), and the merge of several: the
// campaign they ran must be the same one (CampaignId, and the number of shards), the shards distinct.
// Merging sums the counts, unites the witnesses, and keeps per (config, property) the counterexample of
// the lowest-numbered unit that broke it, whichever shard ran it: so N merged shards give the summary
// and the corpus of the one-machine run, and the same counterexample is one file.
import { z } from 'zod';
import { BLOCK, type CampaignId } from './spec.ts';
import type { Tally } from './units.ts';
import type { ShrunkFile } from './counterexample.ts';

export const SUMMARY_FORMAT = 1;
export const SUMMARY_FILE = 'summary.json';
export const CORPUS_DIR = 'counterexamples';

const Id = z.strictObject({
  strategy: z.string().min(1),
  mutant: z.string().min(1).nullable(),
  configs: z.array(z.string().min(1)).min(1),
  explorer: z.enum(['walk', 'fast-check']),
  seed: z.string(),
  runs: z.number().int().positive().nullable(),
  timeMs: z.number().positive().nullable(),
  maxSteps: z.number().int().positive(),
  properties: z.record(z.string(), z.array(z.string())),
  block: z.number().int().positive(),
});

const ConfigTally = z.strictObject({
  units: z.number().int().nonnegative(),
  walks: z.number().int().nonnegative(),
  actions: z.number().int().nonnegative(),
  deadEnds: z.number().int().nonnegative(),
  reached: z.array(z.string()),
});

const Violation = z.strictObject({
  config: z.string(),
  property: z.string(),
  /** Units that broke it. */
  units: z.number().int().positive(),
  /** The lowest-numbered of them, whose trace was shrunk. */
  unit: z.number().int().nonnegative(),
  seed: z.union([z.string(), z.number()]),
  foundLength: z.number().int().positive(),
  length: z.number().int().positive(),
  /** Under counterexamples/. */
  file: z.string().min(1),
});

const Timing = z.strictObject({
  shard: z.number().int().positive(),
  workers: z.number().int().positive(),
  wallMs: z.number().nonnegative(),
  cpuMs: z.number().nonnegative(),
  actionsPerWallSecond: z.number().nonnegative(),
  heapFirstMiB: z.number().nonnegative(),
  heapLastMiB: z.number().nonnegative(),
  heapMaxMiB: z.number().nonnegative(),
});

export const SummarySchema = z.strictObject({
  format: z.number().int().positive(),
  kind: z.literal('dmacheck-campaign'),
  campaign: Id,
  /** Which shards of how many this summary covers (1-based). */
  shards: z.strictObject({ of: z.number().int().positive(), ran: z.array(z.number().int().positive()).min(1) }),
  total: z.strictObject({ units: z.number().int().nonnegative(), walks: z.number().int().nonnegative(), actions: z.number().int().nonnegative(), violations: z.number().int().nonnegative() }),
  configs: z.record(z.string(), ConfigTally),
  violations: z.array(Violation),
  /** What is not deterministic: one entry per shard run (machine and load dependent). */
  timing: z.array(Timing),
});

export type Summary = z.infer<typeof SummarySchema>;
export type ViolationRecord = z.infer<typeof Violation>;

const byKey = (a: { config: string; property: string }, b: { config: string; property: string }) =>
  a.config < b.config ? -1 : a.config > b.config ? 1 : a.property < b.property ? -1 : a.property > b.property ? 1 : 0;

export function summaryOf(
  id: CampaignId,
  shard: { index: number; count: number },
  tallies: Record<string, Tally>,
  files: readonly ShrunkFile[],
  timing: Summary['timing'][number],
): Summary {
  const configs: Summary['configs'] = {};
  for (const c of id.configs) {
    const t = tallies[c]!;
    configs[c] = { units: t.units, walks: t.walks, actions: t.actions, deadEnds: t.deadEnds, reached: [...t.reached].sort() };
  }
  const violations: ViolationRecord[] = files.map((f) => ({
    config: f.config,
    property: f.property,
    units: tallies[f.config]!.hits[f.property]!.units,
    unit: f.unit,
    seed: f.seed,
    foundLength: f.foundLength,
    length: f.length,
    file: f.file,
  }));
  return finish({ format: SUMMARY_FORMAT, kind: 'dmacheck-campaign', campaign: id, shards: { of: shard.count, ran: [shard.index] }, total: { units: 0, walks: 0, actions: 0, violations: 0 }, configs, violations, timing: [timing] });
}

/** Totals recomputed, lists sorted: a summary's one form. */
function finish(s: Summary): Summary {
  const cs = Object.values(s.configs);
  s.total = {
    units: cs.reduce((a, c) => a + c.units, 0),
    walks: cs.reduce((a, c) => a + c.walks, 0),
    actions: cs.reduce((a, c) => a + c.actions, 0),
    violations: s.violations.reduce((a, v) => a + v.units, 0),
  };
  s.violations.sort(byKey);
  s.shards.ran.sort((a, b) => a - b);
  s.timing.sort((a, b) => a.shard - b.shard);
  return s;
}

/** A summary's text, parsed and validated; throws a message naming the file and the field. */
export function parseSummary(file: string, text: string): Summary {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  const r = SummarySchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(root)'}: ${i.message} (expected a dmacheck campaign summary.json, format ${SUMMARY_FORMAT})`);
  }
  if (r.data.format > SUMMARY_FORMAT) throw new Error(`${file}: format: ${r.data.format} is newer than this dmacheck reads (${SUMMARY_FORMAT})`);
  if (r.data.campaign.block !== BLOCK) throw new Error(`${file}: campaign.block: ${r.data.campaign.block}, but this dmacheck partitions in blocks of ${BLOCK}`);
  return r.data;
}

/** The field in which two campaigns differ, or null. */
function differs(a: Summary, b: Summary): string | null {
  for (const k of Object.keys(a.campaign) as (keyof CampaignId)[]) {
    if (JSON.stringify(a.campaign[k]) !== JSON.stringify(b.campaign[k])) return `campaign.${k}`;
  }
  return a.shards.of !== b.shards.of ? 'shards.of' : null;
}

export interface Merged {
  summary: Summary;
  /** For each violation kept: the index of the input it comes from (its file is copied from there). */
  from: number[];
}

/** Merge summaries of shards of one campaign; `names` label them in errors (their paths). */
export function mergeSummaries(xs: readonly Summary[], names: readonly string[]): Merged {
  if (xs.length === 0) throw new Error('merge: nothing to merge');
  const first = xs[0]!;
  const seen = new Map<number, string>();
  xs.forEach((s, i) => {
    const d = differs(first, s);
    if (d) throw new Error(`${names[i]}: ${d}: not the campaign of ${names[0]} (${JSON.stringify(d === 'shards.of' ? s.shards.of : s.campaign[d.slice('campaign.'.length) as keyof CampaignId])} against ${JSON.stringify(d === 'shards.of' ? first.shards.of : first.campaign[d.slice('campaign.'.length) as keyof CampaignId])}): only shards of one campaign merge`);
    for (const k of s.shards.ran) {
      if (seen.has(k)) throw new Error(`${names[i]}: shards.ran: shard ${k}/${s.shards.of} is in ${seen.get(k)} too: a shard merged twice would count its units twice`);
      seen.set(k, names[i]!);
    }
  });
  const configs: Summary['configs'] = {};
  for (const c of first.campaign.configs) {
    const parts = xs.map((s) => s.configs[c]).filter((x) => x !== undefined);
    configs[c] = {
      units: parts.reduce((a, p) => a + p.units, 0),
      walks: parts.reduce((a, p) => a + p.walks, 0),
      actions: parts.reduce((a, p) => a + p.actions, 0),
      deadEnds: parts.reduce((a, p) => a + p.deadEnds, 0),
      reached: [...new Set(parts.flatMap((p) => p.reached))].sort(),
    };
  }
  const best = new Map<string, { v: ViolationRecord; from: number; units: number }>();
  xs.forEach((s, i) => {
    for (const v of s.violations) {
      const k = `${v.config}\u0000${v.property}`;
      const o = best.get(k);
      if (!o) best.set(k, { v, from: i, units: v.units });
      else best.set(k, { ...(v.unit < o.v.unit ? { v, from: i } : o), units: o.units + v.units });
    }
  });
  const kept = [...best.values()].map((b) => ({ v: { ...b.v, units: b.units }, from: b.from })).sort((a, b) => byKey(a.v, b.v));
  const summary = finish({
    format: SUMMARY_FORMAT,
    kind: 'dmacheck-campaign',
    campaign: first.campaign,
    shards: { of: first.shards.of, ran: [...seen.keys()] },
    total: first.total,
    configs,
    violations: kept.map((k) => k.v),
    timing: xs.flatMap((s) => s.timing),
  });
  return { summary, from: kept.map((k) => k.from) };
}

/** A summary without what depends on the machine or on how it was sharded: equal for equal campaigns. */
export function deterministicPart(s: Summary): Omit<Summary, 'timing' | 'shards'> {
  const { timing: _t, shards: _s, ...rest } = s;
  return rest;
}
