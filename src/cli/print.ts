// A failure as the commands print it: a heading line, then the explained trace (src/explain/).
import type { Model } from '../../model/model.ts';
import { propertyById } from '../../properties/index.ts';
import type { Failure } from '../check.ts';
import { explainTrace } from '../explain/explanation.ts';
import { renderText } from '../explain/render-text.ts';
import { useColour } from './tty.ts';

export function explainedText(m: Model, f: Pick<Failure, 'property' | 'actions'>, heading: string): string {
  const p = propertyById(f.property)!;
  const x = explainTrace(m, f.actions, [p], { property: p });
  return `  ${heading}\n${renderText(x, { colour: useColour() }).replace(/^/gm, '    ')}`;
}

export function printExplained(m: Model, f: Pick<Failure, 'property' | 'actions'>, heading: string): void {
  console.log(explainedText(m, f, heading));
}
