// The explanation as JSON, for scripts: the same data the other renderings draw from.
import type { Explanation } from './explanation.ts';

export function renderJson(x: Explanation): unknown {
  // `before` of a row that did not exist is left out (JSON has no undefined).
  return JSON.parse(JSON.stringify(x));
}
