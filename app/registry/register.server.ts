/**
 * Writing to the model registry: one registered model per (store, product), numbered versions, and a stage per
 * version. Exactly one version of a model is in production; registering or promoting a version
 * archives the previous one in the same transaction.
 *
 * Concurrency: every write locks the model row (SELECT ... FOR UPDATE) first, so writers of the
 * same model serialize and the next version number (max + 1) is computed under the lock. Writers of
 * different models do not wait for each other on Postgres. The partial unique index
 * model_versions_one_production_key backs this up: a bug here fails loudly instead of leaving two
 * production versions.
 *
 * PGlite is one connection. PGlite itself serializes transactions: a mutex around BEGIN..COMMIT
 * that every other query waits on too, so transactions cannot interleave and the row lock is
 * uncontended there. That queue is invisible to Prisma, though: time spent waiting in it counts
 * against the interactive transaction's `maxWait` (default 2 s), so a registration queued behind a
 * burst of others, or behind any transaction longer than 2 s, failed with "Unable to start a
 * transaction in the given time". On Postgres the same happens when the pool's connections are all
 * held by transactions queued on the row lock. Hence the generous TX_OPTIONS below. (An in-process
 * queue in front of Prisma was tried and dropped: it adds nothing to PGlite's own serialization,
 * and behind a long transaction it would make each queued caller wait out its own maxWait in turn.)
 * Never query through `db.prisma`/`db.sql` inside a registry transaction: on PGlite that waits for
 * the mutex the transaction holds, and hangs until the transaction times out.
 */

import { InvalidVersionError, NotFoundError } from "../errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { Database } from "../platform/db.server.js";
import { checkCount, checkCv, checkSeries, describeValue, jsonInput, toDate } from "./checks.server.js";
import { type CvMetricsInput, modelName, SUMMARY_SELECT, toSummary, type VersionSummary } from "./versions.server.js";

/**
 * The series already has a version from this pipeline run (two workers of one train-all met on a
 * series, e.g. after a lease ran out): nothing was registered.
 */
export class AlreadyInRunError extends Error {
  override name = "AlreadyInRunError";
  constructor(
    readonly model: string,
    readonly pipelineRunId: number,
    readonly version: number,
  ) {
    super(`${model} already has version ${version} from pipeline run ${pipelineRunId}`);
  }
}

/**
 * Registry transactions are a handful of short statements, but may queue behind others (see above):
 * maxWait covers the wait for PGlite's connection or a pooled one, timeout the wait for the row lock.
 */
const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 } as const;

export interface NewVersion {
  store: number;
  productname: string;
  /** JSON: the options the model was fitted with. */
  config: unknown;
  /** JSON: the stored model, opaque here. */
  params: unknown;
  /** YYYY-MM-DD */
  trainStart: string;
  /** YYYY-MM-DD */
  trainEnd: string;
  trainRows: number;
  cv: CvMetricsInput | null;
  durationMs: number;
  pipelineRunId?: number | null;
  /**
   * false: register the version archived, leaving production alone (an imported version waiting
   * for a promotion); the first version of a model goes to production all the same. Default true.
   */
  production?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Transactions.

type Tx = Prisma.TransactionClient;

/** Locks the model row for the rest of the transaction; undefined when the series has no model. */
async function lockModel(tx: Tx, store: number, productname: string): Promise<number | undefined> {
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM registered_models WHERE store = ${store} AND productname = ${productname} FOR UPDATE`;
  return rows[0]?.id;
}

/**
 * The database clock once the lock is held: promotion times then follow the order in which the
 * writers got the lock (now() would be the transaction's start, before the wait).
 */
async function lockedNow(tx: Tx): Promise<Date> {
  const rows = await tx.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
  return rows[0]!.now;
}

async function archiveProduction(tx: Tx, modelId: number): Promise<void> {
  // Before the new production row is written: the partial unique index allows one at a time.
  await tx.modelVersion.updateMany({
    where: { model_id: modelId, stage: "production" },
    data: { stage: "archived" },
  });
}

/**
 * Registers a fitted model as the next version of its series' model (created when missing). The
 * new version goes to production and the previous production version is archived, in one
 * transaction (unless `production: false`, see NewVersion).
 */
export async function registerVersion(db: Database, v: NewVersion): Promise<VersionSummary> {
  checkSeries(v.store, v.productname);
  const trainStart = toDate("trainStart", v.trainStart);
  const trainEnd = toDate("trainEnd", v.trainEnd);
  if (trainEnd < trainStart) {
    throw new InvalidVersionError("trainEnd", `${v.trainEnd} is before trainStart ${v.trainStart}`);
  }
  const trainRows = checkCount("trainRows", v.trainRows);
  if (typeof v.durationMs !== "number" || !Number.isFinite(v.durationMs)) {
    throw new InvalidVersionError("durationMs", `expected a number, got ${describeValue(v.durationMs)}`);
  }
  const durationMs = checkCount("durationMs", Math.round(v.durationMs));
  const pipelineRunId = v.pipelineRunId ?? null;
  if (pipelineRunId !== null) checkCount("pipelineRunId", pipelineRunId);
  const config = jsonInput("config", v.config);
  const params = jsonInput("params", v.params);
  const cv = checkCv(v.cv);
  const name = modelName(v.store, v.productname);

  return db.prisma.$transaction(async (tx) => {
    // Two first registrations of a series may race: ON CONFLICT makes the loser wait for the
    // winner's commit and then do nothing, and both go on to lock the same row. Looking first
    // keeps the common case (the model exists) from burning a sequence value per registration.
    let modelId = await lockModel(tx, v.store, v.productname);
    if (modelId === undefined) {
      await tx.$executeRaw`
        INSERT INTO registered_models (name, store, productname)
        VALUES (${name}, ${v.store}, ${v.productname})
        ON CONFLICT DO NOTHING`;
      modelId = await lockModel(tx, v.store, v.productname);
    }
    if (modelId === undefined) throw new Error(`registered model ${name} could be neither created nor found`);
    if (pipelineRunId !== null) {
      // Under the model's lock, so exact: a run trains a series once (the unique index
      // model_versions_model_id_pipeline_run_id_key backs this up).
      const same = await tx.modelVersion.findFirst({
        where: { model_id: modelId, pipeline_run_id: pipelineRunId },
        select: { version: true },
      });
      if (same) throw new AlreadyInRunError(name, pipelineRunId, same.version);
    }
    const now = await lockedNow(tx);
    const max = await tx.modelVersion.aggregate({ where: { model_id: modelId }, _max: { version: true } });
    const production =
      v.production !== false ||
      (await tx.modelVersion.count({ where: { model_id: modelId, stage: "production" } })) === 0;
    if (production) await archiveProduction(tx, modelId);
    const row = await tx.modelVersion.create({
      data: {
        model_id: modelId,
        version: (max._max.version ?? 0) + 1,
        stage: production ? "production" : "archived",
        config,
        params,
        train_start: trainStart,
        train_end: trainEnd,
        train_rows: trainRows,
        cv_metrics: cv.json,
        cv_rmse: cv.rmse,
        cv_mape: cv.mape,
        cv_mae: cv.mae,
        cv_mdae: cv.mdae,
        cv_rmspe: cv.rmspe,
        duration_ms: durationMs,
        pipeline_run_id: pipelineRunId,
        created_at: now,
        promoted_at: production ? now : null,
      },
      select: SUMMARY_SELECT,
    });
    await tx.registeredModel.update({ where: { id: modelId }, data: { updated_at: now } });
    return toSummary(row);
  }, TX_OPTIONS);
}

/**
 * Puts `version` of the series' model in production (a rollback when it is older) and archives
 * the current production version, in one transaction. Promoting the production version changes
 * nothing.
 */
export async function promoteVersion(
  db: Database,
  store: number,
  productname: string,
  version: number,
): Promise<VersionSummary> {
  checkSeries(store, productname);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new NotFoundError("version", `no model version ${String(version)} for store ${store} ${productname}`);
  }
  return db.prisma.$transaction(async (tx) => {
    const modelId = await lockModel(tx, store, productname);
    if (modelId === undefined) {
      throw new NotFoundError("model", `no registered model for store ${store} ${productname}`);
    }
    const target = await tx.modelVersion.findUnique({
      where: { model_id_version: { model_id: modelId, version } },
      select: SUMMARY_SELECT,
    });
    if (!target) throw new NotFoundError("version", `no model version ${version} for store ${store} ${productname}`);
    if (target.stage === "production") return toSummary(target);
    const now = await lockedNow(tx);
    await archiveProduction(tx, modelId);
    const row = await tx.modelVersion.update({
      where: { id: target.id },
      data: { stage: "production", promoted_at: now },
      select: SUMMARY_SELECT,
    });
    await tx.registeredModel.update({ where: { id: modelId }, data: { updated_at: now } });
    return toSummary(row);
  }, TX_OPTIONS);
}
