// The messages between a campaign's coordinator (src/campaign/pool.ts) and its workers (worker.ts).
import type { CampaignExplorer, UnitRange } from './spec.ts';
import type { FirstHit, Tally } from './units.ts';
import type { ShrunkFile } from './counterexample.ts';

export interface WorkerInit {
  strategy: string;
  mutant: string | null;
  configs: string[];
  properties: Record<string, string[]>;
  explorer: CampaignExplorer;
  seed: string;
  maxSteps: number;
  /** The user's strategy modules (absolute paths), resolved again in the worker. */
  modules: string[];
  /** Every this many ms, collect the garbage fully and report the live heap (to see whether it stays flat). */
  liveHeapEveryMs?: number;
}

export type Request =
  | { type: 'init'; init: WorkerInit }
  | { id: number; type: 'units'; range: UnitRange }
  | { id: number; type: 'shrink'; config: string; property: string; hit: FirstHit };

export type Reply =
  | { id: number; type: 'tally'; range: UnitRange; tally: Tally; heapUsed: number; liveHeap?: number }
  | { id: number; type: 'shrunk'; file: ShrunkFile }
  | { id: number; type: 'error'; message: string };
