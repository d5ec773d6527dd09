-- A train-all run's series, one row each: planned when the run starts, claimed a batch at a time
-- (with a lease) by whichever worker trains them, on any replica, and marked with the outcome. It
-- lets replicas split a train-all and a stopped or crashed one resume where it was
-- (docs/decisions/0009-train-all-split-by-series-claims.md).
-- CreateTable
CREATE TABLE "train_series" (
    "run_id" INTEGER NOT NULL,
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "claimed_by" VARCHAR(200),
    "lease_until" TIMESTAMPTZ(3),
    "outcome" VARCHAR(20),
    "reason" TEXT,
    "excluded_days" INTEGER NOT NULL DEFAULT 0,
    "forecast_rows" INTEGER NOT NULL DEFAULT 0,
    "finished_by" VARCHAR(200),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "train_series_pkey" PRIMARY KEY ("run_id","store","productname")
);

-- AddForeignKey
ALTER TABLE "train_series" ADD CONSTRAINT "train_series_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A model gets at most one version per pipeline run: a series is never trained twice in one run,
-- whichever replicas share it. (NULL runs are distinct: versions registered outside a run.)
-- CreateIndex
CREATE UNIQUE INDEX "model_versions_model_id_pipeline_run_id_key" ON "model_versions"("model_id", "pipeline_run_id");
