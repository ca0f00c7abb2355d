// Memory of the device under test itself (a GPU driver's own VRAM), for a strategy that manages it. The
// world gives a config's VRAM frames (scope.vram, after system RAM) to the peer device; a strategy whose
// own device owns them calls ownDeviceMemory from init, then allocates with deviceAlloc and frees with
// mm.putFrame (the frame's generation is bumped, as every free does).
import { DEV, DEV1, NONE } from './types.ts';
import type { FrameKind, State } from './types.ts';
import { claimFrame } from './mm.ts';

/**
 * Hand every VRAM frame to the device under test (DEV), as `kind`: 'device-private' (DEVICE_PRIVATE
 * ZONE_DEVICE pages, not CPU-addressable) or 'p2p' (a BAR other devices reach). Returns their indices.
 */
export function ownDeviceMemory(s: State, kind: Exclude<FrameKind, 'system'> = 'device-private'): number[] {
  const out: number[] = [];
  s.frames.forEach((fr, f) => {
    if (fr.kind === 'system') return;
    fr.owner = DEV;
    fr.kind = kind;
    out.push(f);
  });
  return out;
}

/**
 * With two mirroring devices (State.dev1, Config.mirrors): the second half of the VRAM frames becomes the
 * second device's (DEV1), each device its own pool with its own pgmap->owner (lib/test_hmm.c: each
 * dmirror_device allocates its own chunks, dmirror_allocate_chunk, with pagemap.owner = that mdevice).
 * Call after ownDeviceMemory. Returns the second device's frames.
 */
export function splitDeviceMemory(s: State): number[] {
  const vram = s.frames.map((fr, f) => (fr.kind === 'system' ? NONE : f)).filter((f) => f !== NONE);
  const second = vram.slice(Math.ceil(vram.length / 2));
  for (const f of second) s.frames[f]!.owner = DEV1;
  return second;
}

/**
 * Allocate a free frame of the device's own memory (the device under test's, unless `dev` says) holding
 * `value`, unmapped; NONE if full.
 */
export function deviceAlloc(s: State, value: number, dev: number = DEV): number {
  for (let f = 0; f < s.frames.length; f++) {
    const fr = s.frames[f]!;
    if (fr.free && fr.owner === dev && fr.kind !== 'system') {
      const kind = fr.kind;
      claimFrame(fr, dev, 0, value);
      fr.kind = kind;
      return f;
    }
  }
  return NONE;
}
