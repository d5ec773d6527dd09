-- Jobs of the in-process queue (embedded mode), kept in the database so a job's status outlives a
-- restart and the 1,000 finished jobs the queue keeps in memory: the reference's clients poll a
-- job's status by id. `queue` names the queue (JOB_QUEUE). Rows are kept 7 days after they were created. BullMQ keeps its own in Redis.
-- CreateTable
CREATE TABLE "job_records" (
    "id" VARCHAR(100) NOT NULL,
    "queue" VARCHAR(100) NOT NULL,
    "kind" VARCHAR(40) NOT NULL,
    "data" JSONB NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "progress" JSONB,
    "result" JSONB,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "job_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "job_records_queue_created_at_idx" ON "job_records"("queue", "created_at");
