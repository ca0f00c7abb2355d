// The dmacheck command line. Exit codes, the same for every command (EXIT_CODES below, and the README's
// table): 0 all as expected, 1 a property failed (or a verdict differs from the manifest), 2 bad usage or
// a bad input file, 3 (prove, explore) a search stopped before it was exhausted: nothing was proved.
import { listCommand } from './list.ts';
import { checkCommand } from './check.ts';
import { replayCommand } from './replay.ts';
import { mutantsCommand } from './mutants.ts';
import { matrixCommand } from './matrix.ts';
import { exploreCommand } from './explore.ts';
import { proveCommand } from './prove.ts';
import { UsageError } from './usage.ts';
import { corpusReadmeCommand } from './corpus-readme.ts';
import { runCommand } from './run.ts';
import { schemaCommand } from './schema.ts';
import { resolveStrategies, StrategyLoadError, useRegistry } from '../registry.ts';

const HELP = `dmacheck: property-based verification of device access to process memory

  dmacheck check [--strategy S [--mutant M] [--config C] [--property P] [--explorer E]] [--runs N] [--seed X] [--out DIR] [--html] [--markdown] [--manifest FILE]
  dmacheck replay FILE... [--html OUT] [--markdown] [--json] [--changes]
  dmacheck matrix [--markdown | --json] [--runs N] [--seed X] [--out DIR | --update-corpus] [--docs FILE]
  dmacheck list [--json]
  dmacheck mutants [--runs N] [--seed X] [--out DIR]   kill every mutant, save the counterexamples
  dmacheck explore --strategy S [--mutant M] [--config C] [--scope K=V,...] [--depth D] [--states N] [--explorer bfs|walk]
  dmacheck prove --strategy S [--mutant M] [--config C] [--property P] [--scope K=V,...] [--states N] [--depth D]
  dmacheck corpus-readme [DIR] [--check]               index a counterexample corpus in DIR/README.md
  dmacheck run FILE... [--html OUT] [--markdown] [--json]  run scenarios written by hand (docs/scenarios.md)
  dmacheck schema                                      the JSON Schema of the counterexample file format
  dmacheck campaign --strategy S [--mutant M] [--config C] [--workers N] [--runs N | --time T] [--shard I/N] [--out DIR]
  dmacheck merge DIR... [--out DIR]   merge campaign shards' summaries and counterexamples

  dmacheck COMMAND --help (or dmacheck help COMMAND): the command's options and exit codes.

Exit codes, for every command: 0 all as expected; 1 a property failed, a verdict differs from the
manifest, or a replay does not match its file; 2 bad usage or a bad input file; 3 (explore, prove) the
search stopped before it exhausted the space: nothing was proved.

With no strategy, check runs every strategy in every config and compares the verdicts with manifest.json.

Your own strategies: --strategies ./my-driver.js[,./other.js] before or after the command, or a
dmacheck.config.mjs (.js, .json) in the working directory: export default { strategies: ['./my-driver.js'],
manifest: 'dmacheck.manifest.json' }. Every command then sees them; check with no --strategy, matrix and
mutants run them (not the built-in ones) against that manifest (check --update-manifest writes it).`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  check: checkCommand,
  replay: replayCommand,
  list: listCommand,
  mutants: mutantsCommand,
  matrix: matrixCommand,
  explore: exploreCommand,
  prove: proveCommand,
  'corpus-readme': corpusReadmeCommand,
  run: runCommand,
  schema: schemaCommand,
  // Loaded when run (worker threads, cli-progress): the other commands do not pay for them.
  campaign: async (argv) => (await import('./campaign.ts')).campaignCommand(argv),
  merge: async (argv) => (await import('./merge.ts')).mergeCommand(argv),
};

/** Every subcommand's name (a test holds each to --help and to refusing unknown options). */
export const commandNames: readonly string[] = Object.keys(commands);

/** Take `--strategies X` / `--strategies=X` (repeatable, comma-separated) out of argv. */
function takeStrategies(argv: readonly string[]): { modules: string[]; rest: string[] } {
  const modules: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let v: string | undefined;
    if (a === '--strategies') {
      v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError('--strategies: expected a module path, e.g. --strategies ./my-driver.js');
    } else if (a.startsWith('--strategies=')) {
      v = a.slice('--strategies='.length);
    } else {
      rest.push(a);
      continue;
    }
    modules.push(...v.split(',').filter((m) => m !== ''));
  }
  return { modules, rest };
}

/**
 * `--runs -1` as `--runs=-1`: node's parseArgs takes a value that starts with a dash for an option, and
 * would answer "ambiguous"; joined, the option's own check says what it expects.
 */
function negativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let args: string[];
  try {
    const { modules, rest } = takeStrategies(argv);
    args = rest;
    useRegistry(await resolveStrategies(modules));
  } catch (e) {
    if (e instanceof UsageError || e instanceof StrategyLoadError) {
      console.error(`dmacheck: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const [cmd, ...rest] = args;
  if (cmd === 'help' && rest[0] !== undefined && commands[rest[0]]) return main([rest[0], '--help']);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    if (cmd) console.log(HELP);
    else console.error(HELP);
    return cmd ? 0 : 2;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`dmacheck: unknown command '${cmd}' (one of: ${Object.keys(commands).join(', ')})\n\n${HELP}`);
    return 2;
  }
  try {
    return await run(negativeValues(rest));
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`dmacheck ${cmd}: ${(e as Error).message.split('\n')[0]} (dmacheck ${cmd} --help lists the options)`);
      return 2;
    }
    throw e;
  }
}

