-- Drift (docs/decisions/0029): each series' latest drift state with its reasons, written by the
-- daily drift check (app/monitoring/drift-check.server.ts); and the automatic retrains the policy
-- asked for, with whether each helped (the "did it help" line) and whether it was rolled back.
-- CreateTable
CREATE TABLE "series_drift" (
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "state" VARCHAR(10) NOT NULL,
    "reasons" JSONB NOT NULL,
    "since" DATE,
    "realized_rmspe" DOUBLE PRECISION,
    "cv_rmspe" DOUBLE PRECISION,
    "days" INTEGER NOT NULL,
    "action" VARCHAR(20),
    "checked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "series_drift_pkey" PRIMARY KEY ("store","productname")
);

-- CreateIndex
CREATE INDEX "series_drift_state_idx" ON "series_drift"("state");

-- CreateTable
CREATE TABLE "auto_retrains" (
    "id" SERIAL NOT NULL,
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reasons" JSONB NOT NULL,
    "job_id" VARCHAR(200),
    "old_version" INTEGER,
    "new_version" INTEGER,
    "verdict" VARCHAR(10) NOT NULL DEFAULT 'pending',
    "before_rmspe" DOUBLE PRECISION,
    "after_rmspe" DOUBLE PRECISION,
    "judged_at" TIMESTAMPTZ(3),
    "rolled_back" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "auto_retrains_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "auto_retrains_series_idx" ON "auto_retrains"("store", "productname", "requested_at");

-- CreateIndex
CREATE INDEX "auto_retrains_verdict_idx" ON "auto_retrains"("verdict");
