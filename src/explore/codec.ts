// A compact, generic encoding of plain data (numbers, booleans, strings, null, arrays, records) for the
// exhaustive explorer: a value becomes a stream of 32-bit tokens, hashed into a 64-bit fingerprint, packed
// as varints for the frontier, and decoded back into fresh plain objects. It walks the structure, not the
// fields, so the model's state may grow without a change here.
//
// Token = payload << 3 | tag:
//   0 NUM small integer   1 BOOL   2 ATOM string or other number (interned id)   3 NULLISH (0 null, 1 undefined)
//   4 ARR length          5 REC key count   6 KEY interned key   7 SHAPE (from here on keys are explicit)
// Record keys are implicit while they follow the key sequence recorded at the first encoding (the shape of
// the model's state is fixed in practice); at the first key that differs the encoder emits SHAPE and
// spells every later key out. The token stream is thus injective: equal streams, equal values.
import { sizeOf } from '../../model/clone.ts';

const NUM = 0;
const BOOL = 1;
const ATOM = 2;
const NULLISH = 3;
const ARR = 4;
const REC = 5;
const KEY = 6;
const SHAPE = 7;
const SMALL = 1 << 27;

/** Tokens of one compiled function, at most about (see Codec.compile). */
const SPLIT = 48;

/** The first token of an encoding: which encoder wrote it. */
const FAST = 0;
const GENERIC = 1;

/** Check one in this many fast encodings against the generic encoder (a record that grew a key). */
const VERIFY_EVERY = 1024;

type FastEncoder = (x: unknown, b: Int32Array, leaf: (v: unknown) => number) => number;
type FastDecoder = (t: ArrayLike<number>, i: number, leaf: (tok: number) => unknown) => unknown;

export class Codec {
  /** The tokens of the last encoding: buf[0..len). */
  buf = new Int32Array(1024);
  len = 0;
  private readonly keys: string[] = [];
  private recorded = false;
  private kc = 0;
  private explicit = false;
  private readonly atomId = new Map<string | number, number>();
  private readonly atoms: (string | number)[] = [];
  // The fast path: an encoder and a decoder compiled for the shape of the first value encoded (the
  // same array lengths, record keys and nesting); a value of another shape takes the generic path.
  private fastEnc: FastEncoder | null = null;
  private fastDec: FastDecoder | null = null;
  private fastLen = 0;
  private fastCalls = 0;
  private readonly leafTok = (v: unknown): number => this.leafToken(v);
  private readonly leafVal = (t: number): unknown => this.leafValue(t);
  /** Encodings that took the generic path (after the first). */
  genericCount = 0;

  /** Encode `x` into buf[0..len) and return len. */
  encode(x: unknown): number {
    if (this.fastEnc === null) {
      this.generic(x);
      this.compile(x);
    }
    if (this.buf.length < this.fastLen + 1) this.buf = new Int32Array(2 * (this.fastLen + 1));
    this.buf[0] = FAST;
    const n = this.fastEnc!(x, this.buf, this.leafTok);
    if (n < 0) {
      this.genericCount++;
      this.generic(x);
      return this.len;
    }
    this.len = n;
    if (++this.fastCalls % VERIFY_EVERY === 0) this.verify(x);
    return n;
  }

  private generic(x: unknown): void {
    this.len = 0;
    this.kc = 0;
    this.explicit = false;
    this.push(GENERIC);
    this.enc(x);
    this.recorded = true;
  }

  /** The fast encoder must write what the generic one would (after the first token). */
  private verify(x: unknown): void {
    const fast = this.buf.slice(1, this.len);
    this.generic(x);
    const same = this.len === fast.length + 1 && fast.every((t, i) => t === this.buf[i + 1]);
    if (!same) {
      throw new Error('explore/codec: a record of the state changed its keys (added, removed or reordered) after the first state; states must keep one shape');
    }
    this.buf[0] = FAST;
    this.buf.set(fast, 1);
    this.len = fast.length + 1;
  }

  private leafToken(x: unknown): number {
    switch (typeof x) {
      case 'number':
        if ((x | 0) === x && x < SMALL && x >= -SMALL && !Object.is(x, -0)) return (x << 3) | NUM;
        return (this.atom(x) << 3) | ATOM;
      case 'boolean':
        return x ? (1 << 3) | BOOL : BOOL;
      case 'string':
        return (this.atom(x) << 3) | ATOM;
      case 'undefined':
        return (1 << 3) | NULLISH;
      default:
        return x === null ? NULLISH : SHAPE; // SHAPE: not a leaf, the fast path gives up
    }
  }

  private leafValue(tok: number): unknown {
    const p = tok >> 3;
    switch (tok & 7) {
      case NUM:
        return p;
      case BOOL:
        return p === 1;
      case ATOM:
        return this.atoms[p];
      default:
        return p === 0 ? null : undefined;
    }
  }

  /**
   * Compile the fast encoder and decoder for the shape of `x` (whose generic encoding is in buf). The
   * code is split into functions of at most about SPLIT tokens each: V8 does not optimise a function
   * past a bytecode size (--max-optimized-bytecode-size), and one function for a whole state of the
   * default scope is past it (measured: 34 us an encoding instead of 3.6).
   */
  private compile(x: unknown): void {
    const fns: string[] = [];
    let vars = 0;
    // Encoder: one function per chunk, (x, b, i, leaf) => the next i, or -1 for another shape.
    const encFn = (v: unknown): string => {
      const name = `e${fns.length}`;
      fns.push('');
      const body: string[] = [];
      let inline = 0;
      const walk = (v: unknown, ref: string, top: boolean): void => {
        const n = sizeOf(v);
        if (!top && n > 1 && inline + n > SPLIT) {
          body.push(`i = ${encFn(v)}(${ref}, b, i, leaf); if (i < 0) return -1;`);
          return;
        }
        if (Array.isArray(v)) {
          body.push(`if (!Array.isArray(${ref}) || ${ref}.length !== ${v.length}) return -1;`, `b[i++] = ${(v.length << 3) | ARR};`);
          inline++;
          v.forEach((e, k) => {
            const name = `v${vars++}`;
            body.push(`const ${name} = ${ref}[${k}];`);
            walk(e, name, false);
          });
        } else if (v !== null && typeof v === 'object') {
          const keys = Object.keys(v);
          body.push(`if (${ref} === null || typeof ${ref} !== 'object' || Array.isArray(${ref})) return -1;`, `b[i++] = ${(keys.length << 3) | REC};`);
          inline++;
          for (const k of keys) {
            const name = `v${vars++}`;
            body.push(`const ${name} = ${ref}[${JSON.stringify(k)}];`);
            walk((v as Record<string, unknown>)[k], name, false);
          }
        } else {
          // Small integers (most leaves) are written here; the rest through `leaf`.
          body.push(
            `if (typeof ${ref} === 'number' && (${ref} | 0) === ${ref} && ${ref} < ${SMALL} && ${ref} >= ${-SMALL} && (${ref} !== 0 || 1 / ${ref} > 0)) b[i++] = ${ref} << 3;`,
            `else if (${ref} === true) b[i++] = ${(1 << 3) | BOOL}; else if (${ref} === false) b[i++] = ${BOOL};`,
            `else { t = leaf(${ref}); if (t === ${SHAPE}) return -1; b[i++] = t; }`,
          );
          inline++;
        }
      };
      walk(v, 'x', true);
      fns[Number(name.slice(1))] = `function ${name}(x, b, i, leaf) {\nlet t = 0;\n${body.join('\n')}\nreturn i;\n}`;
      return name;
    };
    // Decoder: one function per chunk, (t, i) => the value whose tokens start at t[i] (sizes are fixed).
    const decFn = (v: unknown): string => {
      const name = `d${fns.length}`;
      fns.push('');
      let inline = 0;
      const walk = (v: unknown, top: boolean): string => {
        const n = sizeOf(v);
        if (!top && n > 1 && inline + n > SPLIT) return `${decFn(v)}(t, (i += ${n}) - ${n})`;
        inline++;
        if (Array.isArray(v)) return `(i++, [${v.map((e) => walk(e, false)).join(', ')}])`;
        if (v !== null && typeof v === 'object') {
          return `(i++, {${Object.entries(v).map(([k, e]) => `${JSON.stringify(k)}: ${walk(e, false)}`).join(', ')}})`;
        }
        // Small integers (tag NUM = 0) decoded here; the rest through `leaf`.
        return '(((k = t[i++]) & 7) === 0 ? k >> 3 : leaf(k))';
      };
      const expr = walk(v, true);
      fns[Number(name.slice(1))] = `function ${name}(t, i) {\nlet k = 0;\nreturn ${expr};\n}`;
      return name;
    };
    // Records are encoded in the key order of the first value; the generic encoder's recorded order is
    // the same (it recorded that value), so both write the same tokens.
    const e = encFn(x);
    const d = decFn(x);
    this.fastEnc = new Function('leaf', `${fns.join('\n')}\nreturn (x, b, l) => ${e}(x, b, 1, l);`)(this.leafTok) as FastEncoder;
    this.fastDec = new Function('leaf', `${fns.join('\n')}\nreturn (t, i) => ${d}(t, i);`)(this.leafVal) as FastDecoder;
    this.fastLen = sizeOf(x);
  }

  private push(t: number): void {
    if (this.len === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.len++] = t;
  }

  private atom(x: string | number): number {
    let id = this.atomId.get(x);
    if (id === undefined) {
      id = this.atoms.length;
      this.atoms.push(x);
      this.atomId.set(x, id);
    }
    return id;
  }

  private enc(x: unknown): void {
    switch (typeof x) {
      case 'number':
        if ((x | 0) === x && x < SMALL && x >= -SMALL && !Object.is(x, -0)) this.push((x << 3) | NUM);
        else this.push((this.atom(x) << 3) | ATOM);
        return;
      case 'boolean':
        this.push(x ? (1 << 3) | BOOL : BOOL);
        return;
      case 'string':
        this.push((this.atom(x) << 3) | ATOM);
        return;
      case 'undefined':
        this.push((1 << 3) | NULLISH);
        return;
      case 'object': {
        if (x === null) {
          this.push(NULLISH);
          return;
        }
        if (Array.isArray(x)) {
          const n = x.length;
          this.push((n << 3) | ARR);
          for (let i = 0; i < n; i++) this.enc(x[i]);
          return;
        }
        const r = x as Record<string, unknown>;
        let n = 0;
        for (const _ in r) n++;
        this.push((n << 3) | REC);
        for (const k in r) {
          if (!this.explicit) {
            if (!this.recorded) this.keys.push(k);
            else if (this.keys[this.kc] === k) this.kc++;
            else {
              this.explicit = true;
              this.push(SHAPE);
            }
          }
          if (this.explicit) this.push((this.atom(k) << 3) | KEY);
          this.enc(r[k]);
        }
        return;
      }
      default:
        throw new Error(`cannot encode a ${typeof x}: states must be plain data`);
    }
  }

  /** Decode tokens t[from..) into fresh plain objects. */
  decode(t: ArrayLike<number>, from = 0): unknown {
    if (t[from] === FAST) return this.fastDec!(t, from + 1, this.leafVal);
    this.pos = from + 1;
    this.dkc = 0;
    this.dexplicit = false;
    return this.dec(t);
  }

  private pos = 0;
  private dkc = 0;
  private dexplicit = false;

  private dec(t: ArrayLike<number>): unknown {
    const tok = t[this.pos++]!;
    const p = tok >> 3;
    switch (tok & 7) {
      case NUM:
        return p;
      case BOOL:
        return p === 1;
      case ATOM:
        return this.atoms[p];
      case NULLISH:
        return p === 0 ? null : undefined;
      case ARR: {
        const out = new Array(p);
        for (let i = 0; i < p; i++) out[i] = this.dec(t);
        return out;
      }
      case REC: {
        const out: Record<string, unknown> = {};
        for (let i = 0; i < p; i++) {
          if (!this.dexplicit && (t[this.pos]! & 7) === SHAPE) {
            this.dexplicit = true;
            this.pos++;
          }
          const k = this.dexplicit ? (this.atoms[t[this.pos++]! >> 3] as string) : this.keys[this.dkc++]!;
          out[k] = this.dec(t);
        }
        return out;
      }
      default:
        throw new Error(`corrupt encoding: token ${tok} at ${this.pos - 1}`);
    }
  }
}

/** Two independent 32-bit hashes of tokens t[0..n): a 64-bit fingerprint. h2 is never 0 with h1 0. */
export function fingerprint(t: Int32Array, n: number, out: Int32Array): void {
  let h1 = 0x811c9dc5 ^ n;
  let h2 = 0x9747b28c;
  for (let i = 0; i < n; i++) {
    let k = t[i]!;
    // murmur3's mix for h1; an FNV-like multiply-xor for h2 (different constants, independent enough).
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = Math.imul(h2 ^ t[i]!, 0x01000193) ^ (h2 >>> 15);
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0x7feb352d);
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x846ca68b);
  h2 ^= h2 >>> 16;
  if (h1 === 0 && h2 === 0) h2 = 1;
  out[0] = h1;
  out[1] = h2;
}

/**
 * A set of 64-bit fingerprints: open addressing with linear probing over one Int32Array (pairs), load at
 * most 1/2. Distinct states whose fingerprints collide are merged (as in TLC); `collisionOdds` estimates
 * the probability that this happened at all.
 */
export class FingerprintSet {
  private table: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 12) {
    let c = 16;
    while (c < capacity * 2) c <<= 1;
    this.table = new Int32Array(c * 2);
    this.mask = c - 1;
  }

  /** Add a fingerprint; true if it was not there. */
  add(h1: number, h2: number): boolean {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const t = this.table;
    let i = (h1 ^ Math.imul(h2, 0x9e3779b1)) & this.mask;
    for (;;) {
      const a = t[2 * i]!;
      const b = t[2 * i + 1]!;
      if (a === 0 && b === 0) {
        t[2 * i] = h1;
        t[2 * i + 1] = h2;
        this.size++;
        return true;
      }
      if (a === h1 && b === h2) return false;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = (this.mask << 1) | 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i]!, old[i + 1]!);
  }

  bytes(): number {
    return this.table.byteLength;
  }

  /** Probability that two of the stored states share a fingerprint (birthday bound, n^2 / 2^65). */
  collisionOdds(): number {
    return (this.size * this.size) / 2 ** 65;
  }
}

/**
 * A growable store of token streams: the frontier of the exhaustive search. Each entry is kept as its
 * difference from the entry before it (successors of one node, and nodes of one layer, share most of
 * their tokens): runs of unchanged tokens as one count, changed ones as zigzag varints of the
 * difference. Entries are read back in insertion order.
 */
export class TokenArena {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes used in each chunk. */
  private readonly ends: number[] = [];
  private cur: Uint8Array;
  private used = 0;
  /** The last entry pushed, which the next is written against. */
  private prev = new Int32Array(1024);
  private prevLen = 0;
  count = 0;

  /** Chunks double from `chunkSize` bytes up to `maxChunk` (a small layer takes little memory). */
  constructor(
    private chunkSize = 1 << 16,
    private readonly maxChunk = 1 << 22,
  ) {
    this.cur = new Uint8Array(chunkSize);
    this.chunks.push(this.cur);
    this.ends.push(0);
  }

  /** Append tokens t[0..n) with a 32-bit tag (the state's index). */
  push(tag: number, t: Int32Array, n: number): void {
    const need = 5 * (n + 2);
    if (this.used + need > this.cur.length) {
      this.chunkSize = Math.min(2 * this.chunkSize, this.maxChunk);
      this.cur = new Uint8Array(Math.max(this.chunkSize, need));
      this.chunks.push(this.cur);
      this.ends.push(0);
      this.used = 0;
    }
    if (this.prev.length < n) {
      const p = new Int32Array(2 * n);
      p.set(this.prev);
      this.prev = p;
    }
    const prev = this.prev;
    let u = this.writeVar(zigzag(tag), this.used);
    u = this.writeVar(n, u);
    let run = 0;
    for (let i = 0; i < n; i++) {
      const d = (t[i]! - (i < this.prevLen ? prev[i]! : 0)) | 0;
      if (d === 0) {
        run++;
        continue;
      }
      // An item is a run of unchanged tokens (count << 1) or a changed one ((zigzag difference << 1) | 1).
      if (run > 0) u = this.writeVar(run * 2, u);
      run = 0;
      u = this.writeVar(zigzag(d) * 2 + 1, u);
    }
    if (run > 0) u = this.writeVar(run * 2, u);
    prev.set(t.subarray(0, n));
    this.prevLen = n;
    this.used = u;
    this.ends[this.ends.length - 1] = u;
    this.count++;
  }

  /** An unsigned varint (up to 2^53: a zigzagged 32-bit difference times two, plus one, fits). */
  private writeVar(z: number, u: number): number {
    const c = this.cur;
    while (z >= 0x80) {
      c[u++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    c[u++] = z;
    return u;
  }

  /** Bytes allocated (the chunks), and bytes holding entries. */
  bytes(): number {
    let b = 0;
    for (const c of this.chunks) b += c.byteLength;
    return b;
  }

  usedBytes(): number {
    let b = 0;
    for (const e of this.ends) b += e;
    return b;
  }

  /** Iterate entries in insertion order: `f(tag, tokens, n)` gets a scratch buffer valid until the next call, which it must not change. */
  forEach(f: (tag: number, t: Int32Array, n: number) => void): void {
    let scratch = new Int32Array(Math.max(1024, this.prev.length));
    let scratchLen = 0;
    for (let ci = 0; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci]!;
      const end = this.ends[ci]!;
      let u = 0;
      const read = (): number => {
        let z = 0;
        let mul = 1;
        let b: number;
        do {
          b = c[u++]!;
          z += (b & 0x7f) * mul;
          mul *= 0x80;
        } while (b & 0x80);
        return z;
      };
      while (u < end) {
        const tag = unzigzag(read());
        const n = read();
        // Tokens past the previous entry's length were written against 0.
        for (let i = scratchLen; i < n; i++) scratch[i] = 0;
        let i = 0;
        while (i < n) {
          const item = read();
          if (item % 2 === 0) {
            i += item / 2;
          } else {
            scratch[i] = (scratch[i]! + unzigzag((item - 1) / 2)) | 0;
            i++;
          }
        }
        scratchLen = n;
        f(tag, scratch, n);
      }
    }
  }
}

function zigzag(x: number): number {
  return ((x << 1) ^ (x >> 31)) >>> 0;
}

function unzigzag(z: number): number {
  return (z >>> 1) ^ -(z & 1);
}
