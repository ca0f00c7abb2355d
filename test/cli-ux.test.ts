// A command line with no surprises: --help on every subcommand, unknown options and bad numbers are
// errors (exit 2) that say what was expected, capabilities are "gives up", matrix keeps off the corpus,
// list describes each config apart, a multi-file replay ends with a summary, the corpus index is current.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers.ts';
import { commandNames } from '../src/cli/main.ts';
import { corpusReadme } from '../src/counterexample/corpus-readme.ts';

const subcommands = ['check', 'replay', 'matrix', 'list', 'mutants', 'explore', 'prove', 'corpus-readme', 'run', 'schema'];

describe('the command line', () => {
  it('knows every subcommand tested here', () => expect([...commandNames].sort()).toEqual(expect.arrayContaining([...subcommands].sort())));
  for (const c of commandNames) {
    it(`${c} --help exits 0 with its usage; an unknown option exits 2`, async () => {
      const h = await cli(c, '--help');
      expect(h.code, h.all).toBe(0);
      expect(h.out.length).toBeGreaterThan(20);
      const u = await cli(c, '--no-such-option');
      expect(u.code, u.all).toBe(2);
    });
  }
  for (const c of subcommands) {
    it(`${c} --help exits 0 and prints its usage with its exit codes`, async () => {
      const r = await cli(c, '--help');
      expect(r.code, r.all).toBe(0);
      expect(r.out).toMatch(new RegExp(`^dmacheck ${c}`));
      expect(r.out).toMatch(/exit: 0/);
    });
    it(`${c} refuses an unknown option with exit 2, naming it`, async () => {
      const r = await cli(c, '--no-such-option');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--no-such-option/);
    });
  }
  it('help COMMAND is COMMAND --help', async () => {
    const r = await cli('help', 'replay');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^dmacheck replay FILE/);
  });
  it('a negative number gets a clear message, not "ambiguous"', async () => {
    for (const args of [['check', '--strategy', 'odp-mirror', '--runs', '-1'], ['explore', '--strategy', 'odp-mirror', '--depth', '-3'], ['matrix', '--runs', '-1']]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/expected an integer >= 1, got '-\d'/);
      expect(r.err).not.toMatch(/ambiguous/);
    }
  });
  it('list describes every config differently, with its scope and kernel policy', async () => {
    const r = await cli('list', '--json');
    const cfgs = JSON.parse(r.out).configs as { name: string; description: string; scope: object }[];
    expect(new Set(cfgs.map((c) => c.description)).size).toBe(cfgs.length);
    for (const c of cfgs) expect(c.description).toMatch(/queues.*kernel/);
  });
  it('matrix --docs without --update-corpus is refused (the docs link the corpus)', async () => {
    const r = await cli('matrix', '--docs', join(tmpdir(), 'v.md'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--update-corpus/);
  });
  it('a capability a design gives up is printed as "gives up", never "FAILS", when check exits 0', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dmacheck-gives-up-'));
    const r = await cli('check', '--strategy', 'pin-longterm', '--config', 'kernel-queue', '--runs', '60', '--out', out);
    expect(r.all).toMatch(/gives up (migratable|oom-reclaimable)/);
    if (r.code === 0) expect(r.all).not.toMatch(/FAILS/);
  });
  it('a multi-file replay ends with a summary line', async () => {
    const files = ['test/fixtures/explain/odp-mirror--no-read-retry--kernel-queue--coherent-dma.json', 'test/fixtures/explain/mirror-blocking-notifier--user-queue--bounded-notifier.json'];
    const r = await cli('replay', ...files, 'no-such-file.json');
    expect(r.code).toBe(2);
    expect(r.out.trim().split('\n').at(-1)).toBe('replayed 3 file(s): 2 as expected, 0 mismatch(es), 1 that did not load');
  });
  it('replay --all-properties checks every property and names the others that break', async () => {
    const r = await cli('replay', '--all-properties', 'counterexamples/pin-longterm--kernel-queue-fork-2021--isolation.json');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/isolation fails at step 10, as expected \(also broken: coherent-dma at step 3\)/);
  });
  it('replay --json is one JSON document with each explanation and the summary', async () => {
    const r = await cli('replay', 'test/fixtures/explain/mirror-blocking-notifier--user-queue--bounded-notifier.json', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.summary).toEqual({ files: 1, ok: 1, mismatched: 0, errors: 0 });
    expect(j.replays[0].explanation.steps).toHaveLength(8);
    expect(j.replays[0].explanation.violation.property).toBe('bounded-notifier');
  });
  it('replay --html writes one self-contained file: inline style and script, no URL to load', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dmacheck-html-')), 'r.html');
    const r = await cli('replay', 'test/fixtures/explain/odp-mirror--no-read-retry--kernel-queue--coherent-dma.json', '--html', path);
    expect(r.code).toBe(0);
    const html = readFileSync(path, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<link\b|<script[^>]+src=|<img\b|@import|url\((?!#)/);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('<svg');
    // The embedded data cannot end its script element early.
    const data = /<script type="application\/json" id="explanation">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(data).steps).toHaveLength(10);
  });
  it('the terminal text has no colour when stdout is not a terminal', async () => {
    const r = await cli('replay', 'test/fixtures/explain/odp-mirror--no-read-retry--kernel-queue--coherent-dma.json');
    expect(r.out).not.toMatch(/\x1b\[/);
  });
  it('replay --markdown has a Mermaid sequence diagram with the five lanes', async () => {
    const r = await cli('replay', 'test/fixtures/explain/mirror-blocking-notifier--user-queue--bounded-notifier.json', '--markdown');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/```mermaid\nsequenceDiagram\n {2}participant U as user space and CPU\n {2}participant M as core mm\n {2}participant D as driver\n {2}participant H as device\n {2}participant Q as queue/);
    expect(r.out).toMatch(/U->>Q: 8\. submit\(p0, v1\)/);
  });
});

describe('counterexamples/README.md', () => {
  it('is up to date with the files (dmacheck corpus-readme regenerates it)', () => {
    expect(readFileSync('counterexamples/README.md', 'utf8')).toBe(corpusReadme('counterexamples'));
  });
  it('has one line per file with its verdict, question and length', () => {
    const text = corpusReadme('counterexamples');
    expect(text).toMatch(/\| \[mirror-blocking-notifier--user-queue--bounded-notifier\.json\]\(mirror-blocking-notifier--user-queue--bounded-notifier\.json\) \| bounded-notifier FAILS for mirror-blocking-notifier in user-queue, in (\d+) steps \| Does mirror-blocking-notifier guarantee .*\| \1 \| fail \|/);
  });
});
