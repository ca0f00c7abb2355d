// A failure as the commands print it: a heading line, then the explained trace (src/counterexample/explain.ts).
import type { Model } from '../../model/model.ts';
import { propertyById } from '../../properties/index.ts';
import type { Failure } from '../check.ts';
import { runActions } from '../run.ts';
import { explain, renderText } from '../counterexample/explain.ts';

export function printExplained(m: Model, f: Failure, heading: string): void {
  const r = runActions(m, f.actions, [propertyById(f.property)!], true);
  console.log(`  ${heading}`);
  console.log(renderText(explain(r.trace, r.violation, r.step)).replace(/^/gm, '    '));
}
