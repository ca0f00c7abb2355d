// The counterexample format as a person writes it: a JSON Schema in docs/ generated from the zod schema,
// metadata the tools write left out, actions in call syntax, versions refused with a reason.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { counterexampleJsonSchema } from '../src/counterexample/schema.ts';
import { replayFile } from '../src/counterexample/replay.ts';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;

describe('docs/counterexample.schema.json', () => {
  it('is up to date with the zod schema (dmacheck schema > docs/counterexample.schema.json)', () => {
    expect(readFileSync('docs/counterexample.schema.json', 'utf8')).toBe(counterexampleJsonSchema());
  });
  it('requires only what replay needs', () => {
    const s = JSON.parse(counterexampleJsonSchema());
    expect([...s.required].sort()).toEqual(['actions', 'config', 'expect', 'format', 'property', 'strategy']);
    expect(s.properties.property.required).toEqual(['id']);
  });
});

describe('a hand-written file', () => {
  it('with five fields and actions as calls replays, judged at any step and clause', () => {
    const r = replayFile(fixtures + 'hand/no-read-retry.json');
    expect(r.loadError).toBeNull();
    expect(r.ok, r.message).toBe(true);
    expect(r.message).toMatch(/coherent-dma fails at step 10, as expected/);
    expect(r.explanation!.verdict).toMatch(/^\(written by hand\) coherent-dma fails for odp-mirror with mutant no-read-retry/);
  });
  it('missing several fields is told all of them at once', () => {
    const r = replayFile(fixtures + 'bad/many-missing.json');
    expect(r.loadError!.field).toBe('config');
    expect(r.loadError!.expected).toMatch(/also property: .*; expect: /);
  });
  it('with a slot that does not exist is told so, naming the action', () => {
    const r = replayFile(fixtures + 'bad/bad-call.json');
    expect(r.loadError!.field).toBe('actions.1');
    expect(r.loadError!.expected).toMatch(/p7 does not exist: the scope has 2 processes/);
  });
  it('from a newer model is refused with a reason', () => {
    const r = replayFile(fixtures + 'bad/newer-model.json');
    expect(r.loadError!.field).toBe('model');
    expect(r.loadError!.expected).toMatch(/model version 99 is newer than this dmacheck's model \(version 6\)/);
  });
});
