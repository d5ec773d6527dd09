import type { Prisma } from "../generated/prisma/client.js";
import type { Database } from "../platform/db.server.js";
import { pipelineMetrics } from "../platform/metrics.server.js";
import { RunLogWriter } from "./run-log.server.js";

export const RUN_STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** At most this many failed series are listed in a run's counts (all are counted). */
export const MAX_LISTED_FAILURES = 200;

export type RunKind =
  | "train-all"
  | "train-weekly"
  | "retrain"
  | "batch-forecast"
  | "ingest-daily"
  | "history-load"
  | "retention";

export interface RunStep {
  name: string;
  startedAt: string;
  ms: number;
}

export interface PipelineRunRecord {
  id: number;
  kind: string;
  status: RunStatus;
  params: unknown;
  counts: Record<string, unknown> | null;
  steps: RunStep[];
  progressDone: number;
  progressTotal: number;
  error: string | null;
  jobId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}

const json = (v: unknown) => v as Prisma.InputJsonValue;

/**
 * One run of a pipeline, recorded as it goes: steps with timings, a progress figure a UI can
 * poll, counts and the error at the end. Progress writes are throttled: a train-all reports
 * thousands of steps and the database should not feel each one.
 */
export class PipelineRun {
  readonly steps: RunStep[] = [];
  private lastProgressWrite = 0;
  private progressWrite: Promise<unknown> = Promise.resolve();
  private readonly startedMs = Date.now();
  /** The run's own log (docs/decisions/0035): what the run page shows, written in batches. */
  readonly log: RunLogWriter;

  private constructor(
    private readonly db: Database,
    readonly id: number,
    readonly kind: RunKind,
  ) {
    this.log = new RunLogWriter(db, id);
  }

  static async start(
    db: Database,
    kind: RunKind,
    opts: { params?: unknown; jobId?: string } = {},
  ): Promise<PipelineRun> {
    const row = await db.prisma.pipelineRun.create({
      data: {
        kind,
        status: "RUNNING",
        params: opts.params === undefined ? undefined : json(opts.params),
        job_id: opts.jobId ?? null,
        started_at: new Date(),
      },
      select: { id: true },
    });
    const run = new PipelineRun(db, row.id, kind);
    run.log.info(`${kind} run started`, {
      ...(opts.jobId ? { job: opts.jobId } : {}),
      ...(opts.params && typeof opts.params === "object" ? { params: opts.params as Record<string, unknown> } : {}),
    });
    return run;
  }

  /**
   * Takes a run over again: one that was interrupted (PENDING) or whose worker died (RUNNING). It is
   * RUNNING again, under `jobId`, with its earlier steps kept. Null when it does not exist or ended.
   */
  static async resume(
    db: Database,
    id: number,
    opts: { jobId?: string } = {},
  ): Promise<{ run: PipelineRun; params: unknown } | null> {
    const row = await db.prisma.pipelineRun.findUnique({ where: { id } });
    if (!row || (row.status !== "PENDING" && row.status !== "RUNNING")) return null;
    await db.prisma.pipelineRun.update({
      where: { id },
      data: { status: "RUNNING", error: null, job_id: opts.jobId ?? row.job_id },
    });
    const run = new PipelineRun(db, id, row.kind as RunKind);
    run.steps.push(...((row.steps as RunStep[] | null) ?? []));
    run.log.info(`resumed (it was ${row.status})`, opts.jobId ? { job: opts.jobId } : undefined);
    return { run, params: row.params };
  }

  /** Interrupted (the process is stopping): PENDING until a worker resumes it, with its counts so far. */
  async suspend(result: { counts?: unknown; reason: string }) {
    await this.progressWrite;
    this.log.warn(`suspended: ${result.reason}`);
    await this.log.close();
    await this.db.prisma.pipelineRun.update({
      where: { id: this.id },
      data: {
        status: "PENDING",
        counts: result.counts === undefined ? undefined : json(result.counts),
        error: result.reason,
        steps: json(this.steps),
      },
    });
  }

  /** Times `fn` as a named step of this run. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const startedAt = new Date();
    this.log.debug(`step ${name} started`);
    let failed: unknown;
    try {
      return await fn();
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      const ms = Date.now() - startedAt.getTime();
      this.steps.push({ name, startedAt: startedAt.toISOString(), ms });
      if (failed === undefined) this.log.info(`step ${name} finished`, { ms });
      else this.log.error(`step ${name} failed: ${(failed as Error)?.message ?? String(failed)}`, { ms });
    }
  }

  /** Records progress at most every `everyMs` (always the first and the last figure). */
  progress(done: number, total: number, everyMs = 500): Promise<unknown> {
    const now = Date.now();
    if (done !== 0 && done !== total && now - this.lastProgressWrite < everyMs) return this.progressWrite;
    this.lastProgressWrite = now;
    this.progressWrite = this.progressWrite.then(() =>
      this.db.prisma.pipelineRun.update({
        where: { id: this.id },
        data: { progress_done: done, progress_total: total },
      }),
    );
    return this.progressWrite;
  }

  async finish(status: Exclude<RunStatus, "PENDING" | "RUNNING">, result: { counts?: unknown; error?: string } = {}) {
    await this.progressWrite;
    const ms = Date.now() - this.startedMs;
    if (status === "SUCCEEDED") this.log.info("run succeeded", { ms });
    else if (status === "STOPPED") this.log.warn(`run stopped${result.error ? `: ${result.error}` : ""}`, { ms });
    else this.log.error(`run failed: ${result.error ?? "no reason given"}`, { ms });
    await this.log.close();
    await this.db.prisma.pipelineRun.update({
      where: { id: this.id },
      data: {
        status,
        counts: result.counts === undefined ? undefined : json(result.counts),
        error: result.error ?? null,
        steps: json(this.steps),
        finished_at: new Date(),
      },
    });
    pipelineMetrics.runSeconds.observe({ kind: this.kind, status }, (Date.now() - this.startedMs) / 1000);
  }
}

type RunRow = Prisma.PipelineRunGetPayload<object>;

function toRecord(r: RunRow): PipelineRunRecord {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status as RunStatus,
    params: r.params,
    counts: (r.counts as Record<string, unknown> | null) ?? null,
    steps: (r.steps as RunStep[] | null) ?? [],
    progressDone: r.progress_done,
    progressTotal: r.progress_total,
    error: r.error,
    jobId: r.job_id,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.started_at && r.finished_at ? r.finished_at.getTime() - r.started_at.getTime() : null,
  };
}

export async function getRun(db: Database, id: number): Promise<PipelineRunRecord | null> {
  const row = await db.prisma.pipelineRun.findUnique({ where: { id } });
  return row ? toRecord(row) : null;
}

/**
 * Ends a PENDING or RUNNING run STOPPED without its job: for a run nothing runs any more (its job
 * ended or is forgotten), which would otherwise stay "running" forever. False when it had ended.
 */
export async function stopRun(db: Database, id: number, reason: string): Promise<boolean> {
  const { count } = await db.prisma.pipelineRun.updateMany({
    where: { id, status: { in: ["PENDING", "RUNNING"] } },
    data: { status: "STOPPED", error: reason, finished_at: new Date() },
  });
  return count > 0;
}

/** Runs newest first, optionally of one kind; `offset` pages back. */
export async function listRuns(
  db: Database,
  opts: { kind?: string; limit?: number; offset?: number } = {},
): Promise<PipelineRunRecord[]> {
  const rows = await db.prisma.pipelineRun.findMany({
    where: opts.kind ? { kind: opts.kind } : undefined,
    orderBy: { id: "desc" },
    take: opts.limit ?? 50,
    skip: opts.offset ?? 0,
  });
  return rows.map(toRecord);
}

/** How many runs there are (of one kind), for paging listRuns. */
export async function countRuns(db: Database, opts: { kind?: string } = {}): Promise<number> {
  return db.prisma.pipelineRun.count({ where: opts.kind ? { kind: opts.kind } : undefined });
}

export interface TrainingRunSummary {
  id: number;
  kind: string;
  status: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  progressDone: number;
  progressTotal: number;
  trained: number | null;
  failed: number | null;
  skipped: number | null;
}

/** The newest run that trains every series (the weekly schedule's, or an on-demand train-all). */
export async function latestTrainingRun(db: Database): Promise<TrainingRunSummary | null> {
  const [row] = await db.sql.query<{
    id: number;
    kind: string;
    status: string;
    started_at: Date | null;
    finished_at: Date | null;
    progress_done: number;
    progress_total: number;
    counts: Record<string, unknown> | null;
  }>(
    `SELECT id, kind, status, started_at, finished_at, progress_done, progress_total, counts
       FROM pipeline_runs WHERE kind IN ('train-weekly', 'train-all')
      ORDER BY created_at DESC, id DESC LIMIT 1`,
  );
  if (!row) return null;
  const startedAt = row.started_at ? new Date(row.started_at) : null;
  const finishedAt = row.finished_at ? new Date(row.finished_at) : null;
  const count = (k: string) => (typeof row.counts?.[k] === "number" ? (row.counts[k] as number) : null);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? finishedAt.getTime() - startedAt.getTime() : null,
    progressDone: row.progress_done,
    progressTotal: row.progress_total,
    trained: count("trained"),
    failed: count("failed"),
    skipped: count("skipped"),
  };
}

/**
 * Deletes at most `limit` finished runs (SUCCEEDED, FAILED, STOPPED) created more than `days` days
 * ago, but never the newest run of a kind (the pages show it). Their claims go with them; versions
 * and forecast rows they wrote lose the link (ON DELETE SET NULL). Returns how many.
 */
export async function deleteFinishedRunsOlderThan(
  db: Pick<Database, "sql">,
  days: number,
  limit: number,
): Promise<number> {
  const rows = await db.sql.query<{ id: number }>(
    `DELETE FROM pipeline_runs WHERE id IN (
       SELECT p.id FROM pipeline_runs p
        WHERE p.status IN ('SUCCEEDED', 'FAILED', 'STOPPED')
          AND p.created_at < now() - $1::int * interval '1 day'
          AND p.id < (SELECT max(q.id) FROM pipeline_runs q WHERE q.kind = p.kind)
        ORDER BY p.id LIMIT $2)
     RETURNING id`,
    [days, limit],
  );
  return rows.length;
}
