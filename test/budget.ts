// The test suites' budget: the default one, or a deeper one with DMACHECK_DEEP=1 (not part of `npm test`).
import { defaultBudget, type Budget } from '../src/check.ts';

export const deep = process.env.DMACHECK_DEEP === '1';
export const suiteBudget: Budget = deep ? { runs: 20_000, maxCommands: 80, seed: 7 } : defaultBudget;
