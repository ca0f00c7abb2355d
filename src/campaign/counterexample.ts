// A campaign's counterexample: the first hit of a property (the lowest-numbered unit that broke it),
// shrunk against that property alone (src/shrink.ts), replayed, and written in the project's file format
// (src/counterexample/format.ts), under the name that format derives from its content.
import type { Model } from '../../model/model.ts';
import type { Property } from '../../properties/types.ts';
import { minimize } from '../shrink.ts';
import { runActions } from '../run.ts';
import { toCounterexample } from '../counterexample/save.ts';
import { fileNameOf, serialise } from '../counterexample/format.ts';
import type { FirstHit } from './units.ts';
import type { CampaignExplorer } from './spec.ts';

export interface ShrunkFile {
  config: string;
  property: string;
  unit: number;
  seed: string | number;
  foundLength: number;
  length: number;
  file: string;
  text: string;
}

export function shrinkHit(m: Model, prop: Property<any>, hit: FirstHit, explorer: CampaignExplorer): ShrunkFile {
  const actions = minimize(m, hit.actions, [prop], prop.id);
  const r = runActions(m, actions, [prop]);
  if (r.violation?.property !== prop.id) {
    throw new Error(`campaign: the counterexample of ${prop.id} from unit ${hit.unit} (${m.strategy.name}${m.mutant ? ` mutant ${m.mutant}` : ''} in ${m.cfg.name}) does not replay: found ${JSON.stringify(hit.actions)}`);
  }
  const cx = toCounterexample(m, { property: prop.id, violation: r.violation, actions, foundLength: hit.actions.length, seed: hit.seed, path: hit.path, ms: 0, searchMs: 0 }, explorer);
  return { config: m.cfg.name, property: prop.id, unit: hit.unit, seed: hit.seed, foundLength: hit.actions.length, length: actions.length, file: fileNameOf(cx), text: serialise(cx) };
}
