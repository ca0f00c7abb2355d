// A counterexample shown to a person: explained as data first (numbered steps: actor, action, what
// changed, and where the property broke), then rendered as text.
import type { ModelEvent } from '../../model/events.ts';
import type { Violation } from '../../properties/types.ts';
import type { TraceStep } from '../run.ts';

const pages = (mask: number) => {
  const out: string[] = [];
  for (let v = 0; mask >> v; v++) if ((mask >> v) & 1) out.push(`v${v}`);
  return out.join(',');
};

/** What changed, in a few words. */
export function describeEvent(e: ModelEvent): string {
  switch (e.t) {
    case 'dma_land':
      return `DMA ${e.write ? `writes ${e.value} to` : `reads ${e.value} from`} frame ${e.frame} (gen ${e.gen})${e.p2p ? ' over P2P' : ''}`;
    case 'dma_start':
      return `translated to frame ${e.frame} (gen ${e.gen})${e.p2p ? ', a P2P mapping' : ''}; DMA in flight`;
    case 'cpu_read':
      return `CPU reads ${e.value} (frame ${e.frame})`;
    case 'cpu_write':
      return `CPU writes ${e.value} (frame ${e.frame})`;
    case 'mmap':
      return `p${e.proc} v${e.vpage} mapped to a new zeroed frame`;
    case 'munmap':
      return `p${e.proc} v${e.vpage} unmapped`;
    case 'fork':
      return `p${e.parent} forks p${e.child}${e.pinnedPages ? ` (${e.pinnedPages} pinned page(s))` : ''}`;
    case 'invalidate_start':
      return `invalidate_range_start: inv${e.inv} ${e.cause} p${e.proc} ${pages(e.pages)}${e.dmaInFlight ? ' (DMA in flight)' : ''}`;
    case 'callback_return':
      return `invalidate callback of inv${e.inv} returns`;
    case 'invalidate_end':
      return `invalidate_range_end: inv${e.inv} ${e.cause}${e.changed ? ' done' : ' (nothing changed)'}`;
    case 'callback_wait_fence':
      return `callback of inv${e.inv} waits for job ${e.job}'s fence`;
    case 'device_fault':
      return `device page fault on p${e.proc} v${e.vpage}${e.fatal ? ' (FATAL: the device cannot recover)' : ' (queue stalls)'}`;
    case 'read_retry':
      return e.retry ? 'read_retry: seq moved, fault retried' : 'read_retry: seq unchanged';
    case 'pin':
      return `frame ${e.frame} pinned (pincount ${e.pincount})`;
    case 'unpin':
      return `frame ${e.frame} unpinned (pincount ${e.pincount})`;
    case 'fence_signal':
      return `job ${e.job}'s fence signals${e.error ? ' with an error' : ''}`;
    case 'migrate_refused':
      return `migration of frame ${e.frame} refused (extra references)`;
    case 'job_error':
      return `job ${e.job} fails with -${e.errno} (${e.cause}): ${e.detail}`;
    case 'move_refused':
      return `the ${e.mechanism} of p${e.proc} v${e.vpage} (frame ${e.frame}) refused: the page is pinned`;
    case 'oom_kill':
      return `the OOM killer picks p${e.proc} as its victim`;
    case 'callback_refuse':
      return `callback of inv${e.inv} refuses the non-blockable invalidation (-EAGAIN)`;
    case 'invalidate_abandon':
      return `inv${e.inv} ${e.cause} p${e.proc} abandoned: no PTE changed, no invalidate_range_end`;
    case 'queues_preempted':
      return `p${e.proc}'s queues preempted by the hardware`;
    case 'queues_resumed':
      return `p${e.proc}'s queues resumed`;
    case 'callback_wait_eviction':
      return `callback of inv${e.inv} waits for p${e.proc}'s eviction fence`;
    case 'direct_reclaim':
      return `the allocation enters direct reclaim: inv${e.inv} reclaims p${e.proc} v${e.vpage}, and waits for it`;
    case 'mr_revoked':
      return `p${e.proc}'s MR revoked: the device no longer maps it, the QP goes to the error state`;
    case 'move_notify':
      return `dma_buf_move_notify for p${e.proc} v${e.vpage}: importers tear their mappings down`;
    case 'private_fault':
      return `device fault on p${e.proc} v${e.vpage}: another device's private frame ${e.frame}, ${e.outcome === 'p2p' ? 'given as a P2P page' : 'migrated to RAM'}`;
    case 'peer_move':
      return `p${e.proc} v${e.vpage} moved from frame ${e.from} to frame ${e.to}`;
    case 'migrate_collect':
      return `migrate_vma_setup ${e.toDevice ? 'to device memory' : 'back to RAM'} of p${e.proc} v${e.vpage}: cpages ${e.cpages}${e.skip ? ` (skipped: ${e.skip})` : ''}`;
    case 'driver_note':
      return e.note;
  }
}

export interface ExplainedStep {
  n: number;
  actor: string;
  call: string;
  changes: string[];
  broke?: { property: string; clause: string; message: string };
}

export function explain(trace: readonly TraceStep[], violation: Violation | null, step: number): ExplainedStep[] {
  return trace.map((t) => ({
    n: t.index + 1,
    actor: t.actor,
    call: t.text,
    changes: t.events.map(describeEvent),
    ...(violation && t.index === step ? { broke: { property: violation.property, clause: violation.clause, message: violation.message } } : {}),
  }));
}

export function renderText(steps: readonly ExplainedStep[]): string {
  const w = Math.max(...steps.map((s) => s.call.length), 10);
  const lines: string[] = [];
  for (const s of steps) {
    lines.push(`${String(s.n).padStart(3)}  ${s.actor.padEnd(8)} ${s.call.padEnd(w)}  ${s.changes.join('; ')}`);
    if (s.broke) lines.push(`     ✗ ${s.broke.property} [${s.broke.clause}]: ${s.broke.message}`);
  }
  return lines.join('\n');
}
