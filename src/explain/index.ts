// Explanations of traces: built as data (explanation.ts), rendered as terminal text, Markdown with a
// Mermaid diagram, JSON and a self-contained HTML page.
export { explainTrace, lanes, laneNames, type Explanation, type ExplainedStep, type ChainLink, type NotEnabled, type Lane, type ExplainOptions } from './explanation.ts';
export { effectOfEvent, worldEffects, type Effect, type EffectKind } from './effects.ts';
export { flatten, diffStates, type Change, type FlatState } from './state.ts';
export { renderText, type TextOptions } from './render-text.ts';
export { renderMarkdown, renderMermaid } from './render-markdown.ts';
export { renderHtml, renderSvg } from './render-html.ts';
export { renderJson } from './render-json.ts';
