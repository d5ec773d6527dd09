/**
 * The job queue port: BullMQ on Redis (REDIS_URL) or an in-process queue (embedded mode), one
 * interface, one contract suite (tests/support/queue-cases.ts) run against both.
 */

export const JOB_KINDS = ["train-one", "train-all", "batch-forecast", "ingest-daily"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** The reference system's status words, kept for its clients. */
export const JOB_STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobDataByKind {
  "train-one": { store: number; productname: string };
  "train-all": { runKind?: "train-all" | "train-weekly" };
  "batch-forecast": Record<string, never>;
  /** `day` (YYYY-MM-DD) or `daysAgo` (0 = today, UTC, when the job runs: what a schedule uses); default today. */
  "ingest-daily": { day?: string; daysAgo?: number };
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

/** Pushed to subscribers whenever a job's status or progress changes. */
export interface JobEvent {
  id: string;
  status: JobStatus;
  progress: JobProgress | null;
  error: string | null;
  result?: unknown;
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

export interface JobQueue {
  kind: "bullmq" | "in-process";
  enqueue<K extends JobKind>(
    kind: K,
    data: JobDataByKind[K],
    opts?: EnqueueOptions,
  ): Promise<{ id: string; deduplicated: boolean }>;
  get(id: string): Promise<JobInfo | null>;
  /** Newest first. */
  list(opts?: { kind?: JobKind; limit?: number }): Promise<JobInfo[]>;
  /** A PENDING job is removed (STOPPED); a RUNNING one gets its signal aborted and ends STOPPED. */
  cancel(id: string): Promise<boolean>;
  /** Status and progress events of one job (in this process, whichever replica runs it). */
  subscribe(id: string, listener: (event: JobEvent) => void): () => void;
  /** Starts processing with these handlers; `concurrency` jobs at once in this process. */
  startWorkers(handlers: JobHandlers, opts?: { concurrency?: number }): Promise<void>;
  /** Registers repeatable jobs; they fire once per tick however many replicas run. */
  schedule(schedules: Schedule[]): Promise<void>;
  /** Stops taking jobs, lets running ones finish (or hands them back) within `timeoutMs`, closes. */
  close(timeoutMs?: number): Promise<void>;
}
