/** What may be done to a run in a given status (the run page's buttons and the server agree). Browser-safe. */

/** Retry: a failed or stopped run, as a new job. */
export const canRetry = (status: string): boolean => status === "FAILED" || status === "STOPPED";
/** Cancel: a run that is queued (pending) or running. */
export const canCancel = (status: string): boolean => status === "PENDING" || status === "RUNNING";
