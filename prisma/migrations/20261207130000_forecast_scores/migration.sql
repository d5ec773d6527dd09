-- Realized accuracy (docs/decisions/0027): one row per series and day that has both an actual
-- (rossman_sales) and a forecast that was in production for it (forecast_results: the newest row
-- for that day created before the day began, else the newest created on the day itself). Written
-- by app/monitoring/scoring.server.ts as actuals arrive; a re-sent actual changes nothing, a
-- corrected one re-scores. No foreign key to forecast_results: retention may delete the forecast,
-- its score stays as the record of how it did.
-- CreateTable
CREATE TABLE "forecast_scores" (
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "date" DATE NOT NULL,
    "sales" INTEGER NOT NULL,
    "open" SMALLINT NOT NULL,
    "forecast_id" INTEGER NOT NULL,
    "forecast_created_on" TIMESTAMPTZ(3) NOT NULL,
    "forecast_sale" DOUBLE PRECISION NOT NULL,
    "lower_ci" DOUBLE PRECISION NOT NULL,
    "upper_ci" DOUBLE PRECISION NOT NULL,
    "model_name" VARCHAR(200) NOT NULL,
    "model_version" INTEGER NOT NULL,
    "cv_rmspe" DOUBLE PRECISION,
    "pct_error" DOUBLE PRECISION,
    "in_band" BOOLEAN,
    "mismatch" BOOLEAN NOT NULL,
    "scored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "forecast_scores_pkey" PRIMARY KEY ("store","productname","date")
);

-- CreateIndex
CREATE INDEX "forecast_scores_date_idx" ON "forecast_scores"("date");
