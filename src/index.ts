// The library API (`import ... from 'dmacheck'`): define a strategy (your driver's design) with the
// helpers a driver needs, and run the properties on it. The one-call check for a test file is in
// `dmacheck/vitest`. docs/driver-guide.md writes the Strategy contract out, with a worked example.

// ---- Defining a strategy ------------------------------------------------------------------------------
export type { Strategy, StrategySpec, MutantInfo, DriverContext, DriverAction, ActionKind } from '../model/strategy.ts';
export { defineStrategy, noHooks, assertPlain } from '../model/strategy.ts';
export type {
  State, Action, Actor, Config, Scope, KernelPolicy, Job, JobState, Invalidation, InvalidationCause, Frame, FrameKind,
  Pte, Mm, Subscription, Registration, MirrorEntry, Device, DeviceKind, QueueOwner, QueueState, DriverState, DriverRecord,
} from '../model/types.ts';
/** NONE marks an empty slot or argument; CB_RETURNED a callback that returned; DEV the device under test, PEER the other. */
export { NONE, CB_RETURNED, DEV, PEER } from '../model/types.ts';
export type { ModelEvent, Emit, Errno, ErrorSource, JobErrorCause } from '../model/events.ts';
/**
 * Core mm helpers a driver calls as the kernel's driver API: pin/unpin, subscribe/unsubscribe,
 * setSeq (mmu_interval_set_seq), readBegin/readRetry, hmmRangeFault, callbackReturn/callbackRefuse
 * (the callback bookkeeping of inv.cb[sub]), setMirror/zapMirror/zapAndReturn/dirtyWritten (the device's
 * page table), putFrame, dmaInFlight, invalidating, procInvalidating.
 */
export * as mm from '../model/mm.ts';
/** The interval notifier's fault path (read_begin, range_fault, fault_commit) for a mirroring driver. */
export {
  faultActionKinds, emptyFaults, startFault, faultEnabled, faultApply, faultPending, abortFault, mirrorTeardown, faultSlots,
  faultCounters, faultClearDead, mirrorCounters,
  type FaultCtx, type FaultMutations, type MirrorDriver, type MirrorState,
} from '../model/strategies/mirror-fault.ts';
/** Memory of the device under test itself (its own VRAM). */
export { ownDeviceMemory, deviceAlloc } from '../model/device-memory.ts';
/** Peer-device and P2P helpers (VRAM of the peer, pci_p2pdma_distance). */
export { p2pPossible, vramAlloc, ramAlloc, vramFree, coreMmPage } from '../model/p2p.ts';

// ---- The model ----------------------------------------------------------------------------------------
export { makeModel, init, enabled, step, stepInPlace, formatAction, sameAction, isEnabled, actorOf, type Model } from '../model/model.ts';
export { configs, configByName, anyConfigByName, kernelVariants, defaultScope, p2pScope, kernelToday, kernel2021, withScope, proofConfig, scopeText, scopeLimits } from '../model/configs.ts';
/** The finite model: the canonical form of a state (and the Counters a strategy's `counters` hook receives). */
export { canonicalize, type Counters, type CanonicalOptions } from '../model/canonical.ts';
export { strategies, strategyByName } from '../model/strategies/index.ts';
export { clonePlain } from '../model/clone.ts';

// ---- Properties ---------------------------------------------------------------------------------------
export { allProperties, verdictProperties, capabilityProperties, witnesses, propertyById } from '../properties/index.ts';
export type { Property, PropertyKind, Violation, View, Oracle, CheckContext } from '../properties/types.ts';

// ---- Checking -----------------------------------------------------------------------------------------
export { checkModel, defaultBudget, type Budget, type CheckResult, type Failure } from './check.ts';
export { walkCheck, bfsCheck, defaultWalkBudget, defaultBfsBudget, type WalkBudget, type BfsBudget, type ExplorerResult } from './explore-model.ts';
export { Monitor, viewOf, systemOf } from './system.ts';
/** Proofs at a scope: exhaust the reachable space (finite) and prove each property, or a shortest counterexample. */
export { proveModel, defaultProofBudget, type ProofBudget, type ProofResult, type Proved, type Unfinished } from './prove.ts';
export { runActions, type RunResult, type TraceStep } from './run.ts';
export { minimize } from './shrink.ts';
export { checkStrategy, checkMutants, checkConfigs, defaultClaims, StrategyCheckError, type CheckOptions, type Claims, type ConfigReport, type MutantKill } from './vitest.ts';

// ---- Counterexamples ----------------------------------------------------------------------------------
export { toCounterexample, saveCounterexample } from './counterexample/save.ts';
export { replayFile, type ReplayOutcome } from './counterexample/replay.ts';
export { loadCounterexample, LoadError } from './counterexample/load.ts';
export { explain, renderText, describeEvent, type ExplainedStep } from './counterexample/explain.ts';
export { CounterexampleSchema, CounterexampleInputSchema, fileNameOf, FORMAT_VERSION, MODEL_VERSION, type Counterexample, type CounterexampleInput } from './counterexample/format.ts';
export { counterexampleJsonSchema } from './counterexample/schema.ts';
export { corpusReadme, writeCorpusReadme } from './counterexample/corpus-readme.ts';

// ---- Explanations and renderings ----------------------------------------------------------------------
export {
  explainTrace, effectOfEvent, worldEffects, flatten, diffStates, renderMarkdown, renderMermaid, renderHtml, renderSvg, renderJson,
  renderText as renderExplanation, lanes, laneNames,
  type Explanation, type ExplainedStep as ExplainedTraceStep, type ChainLink, type NotEnabled, type Lane, type ExplainOptions, type Effect, type EffectKind, type Change, type FlatState, type TextOptions,
} from './explain/index.ts';

// ---- Scenarios (docs/scenarios.md) --------------------------------------------------------------------
export { ScenarioSession, DEFAULT_SETTLE_BOUND } from './scenario/session.ts';
export { runScenario, runScenarioFile, type ScenarioResult, type ExpectationResult } from './scenario/run.ts';
export { parseScenario, type Scenario, type Statement, type Expectation } from './scenario/parse.ts';
export { parseCall, resolveCall, ScenarioError, type Call, type SlotRef, type Bindings } from './scenario/call.ts';
export { whyNotEnabled, worldGuard, type Clause } from './scenario/guards.ts';

// ---- The command line on your strategies --------------------------------------------------------------
export { resolveStrategies, useRegistry, findStrategy, allStrategies, type Registry, type DmacheckConfig } from './registry.ts';
export { main } from './cli/main.ts';
