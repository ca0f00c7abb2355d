// The dmacheck command line. Exit codes: 0 all as expected, 1 a property failed (or a verdict differs
// from the manifest), 2 bad usage or a bad input file, 3 (prove, explore) a search stopped before it was
// exhausted: nothing was proved.
import { listCommand } from './list.ts';
import { checkCommand } from './check.ts';
import { replayCommand } from './replay.ts';
import { mutantsCommand } from './mutants.ts';
import { matrixCommand } from './matrix.ts';
import { exploreCommand } from './explore.ts';
import { proveCommand } from './prove.ts';
import { UsageError } from './usage.ts';

const HELP = `dmacheck: property-based verification of device access to process memory

  dmacheck check [--strategy S [--mutant M] [--config C] [--property P] [--explorer E]] [--runs N] [--seed X] [--out DIR] [--manifest FILE]
  dmacheck replay FILE...
  dmacheck matrix [--markdown | --json] [--runs N] [--seed X] [--out DIR] [--docs FILE]
  dmacheck list [--json]
  dmacheck mutants [--runs N] [--seed X] [--out DIR]   kill every mutant, save the counterexamples
  dmacheck explore --strategy S [--mutant M] [--config C] [--scope K=V,...] [--depth D] [--states N] [--explorer bfs|walk]
  dmacheck prove --strategy S [--mutant M] [--config C] [--property P] [--scope K=V,...] [--states N] [--depth D]

With no strategy, check runs every strategy in every config and compares the verdicts with manifest.json.`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  check: checkCommand,
  replay: replayCommand,
  list: listCommand,
  mutants: mutantsCommand,
  matrix: matrixCommand,
  explore: exploreCommand,
  prove: proveCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`dmacheck: unknown command '${cmd}'\n\n${HELP}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`dmacheck ${cmd}: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

