// Replay a saved counterexample and judge it against its expectation.
import { formatAction } from '../../model/model.ts';
import { runActions } from '../run.ts';
import { explain, renderText } from './explain.ts';
import { LoadError, loadCounterexample } from './load.ts';
import { MODEL_VERSION } from './format.ts';

export interface ReplayOutcome {
  file: string;
  /** The replay matched the file's expectation. */
  ok: boolean;
  /** The file could not be loaded (exit 2 territory). */
  loadError: LoadError | null;
  message: string;
  /** The numbered trace, for people. */
  text: string;
}

export function replayFile(file: string): ReplayOutcome {
  let loaded;
  try {
    loaded = loadCounterexample(file);
  } catch (e) {
    if (e instanceof LoadError) return { file, ok: false, loadError: e, message: e.message, text: '' };
    throw e;
  }
  const { cx, model, property } = loaded;
  const r = runActions(model, cx.actions, [property], true);
  const text = renderText(explain(r.trace, r.violation, r.step));
  const versionNote = cx.model !== MODEL_VERSION ? ` (recorded with model version ${cx.model}; this dmacheck's model is version ${MODEL_VERSION})` : '';
  if (r.notEnabled) {
    const { index, action } = r.notEnabled;
    return {
      file, ok: false, loadError: null, text,
      message: `${file}: action ${index + 1}, ${formatAction(model, action)}, is not enabled where it stands: the trace no longer replays${versionNote}`,
    };
  }
  const failed = r.violation !== null;
  if (cx.expect === 'fail') {
    if (!failed) return { file, ok: false, loadError: null, text, message: `${file}: expected ${cx.property.id} to fail, but it holds over the whole trace${versionNote}` };
    if (r.step !== cx.property.step || r.violation!.clause !== cx.property.clause) {
      return {
        file, ok: false, loadError: null, text,
        message: `${file}: ${cx.property.id} fails at step ${r.step + 1} [${r.violation!.clause}], the file says step ${cx.property.step + 1} [${cx.property.clause}]${versionNote}`,
      };
    }
    return { file, ok: true, loadError: null, text, message: `${file}: ${cx.property.id} fails at step ${r.step + 1}, as expected` };
  }
  if (failed) return { file, ok: false, loadError: null, text, message: `${file}: regression: ${cx.property.id} fails again at step ${r.step + 1}: ${r.violation!.message}` };
  return { file, ok: true, loadError: null, text, message: `${file}: ${cx.property.id} holds, as expected (a fixed bug kept as a regression)` };
}
