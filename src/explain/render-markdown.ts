// The explanation as Markdown: verdict and question first, a Mermaid sequence diagram (lanes: user space
// and CPU, core mm, driver, device, queue), the trace with each step's effects, the causal chain.
import { laneNames, lanes, type Explanation, type Lane } from './explanation.ts';

const alias: Record<Lane, string> = { user: 'U', mm: 'M', driver: 'D', device: 'H', queue: 'Q' };

/** Mermaid statements end at `;` and treat `#` as an entity: keep a label to plain text. */
function label(t: string): string {
  return t.replace(/;/g, ',').replace(/#/g, 'no. ').replace(/[<>]/g, (c) => (c === '<' ? '‹' : '›')).replace(/\n/g, ' ');
}

export function renderMermaid(x: Explanation): string {
  const out = ['sequenceDiagram'];
  for (const l of lanes) out.push(`  participant ${alias[l]} as ${laneNames[l]}`);
  for (const s of x.steps) {
    out.push(`  ${alias[s.lane]}->>${alias[s.to]}: ${label(`${s.n}. ${s.call}`)}`);
    const notes = s.effects.slice(0, 3).map((e) => label(e.text));
    if (s.effects.length > 3) notes.push(`and ${s.effects.length - 3} more`);
    if (notes.length) out.push(`  Note over ${alias[s.to]}: ${notes.join('<br/>')}`);
    if (s.broke) out.push(`  Note over ${alias[s.to]}: ✗ ${label(`${s.broke.property} [${s.broke.clause}]`)}`);
  }
  return out.join('\n');
}

export function renderMarkdown(x: Explanation, outcome?: string): string {
  const md: string[] = [];
  md.push(`# ${x.verdict ?? `${x.strategy}${x.mutant ? ` (mutant ${x.mutant})` : ''} in ${x.config}`}`, '');
  if (x.question) md.push(`**Question.** ${x.question}`, '');
  if (outcome) md.push(`**Replay.** ${outcome}`, '');
  md.push(`Strategy \`${x.strategy}\`${x.mutant ? `, mutant \`${x.mutant}\`` : ''}, config \`${x.config}\` (${x.queue} queues).`, '');
  md.push('## Sequence', '', '```mermaid', renderMermaid(x), '```', '');
  md.push('## Trace', '');
  for (const s of x.steps) {
    md.push(`${s.n}. **${s.actor}** \`${s.call}\`${s.resolved.length ? ` (${s.resolved.join('; ')})` : ''}`);
    for (const e of s.effects) md.push(`   - ${e.text}`);
    if (s.broke) md.push(`   - ✗ **${s.broke.property}** [${s.broke.clause}]: ${s.broke.message}`);
  }
  if (x.notEnabled) md.push('', `Step ${x.notEnabled.n}, \`${x.notEnabled.call}\`, is not enabled; enabled there: ${x.notEnabled.enabled.map((c) => `\`${c}\``).join(', ') || 'nothing'}.`);
  if (x.chain.length) {
    md.push('', '## Why', '');
    for (const l of x.chain) md.push(`- ${l.step === null ? '*at the end*' : `*step ${l.step}*`}: ${l.text}`);
  }
  return md.join('\n') + '\n';
}
