// proofs.json: what `dmacheck prove` found for every correct strategy in each config at the config's proof
// scope, per property: proved in all N states, n/a (its premise arises nowhere in the space), fails (a
// shortest counterexample), or unfinished. Written by `dmacheck prove --update`, compared by `dmacheck
// prove` with no strategy, and read by the matrix, which shows a holding cell as proved or only as
// having survived a budget.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { packageFile } from './paths.ts';

export const PROOFS_PATH = packageFile('proofs.json');

export const ProofSchema = z.object({
  strategy: z.string().min(1),
  config: z.string().min(1),
  /** The scope exhausted, as `procs=1,vpages=1,...`. */
  scope: z.string().min(1),
  property: z.string().min(1),
  verdict: z.enum(['proved', 'n/a', 'fails', 'unfinished']),
  /** Distinct states of the search that decided it (for fails: the length of the shortest counterexample). */
  states: z.number().int().nonnegative(),
});
export type ProofRecord = z.infer<typeof ProofSchema>;

export const ProofsSchema = z.object({ note: z.string().optional(), proofs: z.array(ProofSchema) });

export function loadProofs(path = PROOFS_PATH): ProofRecord[] {
  if (!existsSync(path)) return [];
  const parsed = ProofsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data.proofs;
}

export function writeProofs(proofs: readonly ProofRecord[], path = PROOFS_PATH): void {
  const doc = {
    note: 'What `dmacheck prove` found at each config\'s proof scope: written by `dmacheck prove --update`, compared by `dmacheck prove`.',
    proofs: proofs.map((p) => ({ strategy: p.strategy, config: p.config, scope: p.scope, property: p.property, verdict: p.verdict, states: p.states })),
  };
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
}

export function proofOf(proofs: readonly ProofRecord[], strategy: string, config: string, property: string): ProofRecord | undefined {
  return proofs.find((p) => p.strategy === strategy && p.config === config && p.property === property);
}
