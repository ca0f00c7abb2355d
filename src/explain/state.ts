// The state at a step, flattened for people: one row per field, named as a reader of the kernel would
// look for it ("p0 v1 frame", "mirror p0 v1 frame", "job0 state", "drv faults[3] phase"), and the
// difference between two such states. Pure: read from a State, never stored in it.
import { NONE, type State } from '../../model/types.ts';

export type Cell = number | string | boolean;
/** A flattened state: row name -> value. Insertion order is the reading order. */
export type FlatState = Map<string, Cell>;

export interface Change {
  path: string;
  before: Cell | undefined;
  after: Cell | undefined;
}

const show = (x: Cell): Cell => (x === NONE ? '-' : x);

export function flatten(s: State): FlatState {
  const out: FlatState = new Map();
  s.frames.forEach((f, i) => {
    const at = `frame${i}`;
    out.set(`${at} kind`, f.owner === NONE ? f.kind : `${f.kind} of device ${f.owner}`);
    out.set(`${at} free`, f.free);
    out.set(`${at} gen`, f.gen);
    out.set(`${at} refcount`, f.refcount);
    out.set(`${at} pincount`, f.pincount);
    out.set(`${at} mapcount`, f.mapcount);
    out.set(`${at} value`, f.value);
    out.set(`${at} dirty`, f.dirty);
    out.set(`${at} locked`, f.locked);
  });
  s.mms.forEach((mm, p) => {
    out.set(`p${p} alive`, mm.alive);
    out.set(`p${p} seq`, mm.seq);
    out.set(`p${p} active invalidations`, mm.active);
    if (mm.oomVictim) out.set(`p${p} oom victim`, true);
    if (mm.oomReaped) out.set(`p${p} oom reaped`, true);
    mm.ptes.forEach((pte, v) => {
      const at = `p${p} v${v}`;
      out.set(`${at} mapped`, pte.mapped);
      out.set(`${at} frame`, show(pte.frame));
      out.set(`${at} writable`, pte.writable);
      out.set(`${at} swapped`, pte.swapped);
      out.set(`${at} swap slot`, pte.swap);
      out.set(`${at} epoch`, pte.epoch);
      if (pte.dax) out.set(`${at} dax`, true);
    });
  });
  s.subs.forEach((sub, i) => {
    out.set(`sub${i} live`, sub.live);
    out.set(`sub${i} seq`, sub.seq);
  });
  s.invs.forEach((inv, i) => {
    out.set(`inv${i} live`, inv.live);
    if (!inv.live) return;
    out.set(`inv${i} cause`, inv.cause);
    out.set(`inv${i} proc`, inv.proc);
    out.set(`inv${i} pages`, pagesText(inv.pages));
    out.set(`inv${i} blockable`, inv.blockable);
    inv.cb.forEach((c, sub) => out.set(`inv${i} callback of sub${sub}`, c === 255 ? 'returned' : c === 0 ? 'owed' : `step ${c}`));
  });
  const mirrors: [typeof s.dev.mirror, string][] = [[s.dev.mirror, 'mirror']];
  if (s.dev1) mirrors.push([s.dev1.mirror, 'device 1 mirror']);
  for (const [mirror, name] of mirrors) {
    mirror.forEach((row, p) =>
      row.forEach((e, v) => {
        const at = `${name} p${p} v${v}`;
        out.set(`${at} frame`, show(e.frame));
        if (e.frame === NONE) return;
        out.set(`${at} gen`, e.gen);
        out.set(`${at} writable`, e.writable);
        if (e.p2p) out.set(`${at} p2p`, true);
      }),
    );
  }
  s.jobs.forEach((j, i) => {
    out.set(`job${i} state`, j.state);
    if (j.state === 'free') return;
    out.set(`job${i} page`, `p${j.proc} v${j.vpage}`);
    if (j.dev !== undefined) out.set(`job${i} device`, j.dev); // two mirroring devices: which runs it
    out.set(`job${i} ${j.write ? 'writes' : 'reads'}`, j.write ? j.value : '');
    out.set(`job${i} translated to`, j.frame === NONE ? '-' : `frame ${j.frame} gen ${j.gen}`);
  });
  s.queues.forEach((q, p) => out.set(`p${p} queues`, q.state));
  s.regs.forEach((r, p) => out.set(`p${p} registration`, r.live ? (r.opening ? 'opening' : r.closing ? 'closing' : 'live') : 'none'));
  out.set('forks', s.forks);
  flattenDriver(s.drv, 'drv', out);
  return out;
}

export function pagesText(mask: number): string {
  const out: string[] = [];
  for (let v = 0; mask >> v; v++) if ((mask >> v) & 1) out.push(`v${v}`);
  return out.join(',');
}

/** The driver's private state, generically: `drv faults[3] phase`. Shown to people; no property reads it. */
function flattenDriver(x: unknown, at: string, out: FlatState): void {
  if (x === null || x === undefined) return;
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string') {
    out.set(at, typeof x === 'number' ? show(x) : x);
    return;
  }
  if (Array.isArray(x)) {
    x.forEach((v, i) => flattenDriver(v, `${at}[${i}]`, out));
    return;
  }
  if (typeof x === 'object') {
    const rec = x as Record<string, unknown>;
    // A free slot of the driver's (live: false) shows only that.
    if (rec['live'] === false) {
      out.set(`${at} live`, false);
      return;
    }
    for (const [k, v] of Object.entries(rec)) flattenDriver(v, at.endsWith(']') || at === 'drv' ? `${at} ${k}` : `${at}.${k}`, out);
  }
}

/** What differs from `before` to `after`, in `after`'s order (rows that vanished last). */
export function diffStates(before: FlatState, after: FlatState): Change[] {
  const out: Change[] = [];
  for (const [path, v] of after) if (before.get(path) !== v) out.push({ path, before: before.get(path), after: v });
  for (const [path, v] of before) if (!after.has(path)) out.push({ path, before: v, after: undefined });
  return out;
}

export function changeText(c: Change): string {
  const v = (x: Cell | undefined) => (x === undefined ? '(gone)' : String(x));
  return `${c.path}: ${v(c.before)} -> ${v(c.after)}`;
}
