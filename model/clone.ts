// A deep copy of plain data (numbers, strings, booleans, arrays, records), faster than structuredClone
// for the small states of this model.
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
