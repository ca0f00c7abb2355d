// `dmacheck list [--json]`: strategies (with their mutants), properties, and configs with their scope and
// kernel policy, each described by what sets it apart.
import { parseArgs } from 'node:util';
import { allStrategies } from '../registry.ts';
import { configs, kernelVariants, scopeText } from '../../model/configs.ts';
import { p2pPossible } from '../../model/p2p.ts';
import { allProperties } from '../../properties/index.ts';
import { DEV, PEER, type Config } from '../../model/types.ts';

export const LIST_USAGE = `dmacheck list [--json]

  The strategies (and their mutants, each with the bug pattern it stands for), the properties (kind,
  meaning, premise), the configs (queue owner, kernel policy, memory, peer device, scope), and the
  kernel variants (core-mm bugs from the kernel's history, each a base config with one change).

  exit: 0, 2 bad usage`;

/** A config in words: what its queues, its kernel, its memory and its topology are. */
export function describeConfig(c: Config): string {
  const parts: string[] = [];
  parts.push(c.queue === 'kernel'
    ? 'kernel-owned queues (the kernel sees every submission; a job completes in bounded time)'
    : 'user-owned queues (doorbells: the kernel sees no submission; a job\'s fence signals only when user space says so)');
  parts.push(c.kernel.forkPinned === 'copy-at-fork'
    ? 'today\'s kernel: fork copies pinned anonymous pages for the child at once (70e806e4e645)'
    : 'the 2020-21 kernels: after fork the parent copies on write and a pinned page stays with the child');
  parts.push(`migration ${c.kernel.migrateFailsPinned ? 'fails on' : 'proceeds past'} pinned pages, reclaim ${c.kernel.reclaimSkipsPinned ? 'skips' : 'takes'} them`);
  if (!c.topology && c.scope.vram) parts.push(`the device under test has ${c.scope.vram} DEVICE_PRIVATE pages of its own (lib/test_hmm.c's dmirror pool)`);
  if ((c.scope.notifiers ?? 1) > 1) parts.push(`a second driver mirrors each process through its own interval notifier (${c.scope.notifiers} per process)`);
  if (c.shared) parts.push(`p0's pages ${maskText(c.shared)} are MAP_SHARED|MAP_ANONYMOUS`);
  if (c.mprotect) parts.push(`user space may mprotect pages ${maskText(c.mprotect)} (PROT_READ|PROT_WRITE, PROT_READ, PROT_NONE: change_protection's MMU_NOTIFY_PROTECTION_VMA)`);
  if (c.kernel.preemptTimeout) parts.push('a queue preemption may time out, and the driver then resets the GPU (every process loses its queued work)');
  if (c.kernel.reclaimWithoutNotifier) parts.push('reclaim clears PTEs with no mmu_notifier calls (a core-mm bug)');
  if (c.kernel.refusedStartNotUndone) parts.push('a refused non-blockable invalidate_range_start is not undone (a core-mm bug)');
  if (c.movable || c.cma) parts.push(`zones: ${c.movable ?? 0} frame(s) of ZONE_MOVABLE and ${c.cma ?? 0} of a CMA area, the rest ZONE_NORMAL; FOLL_LONGTERM ${c.kernel.longtermMigrate === 'cma-only' ? 'migrates only CMA pages out' : 'migrates both out'} before pinning`);
  if (c.zeroPage) parts.push('anonymous memory mapped without MAP_POPULATE: a read fault maps the shared zero page read-only (do_anonymous_page), a write allocates a zeroed page');
  if (c.exit) parts.push('processes exit (exit_mmap: the notifiers\' release, then the unmap of everything; the OOM victim exits after the reaper)');
  if (c.kernel.insertNotCovered) parts.push('a notifier inserted during an invalidation is not assumed covered by it (a core-mm bug)');
  parts.push(c.dax ? `p0's pages ${maskText(c.dax)} map a DAX file (the filesystem may move their blocks)` : 'anonymous memory');
  if (c.topology) {
    const ok = p2pPossible(c.topology, PEER, DEV);
    parts.push(`a peer GPU with ${c.scope.vram ?? 0} VRAM frames, PCIe topology '${c.topology.name}': ${ok ? 'P2P between the devices allowed' : 'pci_p2pdma_distance refuses P2P between the devices'}`);
  } else {
    parts.push('no peer device');
  }
  return parts.join('; ');
}

function maskText(mask: number): string {
  const out: string[] = [];
  for (let v = 0; mask >> v; v++) if ((mask >> v) & 1) out.push(`v${v}`);
  return out.join(',');
}

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(LIST_USAGE);
    return 0;
  }
  const data = {
    strategies: allStrategies().map((s) => ({
      name: s.name,
      summary: s.summary,
      configs: [...s.configs],
      mutants: s.mutants.map((m) => ({ name: m.name, pattern: m.pattern })),
    })),
    properties: allProperties.map((p) => ({ id: p.id, kind: p.kind, meaning: p.meaning, ...(p.premise ? { premise: p.premise } : {}) })),
    configs: configs.map((c) => ({
      name: c.name, description: describeConfig(c), queue: c.queue, kernel: c.kernel, scope: c.scope, proofScope: { ...c.scope, ...c.proofScope },
      ...(c.topology ? { topology: c.topology.name } : {}), ...(c.dax ? { dax: c.dax } : {}),
      ...(c.mprotect ? { mprotect: c.mprotect } : {}),
    })),
    kernelVariants: kernelVariants.map((c) => ({ name: c.name, base: c.variant!.base, stands: c.variant!.stands, kernel: c.kernel })),
  };
  if (values.json) {
    console.log(JSON.stringify(data, null, 2));
    return 0;
  }
  console.log('Strategies:');
  for (const s of data.strategies) {
    console.log(`  ${s.name}  [${s.configs.join(', ')}]\n      ${s.summary}`);
    for (const m of s.mutants) console.log(`      mutant ${m.name}: ${m.pattern}`);
  }
  console.log('Properties:');
  for (const p of data.properties) console.log(`  ${p.id.padEnd(34)} ${p.kind.padEnd(10)} ${p.meaning}${p.premise ? ` (premise: ${p.premise})` : ''}`);
  console.log('Configs:');
  for (const c of configs) {
    console.log(`  ${c.name}\n      ${describeConfig(c)}\n      scope ${scopeText(c.scope)}; proof scope ${scopeText({ ...c.scope, ...c.proofScope })}`);
  }
  console.log('Kernel variants (core-mm bugs, killed by dmacheck mutants as mutants are; not in the matrix):');
  for (const v of data.kernelVariants) console.log(`  ${v.name}\n      ${v.base} with: ${v.stands}`);
  return 0;
}
