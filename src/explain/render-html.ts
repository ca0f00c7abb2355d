// The explanation as one self-contained HTML page (no network: inline CSS, inline JS, the sequence
// diagram drawn here as inline SVG): the verdict and the question first, the diagram, the trace with each
// step's effects, the state at each step with its difference from the step before, the causal chain.
import { laneNames, lanes, type Explanation, type Lane } from './explanation.ts';

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const LANE_W = 140;
const TOP = 44;
const ROW = 34;

/** The sequence diagram: one lane per actor, one arrow per step, the broken step in red. */
export function renderSvg(x: Explanation): string {
  const w = lanes.length * LANE_W + 20;
  const h = TOP + x.steps.length * ROW + 20;
  const cx = (l: Lane) => 10 + lanes.indexOf(l) * LANE_W + LANE_W / 2;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" id="diagram" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="sequence diagram">`);
  parts.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>');
  parts.push('<marker id="arrow-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c00"/></marker></defs>');
  for (const l of lanes) {
    const x0 = cx(l);
    parts.push(`<g class="lane" data-lane="${l}"><rect x="${x0 - LANE_W / 2 + 8}" y="6" width="${LANE_W - 16}" height="26" rx="4" class="lane-head"/><text x="${x0}" y="24" text-anchor="middle" class="lane-name">${esc(laneNames[l])}</text><line x1="${x0}" y1="32" x2="${x0}" y2="${h - 6}" class="lifeline"/></g>`);
  }
  x.steps.forEach((s, i) => {
    const y = TOP + i * ROW + 20;
    const bad = s.broke !== undefined;
    const cls = `msg${bad ? ' broke' : ''}`;
    const tip = esc([`${s.n}. ${s.call}`, ...s.effects.map((e) => `- ${e.text}`), ...(s.broke ? [`✗ ${s.broke.property}: ${s.broke.message}`] : [])].join('\n'));
    const x1 = cx(s.lane);
    const x2 = cx(s.to);
    const marker = `marker-end="url(#${bad ? 'arrow-bad' : 'arrow'})"`;
    const line = x1 === x2
      ? `<path d="M${x1},${y} h34 v10 h-32" fill="none" ${marker}/>`
      : `<line x1="${x1}" y1="${y}" x2="${x2 + (x2 > x1 ? -4 : 4)}" y2="${y}" ${marker}/>`;
    const lx = x1 === x2 ? x1 + 40 : (x1 + x2) / 2;
    const anchor = x1 === x2 ? 'start' : 'middle';
    parts.push(`<g class="${cls}" data-step="${s.n}"><title>${tip}</title>${line}<text x="${lx}" y="${y - 5}" text-anchor="${anchor}">${esc(`${s.n}. ${s.call}`)}${bad ? ' ✗' : ''}</text></g>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#fff;border-bottom:1px solid #ddd;padding:16px 24px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:24px 0 8px}
.question{font-style:italic;margin:4px 0}.outcome{margin:4px 0;color:#555}
.ok{color:#070}.bad{color:#c00}
main{padding:0 24px 40px;display:grid;grid-template-columns:minmax(0,1fr) minmax(320px,420px);gap:24px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 16px;margin-top:16px;overflow:auto}
#diagram .lane-head{fill:#eef3fb;stroke:#9ab}#diagram .lane-name{font-size:12px;font-weight:600}
#diagram .lifeline{stroke:#bbb;stroke-dasharray:4 3}
#diagram .msg line,#diagram .msg path{stroke:#333;stroke-width:1.3}#diagram .msg text{font:12px ui-monospace,monospace}
#diagram .msg.broke line,#diagram .msg.broke path{stroke:#c00}#diagram .msg.broke text{fill:#c00;font-weight:600}
#diagram .msg{cursor:pointer}#diagram .msg.selected text{text-decoration:underline}
ol.trace{padding-left:0;list-style:none}ol.trace>li{padding:6px 8px;border-bottom:1px solid #eee;cursor:pointer}
ol.trace>li.selected{background:#fff6d8}ol.trace>li.broke{border-left:4px solid #c00}
#diagram{max-width:100%;height:auto}
.call{font:13px ui-monospace,monospace;font-weight:600}.actor{display:inline-block;width:70px;color:#666;font-size:12px}
.resolved{color:#777;font-size:12px}ul.effects{margin:2px 0 0 70px;padding-left:16px}
.violation{color:#c00;margin:4px 0 0 70px}
table.state{border-collapse:collapse;font:12px ui-monospace,monospace;width:100%}
table.state td{padding:1px 6px;border-bottom:1px solid #f0f0f0}table.state tr.changed td{background:#fff1b8}
table.state td.before{color:#999;text-decoration:line-through}
ol.chain li{margin:4px 0}.at{font-weight:600;color:#a60}
.aside{position:sticky;top:8px;align-self:start;max-height:calc(100vh - 16px);overflow:auto}
label{font-size:12px;color:#555}
`;

/** The page's script: select a step (in the trace or the diagram) and show the state there, changes marked. */
const JS = `
(function(){
  var x = JSON.parse(document.getElementById('explanation').textContent);
  var states = [new Map(x.initial)];
  x.steps.forEach(function(s){ var m = new Map(states[states.length-1]); s.changes.forEach(function(c){ if (c.after === undefined) m.delete(c.path); else m.set(c.path, c.after); }); states.push(m); });
  var body = document.querySelector('#state tbody'), title = document.getElementById('state-title'), onlyChanged = document.getElementById('only-changed');
  var current = x.steps.length;
  function show(n){
    current = n;
    var prev = n > 0 ? states[n-1] : null, now = states[n];
    var changed = new Set(n > 0 ? x.steps[n-1].changes.map(function(c){return c.path;}) : []);
    title.textContent = n === 0 ? 'the initial state' : 'after step ' + n + ': ' + x.steps[n-1].call;
    var rows = [];
    now.forEach(function(v, k){
      var ch = changed.has(k);
      if (onlyChanged.checked && !ch) return;
      var b = ch && prev && prev.has(k) ? String(prev.get(k)) : '';
      rows.push('<tr class="' + (ch ? 'changed' : '') + '"><td>' + esc(k) + '</td><td>' + esc(String(v)) + '</td><td class="before">' + esc(b) + '</td></tr>');
    });
    body.innerHTML = rows.join('');
    document.querySelectorAll('[data-step]').forEach(function(el){ el.classList.toggle('selected', Number(el.getAttribute('data-step')) === n); });
  }
  function esc(t){ return t.replace(/&/g,'&amp;').replace(/</g,'&lt;').replace(/>/g,'&gt;'); }
  document.querySelectorAll('[data-step]').forEach(function(el){ el.addEventListener('click', function(){ show(Number(el.getAttribute('data-step'))); }); });
  document.getElementById('initial').addEventListener('click', function(){ show(0); });
  onlyChanged.addEventListener('change', function(){ show(current); });
  show(current);
})();
`;

export function renderHtml(x: Explanation, outcome?: { ok: boolean; message: string }): string {
  const title = x.verdict ?? `${x.strategy}${x.mutant ? ` (mutant ${x.mutant})` : ''} in ${x.config}`;
  const trace = x.steps
    .map((s) => {
      const eff = s.effects.map((e) => `<li data-kind="${e.kind}">${esc(e.text)}</li>`).join('');
      const broke = s.broke ? `<div class="violation">✗ <b>${esc(s.broke.property)}</b> [${esc(s.broke.clause)}]: ${esc(s.broke.message)}</div>` : '';
      const res = s.resolved.length ? ` <span class="resolved">/* ${esc(s.resolved.join('; '))} */</span>` : '';
      return `<li data-step="${s.n}" class="${s.broke ? 'broke' : ''}"><span class="actor">${s.n}. ${s.actor}</span><span class="call">${esc(s.call)}</span>${res}<ul class="effects">${eff}</ul>${broke}</li>`;
    })
    .join('\n');
  const chain = x.chain.map((l) => `<li><span class="at">${l.step === null ? 'at the end' : `step ${l.step}`}</span>: ${esc(l.text)}</li>`).join('\n');
  const notEnabled = x.notEnabled
    ? `<p class="bad">Step ${x.notEnabled.n}, <code>${esc(x.notEnabled.call)}</code>, is not enabled; enabled there: ${esc(x.notEnabled.enabled.join(', ') || 'nothing')}.</p>`
    : '';
  // The data the script reads; `</` is escaped so that no string in it can end the script element.
  const data = JSON.stringify({ initial: x.initial, steps: x.steps.map((s) => ({ n: s.n, call: s.call, changes: s.changes })) }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
<header>
<h1 id="verdict">${esc(title)}</h1>
${x.question ? `<p class="question" id="question">${esc(x.question)}</p>` : ''}
${outcome ? `<p class="outcome ${outcome.ok ? 'ok' : 'bad'}" id="outcome">${esc(outcome.message)}</p>` : ''}
<p class="outcome">strategy <code>${esc(x.strategy)}</code>${x.mutant ? `, mutant <code>${esc(x.mutant)}</code>` : ''}, config <code>${esc(x.config)}</code> (${x.queue} queues)${x.property ? `; property <code>${esc(x.property.id)}</code>: ${esc(x.property.meaning)}` : ''}</p>
</header>
<main>
<div>
<section id="sequence"><h2>Sequence</h2>${renderSvg(x)}</section>
<section id="trace-section"><h2>Trace</h2><p><label>click a step to see the state after it; <a href="#" id="initial">the initial state</a></label></p><ol class="trace" id="trace">${trace}</ol>${notEnabled}</section>
${x.chain.length ? `<section id="why"><h2>Why: the causal chain</h2><ol class="chain" id="chain">${chain}</ol></section>` : ''}
</div>
<div class="aside"><section id="state-view"><h2>State <span id="state-title"></span></h2><p><label><input type="checkbox" id="only-changed"> only what changed</label></p><table class="state" id="state"><thead><tr><th>field</th><th>value</th><th>before</th></tr></thead><tbody></tbody></table></section></div>
</main>
<script type="application/json" id="explanation">${data}</script>
<script>${JS}</script>
</body></html>
`;
}
