/**
 * The job queue port: BullMQ on Redis (REDIS_URL) or an in-process queue (embedded mode), one
 * interface, one contract suite (tests/support/queue-cases.ts) run against both.
 */

export const JOB_KINDS = [
  "train-one",
  "train-all",
  "train-chunk",
  "batch-forecast",
  "ingest-daily",
  "retention",
  "drift-check",
  "anomaly-scan",
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** The reference system's status words, kept for its clients. */
export const JOB_STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** Statuses a job does not leave. */
export const FINAL_JOB_STATUSES: ReadonlySet<string> = new Set<JobStatus>(["SUCCEEDED", "FAILED", "STOPPED"]);

export interface JobDataByKind {
  "train-one": { store: number; productname: string };
  /** `resumeRunId`: go on with that interrupted run instead of starting one (see workers/initial-training.ts). */
  "train-all": { runKind?: "train-all" | "train-weekly"; resumeRunId?: number };
  /** Helps a running train-all: trains its unclaimed series until none is left (docs/decisions/0009). */
  "train-chunk": { runId: number };
  "batch-forecast": Record<string, never>;
  /** `day` (YYYY-MM-DD) or `daysAgo` (0 = today, UTC, when the job runs: what a schedule uses); default today. */
  "ingest-daily": { day?: string; daysAgo?: number };
  /** Deletes what the retention policy no longer keeps (app/retention). */
  retention: Record<string, never>;
  /** Degraded series found, retrained or suggested, earlier retrains judged (app/monitoring). */
  "drift-check": Record<string, never>;
  /** Compares the stores' weekly sales profiles (app/monitoring): `day` (YYYY-MM-DD) or `daysAgo`; default yesterday. */
  "anomaly-scan": { day?: string; daysAgo?: number };
}

export interface JobProgress {
  done: number;
  total: number;
}

export interface JobInfo {
  id: string;
  kind: JobKind;
  data: JobDataByKind[JobKind];
  status: JobStatus;
  progress: JobProgress | null;
  /** What the handler returned (JSON), once SUCCEEDED. */
  result: unknown;
  error: string | null;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A running job's signal is aborted with one of these reasons. */
export const ABORT_CANCELLED = "cancelled";
/**
 * close() ran out of time: the handler should stop soon and leave its work resumable, because
 * the job is handed back to the queue (BullMQ: another replica, or this one after a restart, runs
 * it again) rather than recorded as done.
 */
export const ABORT_SHUTDOWN = "shutting down";

/**
 * The error of a job STOPPED because its process stopped (shutdown past the timeout, or a crash
 * found on the next start), not because someone cancelled it: its work may be resumed.
 */
export const INTERRUPTED = "interrupted: storecast stopped before the job finished";

/** Whether a STOPPED job was interrupted by its process stopping rather than cancelled. */
export const wasInterrupted = (job: Pick<JobInfo, "status" | "error">): boolean =>
  job.status === "STOPPED" && job.error === INTERRUPTED;

/** Whether a job's signal was aborted because the process is shutting down (not a cancel). */
export function abortedForShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason === ABORT_SHUTDOWN;
}

/**
 * For close(): whether the running handlers all return within `ms`. False on timeout; never rejects.
 */
export function handlersSettle(inFlight: Iterable<Promise<unknown>>, ms: number): Promise<boolean> {
  return Promise.race([
    Promise.allSettled(inFlight).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
  ]);
}

/** Pushed to subscribers whenever a job's status or progress changes. */
export interface JobEvent {
  id: string;
  status: JobStatus;
  progress: JobProgress | null;
  error: string | null;
  result?: unknown;
}

/**
 * How many jobs the queue holds now. With BullMQ it is the whole queue (every replica's jobs);
 * in-process, this process's. A cancelled job is not counted, a finished one neither.
 */
export interface QueueDepth {
  /** PENDING and ready to run as soon as a worker is free. */
  waiting: number;
  /** PENDING but not due yet: a retry's backoff (with BullMQ also each schedule's next run). */
  delayed: number;
  /** RUNNING. */
  running: number;
}

export interface EnqueueOptions {
  /**
   * While a job with this key is PENDING or RUNNING, enqueueing again returns that job's id
   * (`deduplicated: true`) instead of a new job. E.g. `train-one:262:product_A`.
   */
  dedupeKey?: string;
}

/** What a handler gets: report progress, notice cancellation. */
export interface JobContext {
  id: string;
  attempt: number;
  signal: AbortSignal;
  progress(done: number, total: number): void;
}

export type JobHandler<K extends JobKind = JobKind> = (data: JobDataByKind[K], ctx: JobContext) => Promise<unknown>;
export type JobHandlers = { [K in JobKind]: JobHandler<K> };

export interface Schedule {
  /** Unique name; re-registering the same name replaces it (restarts, many replicas: one schedule). */
  name: string;
  kind: JobKind;
  /** Five-field cron, UTC. */
  cron: string;
  data: JobDataByKind[JobKind];
}

/** A schedule as its store keeps it: the definition, whether it is paused, the last job it started. */
export interface StoredSchedule extends Schedule {
  paused: boolean;
  /** The job its last tick (or Run now) started, and when; null before the first. */
  lastJobId: string | null;
  lastRunAt: Date | null;
}

/** A schedule as the queue lists it: `nextRunAt` is its next tick, null while paused. */
export interface ScheduleInfo extends StoredSchedule {
  nextRunAt: Date | null;
}

/**
 * Where schedules are kept (the database, job_schedules; docs/decisions/0036): each one's definition
 * and paused flag, shared by every replica of the queue and kept across restarts.
 */
export interface ScheduleStore {
  /** Saves the definitions (a new name starts not paused; a known one keeps its flag) and returns them as stored. */
  register(schedules: Schedule[]): Promise<StoredSchedule[]>;
  /** By name. */
  list(): Promise<StoredSchedule[]>;
  get(name: string): Promise<StoredSchedule | null>;
  /** Null when no schedule has this name. */
  setPaused(name: string, paused: boolean): Promise<StoredSchedule | null>;
  /** Records the job a tick or Run now started. */
  started(name: string, jobId: string, at: Date): Promise<void>;
}

/**
 * How long a job is kept after it was created (the reference's clients poll by id): BullMQ removes
 * older finished jobs from Redis itself; the retention job deletes older finished job_records.
 */
export const JOB_RETENTION_MS = 7 * 86_400_000;

/**
 * Where the in-process queue keeps its jobs beyond its memory (the database, job_records): each
 * status change is saved, so a job's status outlives a restart and the jobs kept in memory.
 */
export interface JobStore {
  /** Inserts or replaces the job's record. */
  save(job: JobInfo): Promise<void>;
  load(id: string): Promise<JobInfo | null>;
  /** Newest first. */
  list(opts: { kind?: JobKind; limit: number }): Promise<JobInfo[]>;
  /**
   * Ends every PENDING or RUNNING record STOPPED with `reason`: jobs of an earlier process of this
   * queue, which nothing will run any more. Returns how many.
   */
  stopUnfinished(reason: string): Promise<number>;
}

export interface JobQueue {
  kind: "bullmq" | "in-process";
  enqueue<K extends JobKind>(
    kind: K,
    data: JobDataByKind[K],
    opts?: EnqueueOptions,
  ): Promise<{ id: string; deduplicated: boolean }>;
  get(id: string): Promise<JobInfo | null>;
  /** The PENDING or RUNNING job enqueued with this dedupe key (e.g. a series' retrain), or null. */
  findActive(dedupeKey: string): Promise<JobInfo | null>;
  /** Newest first. */
  list(opts?: { kind?: JobKind; limit?: number }): Promise<JobInfo[]>;
  /** Jobs waiting, delayed and running now (storecast_job_queue_depth). */
  depth(): Promise<QueueDepth>;
  /** Resolves when the queue's store answers (BullMQ: a Redis PING), rejects otherwise (readiness). */
  ping(): Promise<void>;
  /** A PENDING job is removed (STOPPED); a RUNNING one gets its signal aborted and ends STOPPED. */
  cancel(id: string): Promise<boolean>;
  /** Status and progress events of one job (in this process, whichever replica runs it). */
  subscribe(id: string, listener: (event: JobEvent) => void): () => void;
  /** Starts processing with these handlers; `concurrency` jobs at once in this process. */
  startWorkers(handlers: JobHandlers, opts?: { concurrency?: number }): Promise<void>;
  /**
   * Registers repeatable jobs; they fire once per tick however many replicas run. A schedule that
   * was paused stays paused (its stored flag wins over the registration).
   */
  schedule(schedules: Schedule[]): Promise<void>;
  /** The registered schedules, by name (BullMQ: every replica's; in-process: this process's). */
  listSchedules(): Promise<ScheduleInfo[]>;
  /** Stops a schedule's ticks until resumed, for every replica and across restarts; null for an unknown name. */
  pauseSchedule(name: string): Promise<ScheduleInfo | null>;
  resumeSchedule(name: string): Promise<ScheduleInfo | null>;
  /**
   * Enqueues the schedule's job now (paused or not) under its dedupe key: the same work already
   * pending or running is returned instead. Null for an unknown name.
   */
  runSchedule(name: string): Promise<{ id: string; deduplicated: boolean } | null>;
  /**
   * Stops taking jobs and lets running ones finish within `timeoutMs`; then aborts their signals
   * with ABORT_SHUTDOWN and, once their handlers returned, hands their jobs back: BullMQ puts them
   * back in the queue (no attempt counted), for another replica or the next start; in-process
   * nothing outlives the process, so they end STOPPED. Then closes.
   */
  close(timeoutMs?: number): Promise<void>;
}
