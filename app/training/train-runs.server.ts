/**
 * The train-all runs in `pipeline_runs` as training sees them: which one a job left unfinished (to
 * resume it), which one is still in progress (so a second train-all yields), and stopping the runs
 * of a cancelled job.
 */
import type { JobQueue } from "../jobs/port.js";
import type { Database } from "../platform/db.server.js";

/** The status and params of a train-all run, or null when there is no such train-all run. */
export async function trainRunState(db: Database, runId: number): Promise<{ status: string; params: unknown } | null> {
  const [row] = await db.sql.query<{ status: string; params: unknown }>(
    "SELECT status, params FROM pipeline_runs WHERE id = $1 AND kind IN ('train-all', 'train-weekly')",
    [runId],
  );
  return row ?? null;
}

/** The RUNNING or PENDING train-all run of a job, if any (the job was handed back or its worker died). */
export async function unfinishedRunOfJob(db: Database, jobId: string): Promise<number | null> {
  const [row] = await db.sql.query<{ id: number }>(
    `SELECT id FROM pipeline_runs
      WHERE job_id = $1 AND kind IN ('train-all', 'train-weekly') AND status IN ('RUNNING', 'PENDING')
      ORDER BY id DESC LIMIT 1`,
    [jobId],
  );
  return row?.id ?? null;
}

/**
 * Ends the unfinished (PENDING or RUNNING) train-all runs of a cancelled job STOPPED, so they are not
 * resumed and their train-chunk helpers stop (claims and lease renewals check the run's status).
 * Returns how many runs it stopped.
 */
export async function stopTrainRunsOfJob(db: Database, jobId: string, reason: string): Promise<number> {
  const { count } = await db.prisma.pipelineRun.updateMany({
    where: { job_id: jobId, kind: { in: ["train-all", "train-weekly"] }, status: { in: ["PENDING", "RUNNING"] } },
    data: { status: "STOPPED", error: reason, finished_at: new Date() },
  });
  return count;
}

/** Train-all runs interrupted or orphaned (PENDING or RUNNING), newest first, with their jobs. */
export async function unfinishedTrainRuns(
  db: Database,
): Promise<{ id: number; kind: "train-all" | "train-weekly"; status: string; jobId: string | null }[]> {
  return db.sql.query(
    `SELECT id, kind, status, job_id AS "jobId" FROM pipeline_runs
      WHERE kind IN ('train-all', 'train-weekly') AND status IN ('RUNNING', 'PENDING')
      ORDER BY id DESC`,
  );
}

/**
 * Another train-all run still in progress under a job that is still queued or running, or null.
 * A second train-all then would train every series again: the weekly schedule firing during a
 * manual train-all, say, which a job scheduler cannot deduplicate.
 */
export async function trainRunInProgress(
  db: Database,
  jobs: Pick<JobQueue, "get">,
  jobId: string,
): Promise<number | null> {
  for (const run of await unfinishedTrainRuns(db)) {
    if (!run.jobId || run.jobId === jobId) continue;
    const job = await jobs.get(run.jobId);
    if (job && (job.status === "PENDING" || job.status === "RUNNING")) return run.id;
  }
  return null;
}
