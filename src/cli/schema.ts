// `dmacheck schema`: print the JSON Schema of the counterexample file format (docs/counterexample.schema.json).
import { parseArgs } from 'node:util';
import { counterexampleJsonSchema } from '../counterexample/schema.ts';

export const SCHEMA_USAGE = `dmacheck schema

  Print the JSON Schema of the counterexample file format, generated from its zod schema
  (dmacheck schema > docs/counterexample.schema.json).

  exit: 0, 2 bad usage`;

export async function schemaCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(SCHEMA_USAGE);
    return 0;
  }
  process.stdout.write(counterexampleJsonSchema());
  return 0;
}
