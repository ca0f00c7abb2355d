// The explanation as terminal text: the numbered trace, each step's call with its slots resolved and its
// effects one per line, the broken property, then the causal chain. Colour only when asked (a TTY).
import type { Explanation } from './explanation.ts';

export interface TextOptions {
  colour?: boolean;
  /** Print every field of the state that changed, not only the effects. */
  changes?: boolean;
}

const codes = { dim: 2, bold: 1, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
type Style = keyof typeof codes;

export function renderText(x: Explanation, opts: TextOptions = {}): string {
  const c = (st: Style, t: string) => (opts.colour ? `\x1b[${codes[st]}m${t}\x1b[0m` : t);
  const actorStyle: Record<string, Style> = { user: 'green', kernel: 'blue', hardware: 'magenta' };
  const lines: string[] = [];
  for (const s of x.steps) {
    lines.push(`${String(s.n).padStart(3)}  ${c(actorStyle[s.actor] ?? 'bold', s.actor.padEnd(8))} ${c('bold', s.call)}${s.resolved.length ? c('dim', `  /* ${s.resolved.join('; ')} */`) : ''}`);
    for (const e of s.effects) lines.push(`       - ${e.text}`);
    if (opts.changes) for (const ch of s.changes) lines.push(c('dim', `         ${ch.path}: ${ch.before ?? '(none)'} -> ${ch.after ?? '(gone)'}`));
    if (s.broke) lines.push(c('red', `     ✗ ${s.broke.property} [${s.broke.clause}]: ${s.broke.message}`));
  }
  if (x.notEnabled) {
    lines.push(c('red', `  ${String(x.notEnabled.n).padStart(3)}  ${x.notEnabled.call} is not enabled here`));
    lines.push(`       enabled: ${x.notEnabled.enabled.join(', ') || '(nothing)'}`);
  }
  if (x.chain.length > 0) {
    lines.push('', c('bold', '  Why (the causal chain):'));
    for (const l of x.chain) lines.push(`    ${l.step === null ? c('yellow', 'at the end') : c('yellow', `step ${l.step}`)}: ${l.text}`);
  }
  return lines.join('\n');
}
