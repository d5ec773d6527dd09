-- The last retrain asked for per series through the native API or the store page, and the job it
-- started: another within RETRAIN_COOLDOWN_S is refused (429), whichever replica it reaches. One row
-- per series at most; the claim is one atomic upsert (app/training/retrain-cooldown.server.ts).
-- CreateTable
CREATE TABLE "retrain_cooldowns" (
    "store" INTEGER NOT NULL,
    "productname" VARCHAR(100) NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "job_id" VARCHAR(100),

    CONSTRAINT "retrain_cooldowns_pkey" PRIMARY KEY ("store","productname")
);
