// dmacheck campaign and merge: two shards merged equal the one-machine run (summary and corpus, byte for
// byte), whatever the workers; the counterexamples replay; merge refuses what is not one campaign; bad
// flags exit 2 naming the flag. Budgets are units (--runs), never times; the workers run dist/ (npm test
// builds it first).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers.ts';
import { deterministicPart, parseSummary, type Summary } from '../src/campaign/summary.ts';
import { BLOCK, parseShard, unitRanges } from '../src/campaign/spec.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'dmacheck-campaign-'));
const summary = (dir: string): Summary => parseSummary(dir, readFileSync(join(dir, 'summary.json'), 'utf8'));
const corpus = (dir: string) => Object.fromEntries(readdirSync(join(dir, 'counterexamples')).sort().map((f) => [f, readFileSync(join(dir, 'counterexamples', f), 'utf8')]));

async function withEnv<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const old = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('the partition of a campaign', () => {
  it('gives every unit to exactly one of N shards, in blocks', () => {
    const all = [...unitRanges(['a', 'b'], { index: 1, count: 1 }, 300)];
    const cover = (n: number) =>
      Array.from({ length: n }, (_, i) => [...unitRanges(['a', 'b'], { index: i + 1, count: n }, 300)])
        .flat()
        .sort((x, y) => (x.config < y.config ? -1 : x.config > y.config ? 1 : x.lo - y.lo));
    const sorted = [...all].sort((x, y) => (x.config < y.config ? -1 : x.config > y.config ? 1 : x.lo - y.lo));
    for (const n of [2, 3, 7]) expect(cover(n)).toEqual(sorted);
    expect(all.at(-1)).toEqual({ config: 'b', lo: 4 * BLOCK, hi: 300 });
  });

  it('reads the shard from --shard, or from JOB_COMPLETION_INDEX (0-based) with a total', () => {
    expect(parseShard('2/8', undefined, {})).toEqual({ index: 2, count: 8 });
    expect(parseShard(undefined, '4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 4, count: 4 });
    expect(parseShard(undefined, undefined, { DMACHECK_SHARD_INDEX: '0', DMACHECK_SHARDS: '2' })).toEqual({ index: 1, count: 2 });
    expect(parseShard(undefined, undefined, {})).toBeNull();
    expect(() => parseShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' })).toThrow(/JOB_COMPLETION_INDEX is set \(1\) but not the number of shards/);
    expect(() => parseShard(undefined, '2', { JOB_COMPLETION_INDEX: '2' })).toThrow(/out of range for 2 shards/);
  });
});

describe('dmacheck campaign and merge', () => {
  const args = ['campaign', '--strategy', 'pin-longterm', '--mutant', 'put-page-not-unpin', '--config', 'kernel-queue', '--runs', '200'];

  it('2 shards merged equal the unsharded run: the same summary and the same counterexample files', async () => {
    const [one, s1, s2, merged] = [tmp(), tmp(), tmp(), tmp()];
    const u = await cli(...args, '--workers', '2', '--out', one);
    expect(u.code, u.all).toBe(1);
    expect((await cli(...args, '--shard', '1/2', '--workers', '1', '--out', s1)).code).toBe(1);
    // The second shard as a Kubernetes indexed Job names it: index 1 (0-based) of 2.
    const k = await withEnv({ JOB_COMPLETION_INDEX: '1' }, () => cli(...args, '--shards', '2', '--workers', '2', '--out', s2));
    expect(k.out).toMatch(/shard 2\/2/);
    const m = await cli('merge', s1, s2, '--out', merged);
    expect(m.code, m.all).toBe(1);
    const whole = summary(one);
    expect(whole.total.units).toBe(200);
    expect(summary(s1).total.units + summary(s2).total.units).toBe(200);
    expect(summary(s1).total.units).toBeGreaterThan(0);
    expect(deterministicPart(summary(merged))).toEqual(deterministicPart(whole));
    expect(summary(merged).shards).toEqual({ of: 2, ran: [1, 2] });
    expect(corpus(merged)).toEqual(corpus(one));
    // The mutant is found, shrunk, and the file replays as a failure of the property.
    expect(whole.violations.map((v) => [v.property, v.length])).toEqual([['pins-balanced', 3]]);
    const r = await cli('replay', join(merged, 'counterexamples', whole.violations[0]!.file));
    expect(r.code, r.all).toBe(0);
    expect(r.out).toMatch(/pins-balanced fails at step 3, as expected/);
  }, 120_000);

  it('with fast-check runs too', async () => {
    const fc = ['campaign', '--strategy', 'pin-per-job', '--mutant', 'unpin-at-handoff', '--config', 'kernel-queue', '--explorer', 'fast-check', '--runs', '80', '--max-steps', '30'];
    const [one, s1, s2, merged] = [tmp(), tmp(), tmp(), tmp()];
    await cli(...fc, '--out', one);
    await cli(...fc, '--shard', '1/2', '--out', s1);
    await cli(...fc, '--shard', '2/2', '--out', s2);
    await cli('merge', s2, s1, '--out', merged);
    expect(summary(one).violations.length).toBeGreaterThan(0);
    expect(deterministicPart(summary(merged))).toEqual(deterministicPart(summary(one)));
    expect(corpus(merged)).toEqual(corpus(one));
  }, 120_000);

  it('merge refuses a shard given twice, shards of another campaign, and a directory with no summary (exit 2)', async () => {
    const [a, b, empty] = [tmp(), tmp(), tmp()];
    await cli(...args, '--runs', '64', '--shard', '1/2', '--workers', '1', '--out', a);
    await cli(...args, '--runs', '64', '--shard', '2/2', '--workers', '1', '--seed', 'other', '--out', b);
    const twice = await cli('merge', a, a, '--out', tmp());
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/shards\.ran: shard 1\/2 is in .* too/);
    const other = await cli('merge', a, b, '--out', tmp());
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/campaign\.seed: not the campaign of/);
    const none = await cli('merge', empty, '--out', tmp());
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/summary\.json: no such file/);
    writeFileSync(join(empty, 'summary.json'), JSON.stringify({ ...summary(a), total: { units: -1 } }));
    const bad = await cli('merge', empty, '--out', tmp());
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/summary\.json: total\.(units|walks)/);
  }, 120_000);

  it.each([
    [['--shard', '0/2'], /--shard: expected I\/N/],
    [['--shard', '2/2', '--shards', '2'], /--shards: not with --shard/],
    [['--time', '5s'], /--runs and --time: give one/],
    [['--workers', '0'], /--workers: expected an integer >= 1/],
    [['--explorer', 'dfs'], /--explorer: expected walk, fast-check or bfs/],
    [['--explorer', 'bfs'], /--runs: not with --explorer bfs/],
    [['--depth', '4'], /--depth: only with --explorer bfs/],
    [['--property', 'nope'], /--property: unknown property 'nope'/],
  ])('bad flags %j exit 2 naming the flag', async (extra, msg) => {
    const r = await cli(...args, ...extra, '--out', tmp());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });

  it('--explorer bfs searches exhaustively on the workers and writes the shortest counterexample', async () => {
    const out = tmp();
    const r = await cli('campaign', '--strategy', 'pin-longterm', '--mutant', 'put-page-not-unpin', '--config', 'kernel-queue', '--explorer', 'bfs', '--workers', '2', '--depth', '6', '--out', out);
    expect(r.code, r.all).toBe(1);
    expect(r.out).toMatch(/pins-balanced FAILS in 3 steps \(a shortest trace\)/);
    expect(readdirSync(join(out, 'counterexamples'))).toEqual(['pin-longterm--put-page-not-unpin--kernel-queue--pins-balanced.json']);
    const held = await cli('campaign', '--strategy', 'pin-per-job', '--config', 'kernel-queue', '--property', 'pins-balanced', '--explorer', 'bfs', '--workers', '2', '--depth', '3', '--out', tmp());
    expect(held.code, held.all).toBe(0);
    expect(held.out).toMatch(/every state to depth 3/);
  }, 60_000);

  it('a time-bounded campaign stops, says what it ran, and a correct design breaks nothing it holds', async () => {
    const out = tmp();
    const r = await cli('campaign', '--strategy', 'pin-per-job', '--config', 'kernel-queue', '--time', '1s', '--workers', '1', '--out', out);
    expect(r.code, r.all).toBe(0);
    const s = summary(out);
    expect(s.campaign.runs).toBeNull();
    expect(s.total.units).toBeGreaterThan(0);
    expect(s.total.units % BLOCK).toBe(0);
    expect(s.violations).toEqual([]);
  }, 60_000);
});
