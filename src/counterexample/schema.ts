// docs/counterexample.schema.json, generated from the zod schema of the file as a person may write it
// (`dmacheck schema > docs/counterexample.schema.json`); a test checks the committed one is up to date.
import { z } from 'zod';
import { CounterexampleInputSchema, FORMAT_VERSION } from './format.ts';

export function counterexampleJsonSchema(): string {
  const schema = z.toJSONSchema(CounterexampleInputSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  const out = {
    $schema: schema['$schema'],
    title: `dmacheck counterexample file, format ${FORMAT_VERSION}`,
    description: 'A saved or hand-written counterexample: the action list is the truth replay reads; the rest says what it shows. Written files carry every field; a hand-written one needs format, strategy, config, property.id, expect and actions.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
  return JSON.stringify(out, null, 2) + '\n';
}
