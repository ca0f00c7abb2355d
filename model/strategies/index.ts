// The registry of strategies: one row of the verdict table each.
import type { Strategy } from '../strategy.ts';
import { odpMirror } from './odp-mirror.ts';
import { pinLongterm } from './pin-longterm.ts';
import { mirrorBlockingNotifier } from './mirror-blocking-notifier.ts';
import { peerdirectRevoke } from './peerdirect-revoke.ts';
import { dmabufDynamic } from './dmabuf-dynamic.ts';
import { dmabufStatic } from './dmabuf-static.ts';
import { hmmP2p } from './hmm-p2p.ts';
import { pinPerJob } from './pin-per-job.ts';
import { queuePreempt } from './queue-preempt.ts';
import { p2pGup } from './p2p-gup.ts';
import { p2pVmaMap } from './p2p-vma-map.ts';
import { peerdirectKill } from './peerdirect-kill.ts';
import { dmirror } from './dmirror.ts';

export const strategies: readonly Strategy[] = [odpMirror, pinLongterm, mirrorBlockingNotifier, pinPerJob, queuePreempt, peerdirectRevoke, dmabufStatic, dmabufDynamic, hmmP2p, p2pGup, p2pVmaMap, peerdirectKill, dmirror];

export function strategyByName(name: string): Strategy | undefined {
  return strategies.find((s) => s.name === name);
}
