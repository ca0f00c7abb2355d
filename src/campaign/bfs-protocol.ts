// The messages of the partitioned exhaustive search (pbfs.ts, bfs-worker.ts).
import type { Violation } from '../../properties/types.ts';

/** A successor sent to the worker that owns it: the node (state, monitors' memory) and its hash. */
export interface Remote {
  /** null on the last level: only its hash counts (it is never expanded). */
  node: [unknown, unknown] | null;
  h0: number;
  h1: number;
  /** The parent's index in the sending worker. */
  parent: number;
  k: number;
}

export type BfsRequest =
  | { type: 'init'; worker: number; workers: number; strategy: string; mutant: string | null; config: string; properties: string[]; modules: string[] }
  | { type: 'expand'; last: boolean }
  | { type: 'receive'; from: number; items: Remote[]; last: boolean }
  | { type: 'parent'; index: number };

export type BfsReply =
  | { type: 'ready'; states: number }
  | { type: 'expanded'; transitions: number; added: number; out: Remote[][]; violation: { parent: number; k: number; violation: Violation } | null; reached: string[] }
  | { type: 'received'; added: number; states: number; frontier: number; bytes: number }
  | { type: 'parent'; worker: number; index: number; k: number }
  | { type: 'error'; message: string };
