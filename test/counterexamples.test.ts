// The corpus: every file in counterexamples/ replays to its expectation; a bad file gets an error that
// names the file and the field, and does not stop the others.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { replayFile } from '../src/counterexample/replay.ts';
import { loadCounterexample, LoadError } from '../src/counterexample/load.ts';
import { serialise } from '../src/counterexample/format.ts';
import { readFileSync } from 'node:fs';

const dir = new URL('../counterexamples/', import.meta.url).pathname;
const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const corpus = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('the counterexample corpus', () => {
  it('is not empty', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(12);
  });
  for (const f of corpus) {
    it(`${f} replays to its expectation`, () => {
      const r = replayFile(dir + f);
      expect(r.loadError).toBeNull();
      expect(r.ok, r.message).toBe(true);
      expect(r.text).toContain('✗');
    });
  }
  it('files are stored in their canonical form (same finding, same bytes)', () => {
    for (const f of corpus) {
      const { cx } = loadCounterexample(dir + f);
      expect(serialise(cx), f).toBe(readFileSync(dir + f, 'utf8'));
    }
  });
});

describe('bad counterexample files', () => {
  const cases: [string, string, RegExp][] = [
    ['not-json.json', '(file)', /not valid JSON/],
    ['newer-format.json', 'format', /version 7 is newer than this dmacheck reads \(1\)/],
    ['unknown-strategy.json', 'strategy', /unknown strategy 'no-such-driver'/],
    ['unknown-action.json', 'actions.1.k', /unknown action 'teleport'/],
    ['missing-property.json', 'property', /expected object, received undefined/],
    ['bad-arg.json', 'actions.0.a', /expected number, received string/],
    // Written by a model whose semantics differ (writes cycled through 1..5 values): refused, with why.
    ['older-model.json', 'model', /model version 1, but this dmacheck's model is version 6: its semantics changed/],
  ];
  for (const [file, field, msg] of cases) {
    it(`${file}: the error names the file and the field '${field}'`, () => {
      const r = replayFile(fixtures + 'bad/' + file);
      expect(r.ok).toBe(false);
      expect(r.loadError).toBeInstanceOf(LoadError);
      expect(r.loadError!.field).toBe(field);
      expect(r.loadError!.message).toContain(file);
      expect(r.loadError!.expected).toMatch(msg);
    });
  }
  it('a trace that no longer replays says which action is not enabled', () => {
    const r = replayFile(fixtures + 'stale/no-longer-replays.json');
    expect(r.loadError).toBeNull();
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/action 1, deregister\(p0\), is not enabled/);
  });
  it('a fixed bug kept as a regression passes when the property holds', () => {
    const r = replayFile(fixtures + 'regression-pass.json');
    expect(r.ok, r.message).toBe(true);
    expect(r.message).toMatch(/holds, as expected/);
    expect(r.text).not.toContain('✗');
  });
});
