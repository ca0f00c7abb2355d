// no-hung-task: what the kernel's hung-task detector reports (kernel/hung_task.c: check_hung_task, a task
// in TASK_UNINTERRUPTIBLE that has not been scheduled for hung_task_timeout_secs), as a bounded-liveness
// property: every kernel task that has started can finish by kernel and hardware steps alone, whatever
// user space does. The tasks are read from the view (never from the driver's private state):
//   fault:job<j>        a device page fault being served (job faulting: the fault handler sleeps in
//                       mmu_interval_read_begin, waits for the driver lock, or runs hmm_range_fault)
//   submit:job<j>       a submission the driver is still preparing (a kernel queue's submit ioctl)
//   invalidation:<i>    an invalidation between invalidate_range_start and its end (or its abandon)
//   registration:p      a registration the driver has not finished (faulting the range in)
//   deregistration:p    a deregistration the driver has not finished (mmu_interval_notifier_remove waits)
//   exit:p              a process's exit (do_exit -> exit_mmap, model/exit.ts) until its mm is dead
//   restore:p           a live process's queues preempted (or being preempted): the restore worker owes
//                       their resumption (amdkfd's restore_process_worker)
//   migration:frame<f>  a page locked by a migration or a buffer move in progress (PG_locked)
// Which are judged, and against what: the detector reports only TASK_UNINTERRUPTIBLE sleepers. A task in
// kernel context (a fault, an invalidation, an exit, a restore worker, a page move) sleeps so, and must
// finish by kernel and hardware steps alone. A system call of the process (a registration, a
// deregistration, a submission) that waits for the process's own work in flight, which only its user
// space completes (a user-queue job's user fence: dma-buf.rst, "Indefinite DMA Fences"), waits on user
// space: the ioctl paths sleep interruptibly there (dma_fence_wait(fence, true), wait_event_interruptible),
// so the detector never sees them and a signal ends them. Such a task is judged as hung only if user
// space's completions of its work in flight (ReachOptions.userCompletionsOnly) cannot end it either.
import type { Property, View, Violation } from './types.ts';
import { violation } from './types.ts';
import { describeWait } from '../model/waits.ts';

/** A kernel task that has started and not finished. */
export interface KernelTask {
  /** Stable id, the oracle's goal: `fault:job0`, `exit:p1`. */
  id: string;
  /** The process it works for (NONE: none). */
  proc: number;
  what: string;
  /** A system call of the process (registration, deregistration, submission): may wait on its own user space. */
  syscall: boolean;
  /** The oracle's goal name: shared with other properties that ask the same question (`inv-ended:<i>`). */
  goal: string;
  done: (v: View) => boolean;
}

/** Every kernel task pending in `view`. */
export function kernelTasks(view: View): KernelTask[] {
  const out: KernelTask[] = [];
  const task = (id: string, proc: number, what: string, syscall: boolean, done: (v: View) => boolean) => out.push({ id, proc, what, syscall, goal: `task:${id}`, done });
  view.jobs.forEach((j, k) => {
    if (j.state === 'faulting') task(`fault:job${k}`, j.proc, `the device page fault of job ${k} (p${j.proc} v${j.vpage})`, false, (v) => v.jobs[k]!.state !== 'faulting');
    if (j.state === 'submitted') task(`submit:job${k}`, j.proc, `the submission of job ${k} (p${j.proc} v${j.vpage})`, true, (v) => v.jobs[k]!.state !== 'submitted');
  });
  view.invs.forEach((inv, i) => {
    // The same question as migratable's and movable-offlinable's (`inv-ended:<i>`): one memoised answer.
    if (inv.live) out.push({ id: `invalidation:${i}`, proc: inv.proc, what: `the ${inv.cause} invalidation ${i} of p${inv.proc}`, syscall: false, goal: `inv-ended:${i}`, done: (v) => !v.invs[i]!.live });
  });
  view.regs.forEach((r, p) => {
    if (r.live && r.opening) task(`registration:p${p}`, p, `the registration of p${p}`, true, (v) => !v.regs[p]!.live || !v.regs[p]!.opening);
    if (r.live && r.closing) task(`deregistration:p${p}`, p, `the deregistration of p${p}`, true, (v) => !v.regs[p]!.live || !v.regs[p]!.closing);
  });
  view.mms.forEach((mm, p) => {
    if (mm.alive && mm.exiting === true) task(`exit:p${p}`, p, `the exit of p${p} (exit_mmap)`, false, (v) => !v.mms[p]!.alive);
    const q = view.queues[p]!;
    // A process that exits or was killed has its queues destroyed, not restored.
    if (mm.alive && mm.exiting !== true && mm.killed !== true && !mm.oomVictim && q.state !== 'running') {
      task(`restore:p${p}`, p, `the restore of p${p}'s queues`, false, (v) => v.queues[p]!.state === 'running' || !v.mms[p]!.alive || v.mms[p]!.exiting === true);
    }
  });
  view.frames.forEach((fr, f) => {
    if (!fr.free && fr.locked) task(`migration:frame${f}`, -1, `the move of frame ${f} (the page is locked)`, false, (v) => !v.frames[f]!.locked || v.frames[f]!.free);
  });
  return out;
}

/** What a stuck task of `proc` waits on, from the view: the mm's notifier state and the kernel paths the model names. */
function waitsOnText(view: View, t: KernelTask): string {
  if (t.proc < 0) return 'the move that locked the page';
  const mm = view.mms[t.proc]!;
  const parts: string[] = [];
  const live = view.invs.flatMap((inv, i) => (inv.live && inv.proc === t.proc && `invalidation:${i}` !== t.id ? [i] : []));
  if (mm.active > live.length + (t.id.startsWith('invalidation:') ? 1 : 0)) {
    parts.push(`p${t.proc}'s notifier: invalidate_seq ${mm.seq} (${mm.seq % 2 === 1 ? 'odd' : 'even'}) with ${mm.active} active range(s) but ${live.length} invalidation(s) in progress: mmu_interval_read_begin sleeps for an invalidate_range_end that no path will call`);
  }
  const ws = view.waits();
  for (const i of live) parts.push(`the ${view.invs[i]!.cause} invalidation ${i} of p${t.proc}`);
  for (const w of ws) if (w.on.length > 0 && (w.id.endsWith(`:${t.proc}`) || t.id.startsWith('invalidation:') && w.id.startsWith(`callback:${t.id.slice(13)}:`))) parts.push(`${w.what}, which ${describeWait(ws, w.id)}`);
  if (parts.length === 0) {
    // What the process's task needs that is still in flight: its jobs, and who completes them.
    const jobs = view.jobs.flatMap((j, k) => (j.proc === t.proc && j.state !== 'free' ? [`job ${k} (${j.state}${view.cfg.queue === 'user' ? ', on a user queue: only user space signals its fence' : ''})`] : []));
    if (jobs.length > 0 && !t.id.startsWith('fault:') && !t.id.startsWith('submit:')) parts.push(`p${t.proc}'s work in flight: ${jobs.join(', ')}`);
    if (t.id.startsWith('restore:')) parts.push(`the restore worker (restore_process_worker), which no kernel or hardware step runs again to resume p${t.proc}'s ${view.queues[t.proc]!.state} queues`);
  }
  return parts.length > 0 ? parts.join('; ') : `its own steps alone: none of the kernel or hardware steps that follow ends ${t.what}`;
}

/**
 * Every kernel task that started finishes by kernel and hardware steps alone, whatever user space does
 * (the progress oracle: an exhaustive search of what those steps reach, which is finite, without new work
 * the kernel would start on its own), checked from
 * every state in which one is pending. A failure names the task and what it waits on.
 * Premise: a kernel task had to wait for another path (sometimes-kernel-task-waits).
 */
export const noHungTask: Property<null> = {
  id: 'no-hung-task',
  kind: 'eventually',
  stateOnly: true,
  premise: 'sometimes-kernel-task-waits',
  meaning: 'every kernel task that started (a device fault, a submission, an invalidation, a registration or deregistration, an exit, a queue restore, a page move) finishes by kernel and hardware steps alone, whatever user space does; a system call of the process waiting for work only its user space completes waits interruptibly on user space, and must finish once user space completes it',
  init: () => null,
  check(_m, { view, oracle }): Violation | null {
    const bound = view.cfg.oracleBound;
    for (const t of kernelTasks(view)) {
      // New work the kernel would start on its own (ActionKind `starts`: a migration, an eviction, the
      // OOM victim's exit) does not count, as for bounded-notifier: a task that waits for it waits for
      // something no path it started will do.
      // A system call waiting for work only its user space completes sleeps interruptibly: not judged. One
      // question covers both (what kernel and hardware steps reach, user space's completions added reach
      // too), and it is the cheaper one: the search without user space must exhaust the space to say no.
      if (t.syscall ? oracle.reach(t.done, bound, ['kernel', 'hardware', 'user'], { userCompletionsOnly: true, goal: t.goal }) : oracle.reach(t.done, bound, ['kernel', 'hardware'], { goal: t.goal })) continue;
      const waits = waitsOnText(view, t);
      return violation(this.id, 'task-hung', `${t.what} cannot finish by kernel and hardware steps alone${t.syscall ? ', nor by user space completing its work in flight' : ''}: it waits on ${waits}`, {
        task: t.id, proc: t.proc, waitsOn: waits,
      });
    }
    return null;
  },
};

/** The premise: a kernel task pending while another path it must wait for runs (an invalidation of its process, or a locked page). */
export const kernelTaskWaits: Property<null> = {
  id: 'sometimes-kernel-task-waits',
  kind: 'sometimes',
  meaning: 'a kernel task waits for another path: a fault, a registration, a deregistration or an exit of a process while an invalidation of it is in progress',
  init: () => null,
  check(_m, { view }): Violation | null {
    const t = kernelTasks(view).find((x) => !x.id.startsWith('invalidation:') && x.proc >= 0 && view.invs.some((inv) => inv.live && inv.proc === x.proc));
    return t ? { property: this.id, clause: 'reached', message: this.meaning, values: { task: t.id } } : null;
  },
};
