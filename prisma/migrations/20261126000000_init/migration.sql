-- CreateTable
CREATE TABLE "rossman_sales" (
    "id" SERIAL NOT NULL,
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "date" DATE NOT NULL,
    "dayofweek" SMALLINT NOT NULL,
    "sales" INTEGER NOT NULL,
    "customers" INTEGER NOT NULL,
    "open" SMALLINT NOT NULL,
    "promo" SMALLINT NOT NULL,
    "stateholiday" VARCHAR(1) NOT NULL,
    "schoolholiday" SMALLINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rossman_sales_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stores" (
    "store" INTEGER NOT NULL,
    "store_type" VARCHAR(1),
    "assortment" VARCHAR(1),

    CONSTRAINT "stores_pkey" PRIMARY KEY ("store")
);

-- CreateTable
CREATE TABLE "store_calendar" (
    "id" SERIAL NOT NULL,
    "store" INTEGER NOT NULL,
    "date" DATE NOT NULL,
    "dayofweek" SMALLINT NOT NULL,
    "open" SMALLINT NOT NULL,
    "promo" SMALLINT NOT NULL,
    "stateholiday" VARCHAR(1) NOT NULL,
    "schoolholiday" SMALLINT NOT NULL,

    CONSTRAINT "store_calendar_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "forecast_results" (
    "id" SERIAL NOT NULL,
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "forecast_date" DATE NOT NULL,
    "forecast_sale" DOUBLE PRECISION NOT NULL,
    "lower_ci" DOUBLE PRECISION NOT NULL,
    "upper_ci" DOUBLE PRECISION NOT NULL,
    "model_name" VARCHAR(200) NOT NULL,
    "model_version" INTEGER NOT NULL,
    "created_on" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pipeline_run_id" INTEGER,

    CONSTRAINT "forecast_results_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registered_models" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registered_models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_versions" (
    "id" SERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "stage" VARCHAR(20) NOT NULL,
    "config" JSONB NOT NULL,
    "params" JSONB NOT NULL,
    "train_start" DATE NOT NULL,
    "train_end" DATE NOT NULL,
    "train_rows" INTEGER NOT NULL,
    "cv_metrics" JSONB,
    "cv_rmse" DOUBLE PRECISION,
    "cv_mape" DOUBLE PRECISION,
    "cv_mae" DOUBLE PRECISION,
    "cv_mdae" DOUBLE PRECISION,
    "cv_rmspe" DOUBLE PRECISION,
    "duration_ms" INTEGER NOT NULL,
    "pipeline_run_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "promoted_at" TIMESTAMPTZ(3),

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pipeline_runs" (
    "id" SERIAL NOT NULL,
    "kind" VARCHAR(40) NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "params" JSONB,
    "counts" JSONB,
    "steps" JSONB,
    "progress_done" INTEGER NOT NULL DEFAULT 0,
    "progress_total" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "job_id" VARCHAR(100),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "pipeline_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stream_rejects" (
    "id" SERIAL NOT NULL,
    "payload" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "topic" VARCHAR(255),
    "partition" INTEGER,
    "offset" VARCHAR(30),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stream_rejects_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rossman_sales_date_idx" ON "rossman_sales"("date");

-- CreateIndex
CREATE UNIQUE INDEX "rossman_sales_store_productname_date_key" ON "rossman_sales"("store", "productname", "date");

-- CreateIndex
CREATE UNIQUE INDEX "store_calendar_store_date_key" ON "store_calendar"("store", "date");

-- CreateIndex
CREATE INDEX "forecast_results_series_created_idx" ON "forecast_results"("store", "productname", "created_on");

-- CreateIndex
CREATE UNIQUE INDEX "forecast_results_series_date_version_key" ON "forecast_results"("store", "productname", "forecast_date", "model_version");

-- CreateIndex
CREATE UNIQUE INDEX "registered_models_name_key" ON "registered_models"("name");

-- CreateIndex
CREATE UNIQUE INDEX "registered_models_store_productname_key" ON "registered_models"("store", "productname");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_model_id_version_key" ON "model_versions"("model_id", "version");

-- CreateIndex
CREATE INDEX "pipeline_runs_kind_created_at_idx" ON "pipeline_runs"("kind", "created_at");

-- CreateIndex
CREATE INDEX "stream_rejects_received_at_idx" ON "stream_rejects"("received_at");

-- AddForeignKey
ALTER TABLE "forecast_results" ADD CONSTRAINT "forecast_results_pipeline_run_id_fkey" FOREIGN KEY ("pipeline_run_id") REFERENCES "pipeline_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_pipeline_run_id_fkey" FOREIGN KEY ("pipeline_run_id") REFERENCES "pipeline_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Not expressible in schema.prisma: at most one production version per model (the registry
-- relies on it when promotions race).
CREATE UNIQUE INDEX "model_versions_one_production_key" ON "model_versions"("model_id") WHERE "stage" = 'production';
