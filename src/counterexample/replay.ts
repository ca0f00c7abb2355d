// Replay a saved counterexample and judge it against its expectation. The explanation of the run (every
// step's effects, the causal chain) comes with the outcome, for the renderers.
import { explainTrace, type Explanation } from '../explain/explanation.ts';
import { renderText } from '../explain/render-text.ts';
import { LoadError, loadCounterexample } from './load.ts';
import { MODEL_VERSION } from './format.ts';
import { verdictProperties } from '../../properties/index.ts';

export interface ReplayOutcome {
  file: string;
  /** The replay matched the file's expectation. */
  ok: boolean;
  /** The file could not be loaded (exit 2 territory). */
  loadError: LoadError | null;
  message: string;
  /** The numbered trace, for people. */
  text: string;
  /** The run explained as data (null when the file did not load). */
  explanation: Explanation | null;
}

/**
 * Replay `file` and judge it by its expectation. With `allProperties`, every verdict property is checked
 * at every step too (not only the file's), and the others that break are named in the message.
 */
export function replayFile(file: string, opts: { colour?: boolean; changes?: boolean; allProperties?: boolean } = {}): ReplayOutcome {
  let loaded;
  try {
    loaded = loadCounterexample(file);
  } catch (e) {
    if (e instanceof LoadError) return { file, ok: false, loadError: e, message: e.message, text: '', explanation: null };
    throw e;
  }
  const { cx, model, property, given } = loaded;
  const props = opts.allProperties ? [property, ...verdictProperties.filter((p) => p.id !== property.id)] : [property];
  const x = explainTrace(model, cx.actions, props, { verdict: cx.verdict, question: cx.question, property, continueAfterViolation: opts.allProperties ?? false });
  const others = x.violations.filter((v) => v.property !== property.id);
  const also = others.length ? ` (also broken: ${others.map((v) => `${v.property} at step ${v.step}`).join(', ')})` : '';
  const text = renderText(x, { colour: opts.colour ?? false, changes: opts.changes ?? false });
  const out = (ok: boolean, message: string): ReplayOutcome => ({ file, ok, loadError: null, text, explanation: x, message: message + also });
  const versionNote = cx.model !== MODEL_VERSION ? ` (recorded with model version ${cx.model}; this dmacheck's model is version ${MODEL_VERSION})` : '';
  if (x.notEnabled) {
    const { n, call, enabled } = x.notEnabled;
    return out(false, `${file}: action ${n}, ${call}, is not enabled where it stands (enabled there: ${enabled.join(', ') || 'nothing'}): the trace no longer replays${versionNote}`);
  }
  const v = x.violations.find((y) => y.property === property.id) ?? null;
  if (cx.expect === 'fail') {
    if (!v) return out(false, `${file}: expected ${cx.property.id} to fail, but it holds over the whole trace${versionNote}`);
    if ((given.step && v.step !== cx.property.step + 1) || (given.clause && v.clause !== cx.property.clause)) {
      const said = [given.step ? `step ${cx.property.step + 1}` : '', given.clause ? `[${cx.property.clause}]` : ''].filter((x) => x).join(' ');
      return out(false, `${file}: ${cx.property.id} fails at step ${v.step} [${v.clause}], the file says ${said}${versionNote}`);
    }
    return out(true, `${file}: ${cx.property.id} fails at step ${v.step}, as expected`);
  }
  if (v) return out(false, `${file}: regression: ${cx.property.id} fails again at step ${v.step}: ${v.message}`);
  return out(true, `${file}: ${cx.property.id} holds, as expected (a fixed bug kept as a regression)`);
}
