// A counterexample shown to a person. The explanation is built as data in src/explain/explanation.ts and
// rendered by src/explain/render-*.ts; this module keeps the short forms older callers use.
import type { ModelEvent } from '../../model/events.ts';
import type { Violation } from '../../properties/types.ts';
import type { TraceStep } from '../run.ts';
import { effectOfEvent } from '../explain/effects.ts';

/** What an event says, in a few words. */
export function describeEvent(e: ModelEvent): string {
  return effectOfEvent(e).text;
}

/** A step as the one-line trace printed it: actor, call, what its events changed. */
export interface ExplainedStep {
  n: number;
  actor: string;
  call: string;
  changes: string[];
  broke?: { property: string; clause: string; message: string };
}

/** The one-line-per-step form, from a recorded trace's events alone (src/explain has the whole explanation). */
export function explain(trace: readonly TraceStep[], violation: Violation | null, step: number): ExplainedStep[] {
  return trace.map((t) => ({
    n: t.index + 1,
    actor: t.actor,
    call: t.text,
    changes: t.events.map(describeEvent),
    ...(violation && t.index === step ? { broke: { property: violation.property, clause: violation.clause, message: violation.message } } : {}),
  }));
}

export function renderText(steps: readonly ExplainedStep[]): string {
  const w = Math.max(...steps.map((s) => s.call.length), 10);
  const lines: string[] = [];
  for (const s of steps) {
    lines.push(`${String(s.n).padStart(3)}  ${s.actor.padEnd(8)} ${s.call.padEnd(w)}  ${s.changes.join('; ')}`);
    if (s.broke) lines.push(`     ✗ ${s.broke.property} [${s.broke.clause}]: ${s.broke.message}`);
  }
  return lines.join('\n');
}
