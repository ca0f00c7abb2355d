// fork in steps, and the lockless GUP that races it.
//
// fork (kernel/fork.c dup_mmap) takes the parent's mmap write lock, and copy_page_range (mm/memory.c)
// brackets the copy of a copy-on-write range with mmu_notifier_invalidate_range_start/end
// (MMU_NOTIFY_PROTECTION_PAGE) and with raw_write_seqcount_begin/end(&src_mm->write_protect_seq). In
// between, copy_pte_range copies the PTEs one by one under the PTE lock: copy_present_pte first asks
// folio_try_dup_anon_rmap_pte whether the page may be pinned (today's kernel copies such a page for the
// child at once, copy_present_page, 70e806e4e645), and only then write-protects the parent's PTE
// (ptep_set_wrprotect) and sets the child's. The mmap write lock keeps page faults, mmap and munmap of the
// parent waiting; CPU accesses through present writable PTEs go on, until each is write-protected.
//
// gup_fast (mm/gup.c, the lockless walk pin_user_pages_fast tries first) takes neither the mmap lock nor
// the PTE lock, so it can pin a page between fork's check for pins and its write-protect: the page is then
// shared copy-on-write while pinned, the parent's next write copies it, and the device stays on the child's
// page. mm->write_protect_seq closes that window (57efa1fe5957, "mm/gup: prevent gup_fast from racing with
// COW during fork"): gup_fast reads it before the walk (odd: give up at once) and re-checks it after
// (changed: unpin everything and fall back to the slow path, which takes the mmap lock and so waits for
// fork).
import { NONE, VM_RW } from './types.ts';
import type { Action, Config, Pte, State } from './types.ts';
import type { ActionKind, DriverContext, Strategy } from './strategy.ts';
import { allocFrame, callbacksReturned, pinFrame, ptePresent, startInvalidation, unmapFrame, unpinFrame, vmaWritable } from './mm.ts';
import { zapSwapEntry } from './swap.ts';
import { coreMmPage, pteLocked } from './p2p.ts';
import { isZeroPfn } from './zero-page.ts';

export const forkActionKinds: readonly ActionKind[] = [
  {
    kind: 'fork_copy_pte', actor: 'kernel', args: ['p', 'v'],
    models: 'copy_pte_range, one page: copy_present_pte up to folio_try_dup_anon_rmap_pte (a maybe-pinned page copied for the child now: copy_present_page), or copy_nonpresent_pte; the first raises mm->write_protect_seq (raw_write_seqcount_begin)',
    guard: 'a fork of p is copying, its invalidate_range_start returned (every callback), and v is the next page',
  },
  {
    kind: 'fork_wrprotect', actor: 'kernel', args: ['p', 'v'],
    models: 'copy_present_pte, the rest: ptep_set_wrprotect of the parent\'s PTE and set_pte_at of the child\'s, read-only (the page is now shared copy-on-write)',
    guard: 'fork_copy_pte of v duplicated the rmap (the page was not maybe-pinned)',
  },
];

/** The rest value of `State.fork`: no fork in progress. */
export function noFork(): State['fork'] {
  return { parent: NONE, child: NONE, page: 0, dup: false, pinned: 0, inv: NONE };
}

function freeProcSlot(s: State): number {
  for (let p = 0; p < s.mms.length; p++) if (!s.mms[p]!.alive) return p;
  return NONE;
}

/** The first page at or after `v` that copy_pte_range has work for (a mapped page), or the number of pages. */
function nextPage(s: State, parent: number, v: number): number {
  const ptes = s.mms[parent]!.ptes;
  while (v < ptes.length && !ptes[v]!.mapped) v++;
  return v;
}

/** May `proc` fork now? One fork per run (the scope's second process slot), none in progress. */
export function canFork(s: State, proc: number): boolean {
  return s.forks === 0 && s.fork.parent === NONE && freeProcSlot(s) !== NONE;
}

/**
 * fork: dup_mmap takes the parent's mmap write lock (from here page faults, mmap and munmap of the parent
 * wait: mm.ts `forking`), and copy_page_range's mmu_notifier_invalidate_range_start covers every mapped
 * page (the model copies the address space as one range). The child's slot is taken now; it runs only at
 * the end (finishFork).
 */
export function startFork(s: State, parent: number, ctx: DriverContext, onStart: (inv: number) => void): void {
  let pages = 0;
  s.mms[parent]!.ptes.forEach((pte, v) => {
    if (pte.mapped) pages |= 1 << v;
  });
  const child = freeProcSlot(s);
  if (child === NONE) return;
  const inv = startInvalidation(s, parent, pages, 'fork', ctx, () => {});
  if (inv === NONE) return;
  for (const cp of s.mms[child]!.ptes) clearPte(cp);
  s.fork = { parent, child, page: nextPage(s, parent, 0), dup: false, pinned: 0, inv };
  onStart(inv); // the callbacks see the fork in progress
}

function clearPte(pte: Pte): void {
  pte.mapped = false;
  pte.frame = NONE;
  pte.writable = false;
  pte.swapped = false;
  pte.swap = 0;
  pte.slot = NONE;
  pte.prot = VM_RW;
  pte.epoch = 0;
  pte.dax = false;
  pte.shared = false;
  pte.exclusive = NONE;
}

/** Has copy_page_range copied every page (the fork's invalidate_end may run)? */
export function forkCopied(s: State): boolean {
  return s.fork.parent === NONE || s.fork.page >= s.mms[s.fork.parent]!.ptes.length;
}

/** The fork's per-page steps, once its invalidate_range_start returned (every callback). */
export function forkEnabled(s: State, out: Action[]): void {
  const f = s.fork;
  if (f.parent === NONE || forkCopied(s) || !callbacksReturned(s, f.inv)) return;
  out.push({ k: f.dup ? 'fork_wrprotect' : 'fork_copy_pte', a: f.parent, b: f.page });
}

/** Apply a fork step; false if `a` is not one. */
export function applyFork(s: State, a: Action, cfg: Config, strat: Strategy, ctx: DriverContext): boolean {
  if (a.k === 'fork_copy_pte') copyPte(s, cfg, strat, ctx);
  else if (a.k === 'fork_wrprotect') wrprotect(s, ctx);
  else return false;
  return true;
}

/** The child's PTE of the page got its contents: no-lost-write's reference follows from here. */
function copied(s: State, ctx: DriverContext, v: number): void {
  const f = s.fork;
  ctx.emit({ t: 'fork_pte', parent: f.parent, child: f.child, vpage: v });
  f.dup = false;
  f.page = nextPage(s, f.parent, v + 1);
}

/**
 * copy_pte_range for page `s.fork.page`: copy_nonpresent_pte, or copy_present_pte up to the rmap
 * duplication. Today's kernel (copy-at-fork) copies a maybe-pinned anonymous page for the child here
 * (copy_present_page); the 2020-21 kernel (cow-parent) asks nothing and shares it. The write-protect is
 * this same step unless something can run between the two (splitCopy).
 */
function copyPte(s: State, cfg: Config, strat: Strategy, ctx: DriverContext): void {
  const f = s.fork;
  const v = f.page;
  const pm = s.mms[f.parent]!;
  const pp = pm.ptes[v]!;
  const cp = s.mms[f.child]!.ptes[v]!;
  // raw_write_seqcount_begin(&src_mm->write_protect_seq), once invalidate_range_start has returned.
  if ((pm.wpSeq & 1) === 0) pm.wpSeq++;
  cp.mapped = true;
  cp.swapped = pp.swapped;
  cp.swap = pp.swap;
  cp.slot = pp.slot; // copy_nonpresent_pte: swap_duplicate, the child's entry names the same slot
  cp.prot = pp.prot; // dup_mmap: the child's VMA has the parent's vm_flags
  cp.dax = pp.dax;
  cp.shared = pp.shared;
  // copy_nonpresent_pte on a device-exclusive entry: try_restore_exclusive_pte restores it, and the now
  // present PTE is copied (fork's invalidation has already unmapped it from the devices).
  pp.exclusive = NONE;
  if (!ptePresent(pp)) return copied(s, ctx, v); // a swap entry: swap_duplicate, the child shares the slot
  if (isZeroPfn(s, pp.frame)) {
    // copy_present_pte on the zero page: vm_normal_page gives no page for the special PTE, so there is no
    // folio to reference, no rmap to duplicate and nothing that could be pinned; the PTE is copied as it
    // is, read-only on both sides (it never was writable). A write in either process then breaks it to a
    // fresh zeroed page of its own (do_wp_page -> wp_page_copy), a read keeps reading the shared zero page.
    cp.frame = pp.frame;
    cp.writable = false;
    return copied(s, ctx, v);
  }
  const fr = s.frames[pp.frame]!;
  if (fr.pincount > 0) f.pinned++;
  if (fr.kind === 'device-private') {
    // copy_nonpresent_pte, is_device_private_entry: the child gets the same device-private entry
    // (folio_try_dup_anon_rmap_pte cannot fail on it), and in a copy-on-write mapping a writable entry is
    // made readable on both sides (make_readable_device_private_entry). A CPU access from either side
    // then migrates the page back (migrate_to_ram) and a write breaks copy-on-write on the RAM page.
    fr.mapcount++;
    fr.refcount++;
    cp.frame = pp.frame;
    pp.writable = false;
    return copied(s, ctx, v);
  }
  if (!coreMmPage(fr)) {
    // Simplification: a driver's buffer page (VM_IO | VM_PFNMAP) is not copied into the child (as with
    // VM_DONTCOPY): the child has nothing mapped there.
    cp.mapped = false;
    return copied(s, ctx, v);
  }
  if (pp.dax || pp.shared) {
    // A shared mapping (a DAX file, MAP_SHARED | MAP_ANONYMOUS): the child maps the same page, writable,
    // no copy-on-write (is_cow_mapping is false: no write-protect).
    fr.mapcount++;
    fr.refcount++;
    cp.frame = pp.frame;
    cp.writable = vmaWritable(cp);
    return copied(s, ctx, v);
  }
  if (fr.pincount > 0 && cfg.kernel.forkPinned === 'copy-at-fork') {
    // 70e806e4e645: folio_try_dup_anon_rmap_pte fails on a maybe-DMA-pinned page, and copy_present_page
    // gives the child a copy now; the parent keeps its frame, writable.
    const nf = allocFrame(s, fr.value);
    if (nf === NONE) return forkNoMem(s, v);
    cp.frame = nf;
    cp.writable = vmaWritable(cp);
    return copied(s, ctx, v);
  }
  // folio_get + the rmap duplicated: the page will be shared.
  fr.mapcount++;
  fr.refcount++;
  f.dup = true;
  if (!splitCopy(cfg, strat, ctx)) wrprotect(s, ctx);
}

/**
 * Are the rmap duplication and the write-protect two steps? Only a lockless pin between them can tell
 * them apart: a page fault, GUP's slow path, mmap and munmap wait for the mmap write lock, a migration or
 * reclaim of the page waits for the fork's invalidation, and a CPU or DMA access through the still
 * writable PTE lands in the frame that both processes will map, as it would have just before. With the
 * write_protect_seq check gup_fast pins nothing while the copy runs; without it (the kernel before
 * 57efa1fe5957, or a driver whose own lockless pin skips the re-check: Strategy.gupFastWithoutSeq) it pins
 * in that window. The 2020-21 kernel (cow-parent) asks nothing of pins at fork.
 */
function splitCopy(cfg: Config, strat: Strategy, ctx: DriverContext): boolean {
  return cfg.kernel.forkPinned === 'copy-at-fork' && (cfg.kernel.gupFastNoSeqCheck === true || strat.gupFastWithoutSeq?.(ctx) === true);
}

/** The rest of copy_present_pte: the parent's PTE write-protected, the child's set read-only, same page. */
function wrprotect(s: State, ctx: DriverContext): void {
  const f = s.fork;
  const v = f.page;
  const pp = s.mms[f.parent]!.ptes[v]!;
  const cp = s.mms[f.child]!.ptes[v]!;
  pp.writable = false;
  cp.frame = pp.frame;
  cp.writable = false;
  copied(s, ctx, v);
}

/**
 * copy_present_page could not allocate (-ENOMEM): dup_mmap fails, and the half-built child is torn down
 * (mmput of the new mm: its PTEs unmapped, the duplicated references dropped). The parent's PTEs already
 * write-protected stay so; its next write reuses the page, exclusive again (wp_page_reuse).
 */
function forkNoMem(s: State, upTo: number): void {
  const f = s.fork;
  const cm = s.mms[f.child]!;
  cm.ptes.forEach((cp, w) => {
    if (w < upTo && cp.mapped && cp.frame !== NONE && !isZeroPfn(s, cp.frame)) unmapFrame(s, cp.frame); // the zero page has no mapcount
    if (w < upTo) zapSwapEntry(s, cp); // free_swap_and_cache of a copied swap entry
    clearPte(cp);
  });
  f.child = NONE;
  f.dup = false;
  f.page = s.mms[f.parent]!.ptes.length;
}

/**
 * The fork's invalidate_end: raw_write_seqcount_end, mmu_notifier_invalidate_range_end, the mmap write
 * lock released, and the child runs (wake_up_new_task). Returns whether a child was made.
 */
export function finishFork(s: State, ctx: DriverContext): boolean {
  const f = s.fork;
  const pm = s.mms[f.parent]!;
  if ((pm.wpSeq & 1) === 1) pm.wpSeq++;
  const { parent, child, pinned } = f;
  s.fork = noFork();
  if (child === NONE) return false;
  // The child's mm keeps the seq its slot started with (even, no invalidation active): only its parity
  // and its relations to the child's own subscriptions matter (model/canonical.ts).
  const cm = s.mms[child]!;
  cm.alive = true;
  cm.active = 0;
  cm.oomVictim = false;
  cm.oomReaped = false;
  s.forks++;
  ctx.emit({ t: 'fork', parent, child, pinnedPages: pinned });
  return true;
}

// ---------------------------------------------------------------------------------------------------
// gup_fast: the lockless walk of pin_user_pages_fast (FOLL_PIN), as a step of the designs that pin.

/**
 * Would gup_fast pin (proc, vpage) now? raw_read_seqcount(&mm->write_protect_seq) is even (odd: fork is
 * write-protecting, gup_fast returns 0 at once; the kernel before 57efa1fe5957 did not look), and
 * gup_fast_pte_range takes the PTE: present (not a swap, migration, device-private or device-exclusive
 * entry), writable (pte_access_permitted for FOLL_WRITE; a read-only anonymous PTE is copy-on-write
 * shared or not known exclusive, and gup_must_unshare sends a FOLL_PIN of it to the slow path).
 * Simplification: the model's moves (migration, reclaim) test a page's references when they begin, so
 * gup_fast also leaves a page alone while another invalidation of it runs, as the slow path waits for it.
 * `seq` false: a lockless walk that never reads the seq (a driver mutant's).
 */
export function gupFastCan(s: State, cfg: Config, proc: number, vpage: number, seq = true): boolean {
  const mm = s.mms[proc]!;
  if ((mm.wpSeq & 1) === 1 && seq && seqChecked(cfg)) return false;
  const pte = mm.ptes[vpage]!;
  if (!ptePresent(pte) || !pte.writable || pte.exclusive !== NONE || pteLocked(s, pte)) return false;
  if (s.frames[pte.frame]!.kind === 'device-private') return false;
  for (const inv of s.invs) if (inv.live && inv.proc === proc && inv.cause !== 'fork' && (inv.pages >> vpage) & 1) return false;
  return true;
}

/**
 * Does gup_fast look at write_protect_seq? Today's kernel does (57efa1fe5957); the kernel before it (the
 * gup-fast-no-seq-check variant) does not, nor did the 2020-21 kernels of the cow-parent policy, which
 * predate it (and whose fork asks nothing of pins, so a lockless pin there has nothing to race).
 */
function seqChecked(cfg: Config): boolean {
  return !cfg.kernel.gupFastNoSeqCheck && cfg.kernel.forkPinned === 'copy-at-fork';
}

/**
 * Is gup_fast's re-check a step of its own after its pin? Only where the seq is checked and a fork of
 * `proc` may still write-protect before the re-check (one in progress, or one that may begin); otherwise
 * the re-check cannot fail, and pin_user_pages_fast is one step (the caller re-checks at once).
 */
export function gupFastRecheckPending(s: State, cfg: Config, proc: number): boolean {
  return seqChecked(cfg) && (s.fork.parent === proc || canFork(s, proc));
}

/** What gup_fast pinned: the frame, the seq it read, the PTE epoch (the mapping the pin belongs to). */
export interface GupFastPin {
  frame: number;
  seq: number;
  epoch: number;
}

/** gup_fast where gupFastCan: the seq read, the PTE walked, the page pinned (try_grab_folio_fast). */
export function gupFastPin(s: State, proc: number, vpage: number, ctx: DriverContext): GupFastPin {
  const mm = s.mms[proc]!;
  const pte = mm.ptes[vpage]!;
  pinFrame(s, pte.frame, ctx);
  return { frame: pte.frame, seq: mm.wpSeq, epoch: pte.epoch };
}

/**
 * The end of gup_fast: read_seqcount_retry(&mm->write_protect_seq, seq). True: the pin stands. False: a
 * fork began write-protecting since the walk; gup_fast_unpin_user_pages drops the pin and the caller falls
 * back to the slow path (__gup_longterm_locked, under the mmap lock: after the fork). The kernel before
 * 57efa1fe5957 (variant gup-fast-no-seq-check) never falls back.
 */
export function gupFastRecheck(s: State, cfg: Config, proc: number, pin: GupFastPin, ctx: DriverContext): boolean {
  if (!seqChecked(cfg) || s.mms[proc]!.wpSeq === pin.seq) return true;
  unpinFrame(s, pin.frame, false, ctx);
  return false;
}
