-- The daily anomaly scan (app/monitoring/anomalies.server.ts): one row per scan day with what was
-- scanned, and one row per store found behaving unlike its peers that day, with its score and why.
-- A scan of a day already scanned replaces that day's rows (one transaction), so a re-run is harmless.
-- CreateTable
CREATE TABLE "store_anomaly_runs" (
    "run_date" DATE NOT NULL,
    "window_days" INTEGER NOT NULL,
    "sensitivity" DOUBLE PRECISION NOT NULL,
    "stores_scanned" INTEGER NOT NULL,
    "anomalous" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "scanned_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "store_anomaly_runs_pkey" PRIMARY KEY ("run_date")
);

-- CreateTable
CREATE TABLE "store_anomalies" (
    "run_date" DATE NOT NULL,
    "store" INTEGER NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "reason" TEXT NOT NULL,
    "profile" JSONB NOT NULL,
    "peer_profile" JSONB NOT NULL,

    CONSTRAINT "store_anomalies_pkey" PRIMARY KEY ("run_date","store")
);

-- AddForeignKey
ALTER TABLE "store_anomalies" ADD CONSTRAINT "store_anomalies_run_date_fkey" FOREIGN KEY ("run_date") REFERENCES "store_anomaly_runs"("run_date") ON DELETE CASCADE ON UPDATE CASCADE;
