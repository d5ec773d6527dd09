import type { AppLoadContext } from "@remix-run/node";
import { describeCounts } from "../../components/display.js";
import type { RetentionView } from "../../components/RetentionPanel.js";
import type { JobQueue } from "../../jobs/port.js";
import { listRuns } from "../../pipelines/runs.server.js";
import { describeRetentionPolicy, retentionPolicy } from "../../retention/policy.server.js";
import { jobOrNull } from "./forms.server.js";

/**
 * The pipelines page's retention panel: the policy from the settings, the last retention run's
 * counts, and the retention job the page just queued (`jobId`, from ?retention=).
 */
export async function retentionView(context: AppLoadContext, jobId: string | null): Promise<RetentionView> {
  const jobs = (context as { jobs?: JobQueue }).jobs;
  const [[last], job] = await Promise.all([
    listRuns(context.db, { kind: "retention", limit: 1 }),
    jobs && jobId && jobId.length <= 200
      ? jobOrNull(context.log, () => jobs.get(jobId), "retention job status")
      : Promise.resolve(null),
  ]);
  return {
    schedule: context.config.SCHEDULES ? context.config.RETENTION_CRON : null,
    policy: describeRetentionPolicy(retentionPolicy(context.config)),
    last: last
      ? {
          runId: last.id,
          status: last.status,
          startedAt: last.startedAt?.toISOString() ?? null,
          finishedAt: last.finishedAt?.toISOString() ?? null,
          counts: describeCounts(last.counts),
          error: last.error,
        }
      : null,
    job: job?.kind === "retention" ? { id: job.id, status: job.status } : null,
  };
}
