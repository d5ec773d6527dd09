-- The job queue's schedules (docs/decisions/0036): each one's definition as last registered, whether
-- an operator paused it (kept across restarts, shared by every replica of the queue `queue`, JOB_QUEUE),
-- and the job its last tick or Run now started.
-- CreateTable
CREATE TABLE "job_schedules" (
    "queue" VARCHAR(100) NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "kind" VARCHAR(40) NOT NULL,
    "cron" VARCHAR(100) NOT NULL,
    "data" JSONB NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "last_job_id" VARCHAR(100),
    "last_run_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_schedules_pkey" PRIMARY KEY ("queue","name")
);
