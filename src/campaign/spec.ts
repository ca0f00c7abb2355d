// What a campaign is, and how its work is cut: a campaign is a list of numbered units per config (a unit
// is one seeded walk, `<seed>#<u>`, or one fast-check run of seed fcSeed(seed, u)); units are grouped in
// blocks of BLOCK; block b of every config belongs to shard (b mod N). So shard I of N runs exactly the
// units of the one-machine campaign that fall in its blocks, whatever the number of workers or machines,
// and a unit's result depends on nothing but its number: N shards merged give the one-machine run.
import type { ExplorerName } from '../explorers.ts';

/** Units per block: the grain of the partition (shards) and of the work handed to a worker. */
export const BLOCK = 64;

export type CampaignExplorer = Extract<ExplorerName, 'walk' | 'fast-check'>;

/** Everything that makes two runs the same campaign (a shard's summary carries it; merge compares it). */
export interface CampaignId {
  strategy: string;
  mutant: string | null;
  configs: string[];
  explorer: CampaignExplorer;
  seed: string;
  /** Units per config (`--runs`), or null for a campaign bounded by time. */
  runs: number | null;
  /** `--time` in milliseconds, or null. */
  timeMs: number | null;
  /** Steps per walk at most, or commands per fast-check run at most. */
  maxSteps: number;
  /** The properties checked, per config (with the witnesses). */
  properties: Record<string, string[]>;
  block: number;
}

export interface Shard {
  /** 1-based, as `--shard I/N` writes it. */
  index: number;
  count: number;
}

/** One piece of work: units lo..hi-1 of a config. */
export interface UnitRange {
  config: string;
  lo: number;
  hi: number;
}

/** Does block `b` belong to the shard? */
export function ownsBlock(shard: Shard, b: number): boolean {
  return b % shard.count === shard.index - 1;
}

/**
 * The shard's work in the order it is handed out: block by block, every config's block b before any
 * block b+1; with `runs`, up to it (the last block may be short); without, for ever (a campaign bounded
 * by time stops taking from it). Handed out in this order and each finished, a time-bounded campaign
 * has done a prefix of this list: per config, a number of units says which.
 */
export function* unitRanges(configs: readonly string[], shard: Shard, runs: number | null): Generator<UnitRange> {
  for (let b = 0; runs === null || b * BLOCK < runs; b++) {
    if (!ownsBlock(shard, b)) continue;
    for (const config of configs) yield { config, lo: b * BLOCK, hi: runs === null ? (b + 1) * BLOCK : Math.min(runs, (b + 1) * BLOCK) };
  }
}

/** The seed of fast-check run `u` of a campaign: FNV-1a of the campaign seed, plus u (32 bits). */
export function fcSeed(seed: string, u: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return (h + u) | 0;
}

/**
 * `--shard I/N`; or, when absent, the index a CI matrix or a Kubernetes indexed Job gives: the 0-based
 * JOB_COMPLETION_INDEX (Kubernetes) or DMACHECK_SHARD_INDEX, with the total from `--shards N` or
 * DMACHECK_SHARDS. Returns null for an unsharded run; throws a message naming the flag or variable.
 */
export function parseShard(flag: string | undefined, shardsFlag: string | undefined, env: NodeJS.ProcessEnv): Shard | null {
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag);
    if (!m) throw new Error(`--shard: expected I/N with 1 <= I <= N (e.g. --shard 2/8), got '${flag}'`);
    const index = Number(m[1]);
    const count = Number(m[2]);
    if (count < 1 || index < 1 || index > count) throw new Error(`--shard: expected I/N with 1 <= I <= N, got '${flag}'`);
    if (shardsFlag !== undefined) throw new Error('--shards: not with --shard I/N, which gives the total already');
    return { index, count };
  }
  const idxVar = env.JOB_COMPLETION_INDEX !== undefined ? 'JOB_COMPLETION_INDEX' : env.DMACHECK_SHARD_INDEX !== undefined ? 'DMACHECK_SHARD_INDEX' : null;
  const totalText = shardsFlag ?? env.DMACHECK_SHARDS;
  const totalName = shardsFlag !== undefined ? '--shards' : 'DMACHECK_SHARDS';
  if (idxVar === null) {
    if (shardsFlag !== undefined) throw new Error('--shards: needs the shard index, from JOB_COMPLETION_INDEX or DMACHECK_SHARD_INDEX (0-based), or use --shard I/N');
    return null;
  }
  const idxText = env[idxVar]!;
  if (!/^\d+$/.test(idxText)) throw new Error(`${idxVar}: expected a 0-based shard index, got '${idxText}'`);
  if (totalText === undefined) throw new Error(`${idxVar} is set (${idxText}) but not the number of shards: give --shards N or DMACHECK_SHARDS=N`);
  if (!/^\d+$/.test(totalText) || Number(totalText) < 1) throw new Error(`${totalName}: expected the number of shards (an integer >= 1), got '${totalText}'`);
  const count = Number(totalText);
  const index = Number(idxText) + 1;
  if (index > count) throw new Error(`${idxVar}=${idxText} is out of range for ${count} shards (0 to ${count - 1})`);
  return { index, count };
}

/** `--time 20s`, `90s`, `10m`, `1h`, or plain milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`--time: expected a duration such as 20s, 10m or 1h, got '${text}'`);
  const n = Number(m[1]);
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  if (!(ms > 0)) throw new Error(`--time: expected a positive duration, got '${text}'`);
  return ms;
}
