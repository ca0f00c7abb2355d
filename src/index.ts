// The library API: define a strategy (your driver's design) and run the suite on it from your own
// vitest file. See README.md, "Checking your own driver".
export type { Strategy, MutantInfo, DriverContext, ActionKind } from '../model/strategy.ts';
export { noHooks } from '../model/strategy.ts';
export type { State, Action, Config, Job, Invalidation, Frame } from '../model/types.ts';
export type { ModelEvent } from '../model/events.ts';
export * as mm from '../model/mm.ts';
export { makeModel, init, enabled, step, stepInPlace, formatAction, type Model } from '../model/model.ts';
export { configs, configByName, defaultScope, kernelToday, kernel2021 } from '../model/configs.ts';
export { strategies, strategyByName } from '../model/strategies/index.ts';
export { allProperties, verdictProperties, witnesses, propertyById } from '../properties/index.ts';
export type { Property, Violation, View } from '../properties/types.ts';
export { checkModel, defaultBudget, type Budget, type CheckResult, type Failure } from './check.ts';
export { runActions } from './run.ts';
export { minimize } from './shrink.ts';
export { toCounterexample, saveCounterexample } from './counterexample/save.ts';
export { replayFile } from './counterexample/replay.ts';
