// Small helpers for tests: build models and actions by name.
import { makeModel, type Model } from '../model/model.ts';
import { strategyByName } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import type { Action } from '../model/types.ts';

export function model(strategy: string, config = 'kernel-queue', mutant: string | null = null): Model {
  const s = strategyByName(strategy);
  const c = configByName(config);
  if (!s || !c) throw new Error(`no ${strategy} / ${config}`);
  return makeModel(s, c, mutant);
}

/** act('migrate', 0, 1) */
export const act = (k: string, a = -1, b = -1): Action => ({ k, a, b });
