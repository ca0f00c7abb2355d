// A failed job keeps its error as state (Job.error): the errno user space reads at its completion (an
// error fence, dma_fence_set_error; a CQE's status), the layer that gave it (hmm_range_fault, GUP, the
// device, the driver) and why. The event job_error says the same at the step it happens; the state is
// what a property or an explanation reads later, while the job waits to complete.
import type { JobError, JobErrorState, State } from './types.ts';
import type { Emit } from './events.ts';

/** Job `job` fails with `err`: its state, its error, and the job_error event (`detail` for the reader). */
export function failJob(s: State, job: number, err: JobError & { detail: string }, ctx: { emit: Emit }): void {
  recordFailure(s, job, err);
  ctx.emit({ t: 'job_error', job, ...err });
}

/**
 * Job `job` fails with `err` where the model has long said so by its state only (a fatal device fault, a
 * job flushed by a deregistration): the error is kept, no job_error event is added to what properties
 * have always observed there.
 */
export function recordFailure(s: State, job: number, err: JobError): void {
  const j = s.jobs[job]!;
  j.state = 'failed';
  j.error.errno = err.errno;
  j.error.from = err.from;
  j.error.cause = err.cause;
}

/** Job.error of a job that has not failed. */
export function noJobError(): JobErrorState {
  return { errno: null, from: null, cause: null };
}

/** Clear job `job`'s error (its slot is reused or freed). */
export function clearJobError(s: State, job: number): void {
  const e = s.jobs[job]!.error;
  e.errno = null;
  e.from = null;
  e.cause = null;
}

/** A job flushed because its registration was torn down under it (the MR destroyed, the mirror released). */
export const DEREGISTERED: JobError = { errno: 'ECANCELED', from: 'driver', cause: 'deregistered' };

/** A non-recoverable device's access through a missing or read-only translation: a fatal device fault. */
export const FATAL_DEVICE_FAULT: JobError = { errno: 'EFAULT', from: 'device', cause: 'not-mapped' };
