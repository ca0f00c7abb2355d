// Memory of the device under test itself (a GPU driver's own VRAM), for a strategy that manages it. The
// world gives a config's VRAM frames (scope.vram, after system RAM) to the peer device; a strategy whose
// own device owns them calls ownDeviceMemory from init, then allocates with deviceAlloc and frees with
// mm.putFrame (the frame's generation is bumped, as every free does).
import { DEV, NONE } from './types.ts';
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

/** Allocate a free frame of the device under test's own memory holding `value`, unmapped; NONE if full. */
export function deviceAlloc(s: State, value: number): number {
  for (let f = 0; f < s.frames.length; f++) {
    const fr = s.frames[f]!;
    if (fr.free && fr.owner === DEV && fr.kind !== 'system') {
      const kind = fr.kind;
      claimFrame(fr, DEV, 0, value);
      fr.kind = kind;
      return f;
    }
  }
  return NONE;
}
