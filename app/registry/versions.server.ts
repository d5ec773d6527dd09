/**
 * Model registry: one registered model per (store, product), numbered versions, and a stage per
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

import { DAY_MS, formatDay, parseDay } from "../days.js";
import { InvalidVersionError, NotFoundError, ValidationError } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import type { Database } from "../platform/db.server.js";
import { MAX_INT32, MAX_PRODUCT_NAME } from "../rossmann.js";

export const MODEL_NAME_PREFIX = "prophet-retail-forecaster-store-";
export const STAGES = ["production", "archived"] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Registry transactions are a handful of short statements, but may queue behind others (see above):
 * maxWait covers the wait for PGlite's connection or a pooled one, timeout the wait for the row lock.
 */
const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 } as const;

/** The registered model's name for a series: `prophet-retail-forecaster-store-{store}-{product}`. */
export function modelName(store: number, productname: string): string {
  return `${MODEL_NAME_PREFIX}${store}-${productname}`;
}

export interface CvMetricsInput {
  folds: unknown[];
  mean: { rmse: number; mape: number; mae: number; mdae: number; rmspe: number };
}

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
}

export interface VersionSummary {
  id: number;
  modelId: number;
  name: string;
  store: number;
  productname: string;
  version: number;
  stage: Stage;
  trainStart: string;
  trainEnd: string;
  trainRows: number;
  cv: CvMetricsInput | null;
  cvRmspe: number | null;
  cvRmse: number | null;
  cvMape: number | null;
  cvMae: number | null;
  cvMdae: number | null;
  durationMs: number;
  pipelineRunId: number | null;
  createdAt: Date;
  /** When the version last became production (at registration, or by a promotion). */
  promotedAt: Date | null;
}

export interface VersionWithModel extends VersionSummary {
  config: unknown;
  params: unknown;
}

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

// ---------------------------------------------------------------------------------------------------
// Input checks. Everything is checked before the transaction starts, so a bad input never holds a lock.

function checkSeries(store: number, productname: string): void {
  if (!Number.isSafeInteger(store) || store < 0 || store > MAX_INT32) {
    throw new InvalidVersionError("store", `expected a non-negative integer, got ${String(store)}`);
  }
  if (typeof productname !== "string" || productname.length === 0 || productname.length > MAX_PRODUCT_NAME) {
    throw new InvalidVersionError("productname", `expected 1..${MAX_PRODUCT_NAME} characters`);
  }
}

function checkCount(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_INT32) {
    throw new InvalidVersionError(field, `expected a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function toDate(field: string, value: string): Date {
  const day = typeof value === "string" ? parseDay(value) : undefined;
  if (day === undefined) throw new InvalidVersionError(field, `expected a YYYY-MM-DD date, got ${String(value)}`);
  // @db.Date columns: a Date at UTC midnight is that calendar day whatever the process time zone.
  return new Date(day * DAY_MS);
}

const fromDate = (d: Date): string => formatDay(Math.floor(d.getTime() / DAY_MS));

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value === "bigint" ? `${value}n (BigInt)` : `${String(value)} (${typeof value})`;
}

/**
 * Checks that `value` survives a trip through jsonb unchanged, and returns it as Prisma input.
 * JSON.stringify would quietly turn NaN into null, a Float64Array into {"0": ...} and a Date into a
 * string, and the model would come back different from what was fitted; here those are errors.
 * Undefined object properties are left out, as JSON does.
 */
function checkJson(field: string, value: unknown, ancestors: Set<object> = new Set()): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new InvalidVersionError(field, `JSON has no ${value}`);
      return;
    case "object": {
      if (value === null) return;
      if (ancestors.has(value)) throw new InvalidVersionError(field, "circular reference");
      ancestors.add(value);
      if (Array.isArray(value)) {
        value.forEach((v, i) => {
          checkJson(`${field}[${i}]`, v, ancestors);
        });
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw new InvalidVersionError(field, `expected plain JSON, got ${describeValue(value)}`);
        }
        for (const [k, v] of Object.entries(value)) {
          if (v !== undefined) checkJson(`${field}.${k}`, v, ancestors);
        }
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw new InvalidVersionError(field, `not JSON-serializable: ${describeValue(value)}`);
  }
}

function jsonInput(field: string, value: unknown): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  if (value === undefined) throw new InvalidVersionError(field, "missing");
  checkJson(field, value);
  // A JSON null in a NOT NULL jsonb column is Prisma.JsonNull (a bare null means SQL NULL).
  return value === null ? Prisma.JsonNull : (value as Prisma.InputJsonValue);
}

interface CheckedCv {
  json: Prisma.InputJsonValue | typeof Prisma.DbNull;
  rmse: number | null;
  mape: number | null;
  mae: number | null;
  mdae: number | null;
  rmspe: number | null;
}

function checkCv(cv: CvMetricsInput | null): CheckedCv {
  if (cv === null) return { json: Prisma.DbNull, rmse: null, mape: null, mae: null, mdae: null, rmspe: null };
  if (typeof cv !== "object" || !Array.isArray(cv.folds) || typeof cv.mean !== "object" || cv.mean === null) {
    throw new InvalidVersionError("cv", "expected { folds: [...], mean: {...} } or null");
  }
  const metric = (k: keyof CvMetricsInput["mean"]): number => {
    const v = cv.mean[k];
    // A metric of Infinity (e.g. RMSPE over zero-sales days) would not survive JSON: refuse it here.
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidVersionError(`cv.mean.${k}`, `expected a finite number, got ${describeValue(v)}`);
    }
    return v;
  };
  const mean = { rmse: metric("rmse"), mape: metric("mape"), mae: metric("mae"), mdae: metric("mdae") };
  const rmspe = metric("rmspe");
  checkJson("cv", cv);
  return { json: cv as unknown as Prisma.InputJsonValue, ...mean, rmspe };
}

// ---------------------------------------------------------------------------------------------------
// Rows to summaries.

const SUMMARY_SELECT = {
  id: true,
  model_id: true,
  version: true,
  stage: true,
  train_start: true,
  train_end: true,
  train_rows: true,
  cv_metrics: true,
  cv_rmse: true,
  cv_mape: true,
  cv_mae: true,
  cv_mdae: true,
  cv_rmspe: true,
  duration_ms: true,
  pipeline_run_id: true,
  created_at: true,
  promoted_at: true,
  model: { select: { name: true, store: true, productname: true } },
} satisfies Prisma.ModelVersionSelect;

const FULL_SELECT = { ...SUMMARY_SELECT, config: true, params: true } satisfies Prisma.ModelVersionSelect;

type SummaryRow = Prisma.ModelVersionGetPayload<{ select: typeof SUMMARY_SELECT }>;
type FullRow = Prisma.ModelVersionGetPayload<{ select: typeof FULL_SELECT }>;

function toStage(stage: string): Stage {
  if ((STAGES as readonly string[]).includes(stage)) return stage as Stage;
  throw new Error(`model_versions.stage holds an unknown stage ${JSON.stringify(stage)}`);
}

function toSummary(r: SummaryRow): VersionSummary {
  return {
    id: r.id,
    modelId: r.model_id,
    name: r.model.name,
    store: r.model.store,
    productname: r.model.productname,
    version: r.version,
    stage: toStage(r.stage),
    trainStart: fromDate(r.train_start),
    trainEnd: fromDate(r.train_end),
    trainRows: r.train_rows,
    cv: (r.cv_metrics ?? null) as CvMetricsInput | null,
    cvRmspe: r.cv_rmspe,
    cvRmse: r.cv_rmse,
    cvMape: r.cv_mape,
    cvMae: r.cv_mae,
    cvMdae: r.cv_mdae,
    durationMs: r.duration_ms,
    pipelineRunId: r.pipeline_run_id,
    createdAt: r.created_at,
    promotedAt: r.promoted_at,
  };
}

const toFull = (r: FullRow): VersionWithModel => ({ ...toSummary(r), config: r.config, params: r.params });

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
 * transaction.
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
    await archiveProduction(tx, modelId);
    const row = await tx.modelVersion.create({
      data: {
        model_id: modelId,
        version: (max._max.version ?? 0) + 1,
        stage: "production",
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
        promoted_at: now,
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

/** The series' production version with its config and params (what predicting needs), or null. */
export async function productionVersion(
  db: Database,
  store: number,
  productname: string,
): Promise<VersionWithModel | null> {
  const row = await db.prisma.modelVersion.findFirst({
    where: { stage: "production", model: { store, productname } },
    select: FULL_SELECT,
  });
  return row ? toFull(row) : null;
}

/** A version's params (the stored model) by id, or null. Versions never change once registered. */
export async function versionParams(db: Database, id: number): Promise<unknown> {
  const rows = await db.sql.query<{ params: unknown }>("SELECT params FROM model_versions WHERE id = $1", [id]);
  return rows[0]?.params ?? null;
}

/** One version of the series' model with config and params, or null. */
export async function getVersion(
  db: Database,
  store: number,
  productname: string,
  version: number,
): Promise<VersionWithModel | null> {
  const row = await db.prisma.modelVersion.findFirst({
    where: { version, model: { store, productname } },
    select: FULL_SELECT,
  });
  return row ? toFull(row) : null;
}

/** Every version of the series' model, newest first (empty when the series has no model). */
export async function listVersions(db: Database, store: number, productname: string): Promise<VersionSummary[]> {
  const rows = await db.prisma.modelVersion.findMany({
    where: { model: { store, productname } },
    orderBy: { version: "desc" },
    select: SUMMARY_SELECT,
  });
  return rows.map(toSummary);
}

/** Filters and order of listProductionVersions / countProductionVersions. */
export interface ProductionQuery {
  /** Only stores whose number starts with these digits (262 matches 262, 2620..2629, ...). */
  storePrefix?: string;
  /** `store` (default): by store then product; `rmspe`: worst cross-validation RMSPE first (none last). */
  sort?: "store" | "rmspe";
  limit?: number;
  offset?: number;
}

/**
 * A store-number prefix as ranges of store numbers (26: 26, 260..269, 2600..2699, ...), so the
 * filter stays an indexable range condition instead of a text match on every row.
 */
export function storePrefixRanges(prefix: string): { gte: number; lte: number }[] {
  if (!/^\d{1,10}$/.test(prefix)) throw new ValidationError("storePrefix", "storePrefix: expected 1 to 10 digits");
  // Store numbers are positive and written without leading zeros: "0..." matches none.
  if (prefix.startsWith("0")) return [];
  const base = Number(prefix);
  const ranges: { gte: number; lte: number }[] = [];
  for (let scale = 1; base * scale <= MAX_INT32; scale *= 10) {
    ranges.push({ gte: base * scale, lte: Math.min(MAX_INT32, (base + 1) * scale - 1) });
  }
  return ranges;
}

function productionWhere(q: ProductionQuery): Prisma.ModelVersionWhereInput {
  if (q.storePrefix === undefined) return { stage: "production" };
  const ranges = storePrefixRanges(q.storePrefix);
  // No match possible: an empty range keeps the query's shape.
  const or = ranges.length > 0 ? ranges.map((r) => ({ store: r })) : [{ store: { lt: 0 } }];
  return { stage: "production", model: { OR: or } };
}

/** The production version of every model (or those matching `storePrefix`), a page at a time. */
export async function listProductionVersions(db: Database, opts: ProductionQuery = {}): Promise<VersionSummary[]> {
  for (const field of ["limit", "offset"] as const) {
    const value = opts[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new ValidationError(field, `${field}: expected a non-negative integer, got ${String(value)}`);
    }
  }
  const byStore: Prisma.ModelVersionOrderByWithRelationInput[] = [
    { model: { store: "asc" } },
    { model: { productname: "asc" } },
  ];
  const rows = await db.prisma.modelVersion.findMany({
    where: productionWhere(opts),
    orderBy: opts.sort === "rmspe" ? [{ cv_rmspe: { sort: "desc", nulls: "last" } }, ...byStore] : byStore,
    select: SUMMARY_SELECT,
    skip: opts.offset ?? 0,
    ...(opts.limit === undefined ? {} : { take: opts.limit }),
  });
  return rows.map(toSummary);
}

/** How many models have a production version (for paging listProductionVersions), optionally by store prefix. */
export async function countProductionVersions(
  db: Database,
  opts: Pick<ProductionQuery, "storePrefix"> = {},
): Promise<number> {
  return db.prisma.modelVersion.count({ where: productionWhere(opts) });
}
