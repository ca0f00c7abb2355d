// A 64-bit hash of plain data (numbers, booleans, strings, null, undefined, arrays, records) that depends
// on the value alone, not on a codec's interned ids: the partitioned exhaustive search (pbfs.ts) uses it
// to send a node to the worker that owns it and to key the visited set, the same in every worker.
// Two independent 32-bit lanes (murmur3-style mixing), walked over the structure in key order as built.
export function hashPlain(x: unknown, out: Int32Array): void {
  h1 = 0x9747b28c | 0;
  h2 = 0x85ebca77 | 0;
  walk(x);
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x2c1b3c6d);
  h2 ^= h2 >>> 12;
  if (h1 === 0 && h2 === 0) h2 = 1;
  out[0] = h1;
  out[1] = h2;
}

let h1 = 0;
let h2 = 0;

function mix(k: number): void {
  h1 = Math.imul(h1 ^ k, 0x01000193);
  h1 = (h1 << 13) | (h1 >>> 19);
  h2 = Math.imul(h2 + k, 0x5bd1e995);
  h2 ^= h2 >>> 15;
}

function str(s: string): void {
  mix(s.length ^ 0x5f000000);
  for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
}

function walk(x: unknown): void {
  switch (typeof x) {
    case 'number':
      if ((x | 0) === x) {
        mix(1);
        mix(x);
      } else str(`n${x}`);
      return;
    case 'boolean':
      mix(x ? 2 : 3);
      return;
    case 'string':
      mix(4);
      str(x);
      return;
    case 'undefined':
      mix(5);
      return;
    case 'object':
      if (x === null) {
        mix(6);
        return;
      }
      if (Array.isArray(x)) {
        mix(7);
        mix(x.length);
        for (let i = 0; i < x.length; i++) walk(x[i]);
        return;
      }
      mix(8);
      for (const k in x as Record<string, unknown>) {
        str(k);
        walk((x as Record<string, unknown>)[k]);
      }
      mix(9);
      return;
    default:
      throw new Error(`hashPlain: not plain data (${typeof x})`);
  }
}
