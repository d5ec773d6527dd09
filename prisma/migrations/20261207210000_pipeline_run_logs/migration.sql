-- A pipeline run's own log (docs/decisions/0035): the structured lines the run emitted, kept per run and
-- bounded: the first lines and the last lines of the run, the middle dropped. `log_lines` counts every
-- line the run emitted (kept or not), so the page can say how many were dropped; it also hands out
-- each line's number (`seq`). The lines go with their run (retention deletes old runs).
-- AlterTable
ALTER TABLE "pipeline_runs" ADD COLUMN "log_lines" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "pipeline_run_logs" (
    "run_id" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "level" VARCHAR(5) NOT NULL,
    "message" TEXT NOT NULL,
    "fields" JSONB,

    CONSTRAINT "pipeline_run_logs_pkey" PRIMARY KEY ("run_id","seq")
);

-- AddForeignKey
ALTER TABLE "pipeline_run_logs" ADD CONSTRAINT "pipeline_run_logs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
