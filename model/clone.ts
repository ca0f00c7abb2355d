// Deep copies of plain data (numbers, strings, booleans, null, arrays, records).
//
// A model's state keeps one shape from its first step to its last (the same record keys, the same array
// lengths: the scope fixes them), so the searches copy it with a copier compiled for that shape: one
// object literal per record, which V8 builds in a fraction of the time a for-in copy takes. The compiled
// copier checks the shape as it goes and hands anything else to the generic copy.

/** A deep copy of any plain data, faster than structuredClone for the small states of this model. */
export function clonePlain<T>(x: T): T {
  if (typeof x !== 'object' || x === null) return x;
  if (Array.isArray(x)) {
    const n = x.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = clonePlain(x[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in x) out[k] = clonePlain((x as Record<string, unknown>)[k]);
  return out as T;
}

type Copier = (x: unknown) => unknown;

/** The shape a copier was compiled for, as a string: the keys and lengths, nothing of the leaves. */
function shapeOf(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(shapeOf).join(',')}]`;
  if (x !== null && typeof x === 'object') return `{${Object.entries(x).map(([k, v]) => `${JSON.stringify(k)}:${shapeOf(v)}`).join(',')}}`;
  return '';
}

/**
 * A copier for values of `sample`'s shape. Its guard is cheap: each array's length and each record's
 * being a record are checked where they are read, and a part of another shape is copied by clonePlain
 * instead. A record's keys are not checked on every copy: the state's records never gain or lose a key
 * (model/types.ts has no optional field in State), and ShapeCopier checks that on a sample of calls.
 */
function compile(sample: unknown): Copier {
  const fns: string[] = [];
  let vars = 0;
  // One function per chunk of at most about SPLIT values: V8 does not optimise a function past a
  // bytecode size, and one for a whole state of the default scope is past it.
  const fn = (v: unknown): string => {
    const name = `c${fns.length}`;
    fns.push('');
    const guards: string[] = [];
    let inline = 0;
    const walk = (v: unknown, ref: string, top: boolean): string => {
      const n = sizeOf(v);
      if (!top && n > 1 && inline + n > SPLIT) return `${fn(v)}(${ref})`;
      inline++;
      if (Array.isArray(v)) {
        const name = `a${vars++}`;
        guards.push(`const ${name} = ${ref}; if (!Array.isArray(${name}) || ${name}.length !== ${v.length}) return clonePlain(x);`);
        return `[${v.map((e, k) => walk(e, `${name}[${k}]`, false)).join(', ')}]`;
      }
      if (v !== null && typeof v === 'object') {
        const name = `r${vars++}`;
        guards.push(`const ${name} = ${ref}; if (${name} === null || typeof ${name} !== 'object' || Array.isArray(${name})) return clonePlain(x);`);
        return `{${Object.entries(v).map(([k, e]) => `${JSON.stringify(k)}: ${walk(e, `${name}[${JSON.stringify(k)}]`, false)}`).join(', ')}}`;
      }
      // A leaf where the sample had one: anything that is not an object is copied by value.
      return `leaf(${ref})`;
    };
    const body = walk(v, 'x', true);
    fns[Number(name.slice(1))] = `function ${name}(x) {\n${guards.join('\n')}\nreturn ${body};\n}`;
    return name;
  };
  const root = fn(sample);
  const leaf = (v: unknown): unknown => (typeof v === 'object' && v !== null ? clonePlain(v) : v);
  return new Function('clonePlain', 'leaf', `${fns.join('\n')}\nreturn ${root};`)(clonePlain, leaf) as Copier;
}

/** Values of one compiled function, at most about. */
const SPLIT = 48;

/** Values in plain data: one per leaf, array and record (the explorer's codec counts its tokens so too). */
export function sizeOf(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, e) => n + sizeOf(e), 1);
  if (v !== null && typeof v === 'object') return Object.values(v).reduce((n: number, e) => n + sizeOf(e), 1);
  return 1;
}

/** Same keys in the same order and the same array lengths, all the way down. */
function sameKeys(x: unknown, y: unknown): boolean {
  return shapeOf(x) === shapeOf(y);
}

/** Same array lengths where both have arrays (a value whose arrays differ is copied by the generic path: no defect). */
function sameArrays(x: unknown, y: unknown): boolean {
  if (Array.isArray(x)) return Array.isArray(y) && x.length === y.length && x.every((e, i) => sameArrays(e, y[i]));
  if (x !== null && typeof x === 'object' && y !== null && typeof y === 'object' && !Array.isArray(y)) {
    const r = y as Record<string, unknown>;
    return Object.entries(x).every(([k, v]) => !(k in r) || sameArrays(v, r[k]));
  }
  return true;
}

/** Check the first copies, then one in this many, for a record whose keys changed (a defect of the state's shape). */
const VERIFY_FIRST = 16;
const VERIFY_EVERY = 1024;

/**
 * A deep copy for values of one shape (a model's states, or a search's nodes): compiled at the first call
 * for that value's shape. Different shapes get their own copier, compiled once each.
 */
export class ShapeCopier {
  private copy: Copier | null = null;
  private sample: unknown = null;
  private calls = 0;

  clone<T>(x: T): T {
    if (this.copy === null) {
      this.copy = compile(x);
      this.sample = clonePlain(x);
    }
    const n = ++this.calls;
    if ((n <= VERIFY_FIRST || n % VERIFY_EVERY === 0) && !sameKeys(x, this.sample) && sameArrays(x, this.sample)) {
      throw new Error('model/clone: a record of the state gained, lost or reordered a key after the first state; states must keep one shape');
    }
    return this.copy(x) as T;
  }
}
