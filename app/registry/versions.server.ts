/**
 * Reading the model registry: one registered model per (store, product), numbered versions, a stage
 * per version (exactly one in production), each with its training window, configuration, fitted
 * parameters (enough to predict again) and cross-validation metrics. Writes are in register.server.ts.
 */

import { DAY_MS, formatDay } from "../days.js";
import { ValidationError } from "../errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { Database } from "../platform/db.server.js";
import { MAX_INT32 } from "../rossmann.js";

export const MODEL_NAME_PREFIX = "prophet-retail-forecaster-store-";
export const STAGES = ["production", "archived"] as const;
export type Stage = (typeof STAGES)[number];

/** The registered model's name for a series: `prophet-retail-forecaster-store-{store}-{product}`. */
export function modelName(store: number, productname: string): string {
  return `${MODEL_NAME_PREFIX}${store}-${productname}`;
}

export interface CvMetricsInput {
  folds: unknown[];
  mean: { rmse: number; mape: number; mae: number; mdae: number; rmspe: number };
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

export const SUMMARY_SELECT = {
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

const fromDate = (d: Date): string => formatDay(Math.floor(d.getTime() / DAY_MS));

function toStage(stage: string): Stage {
  if ((STAGES as readonly string[]).includes(stage)) return stage as Stage;
  throw new Error(`model_versions.stage holds an unknown stage ${JSON.stringify(stage)}`);
}

export function toSummary(r: SummaryRow): VersionSummary {
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

/**
 * Many versions' params in one query, by id; an id with no version is absent. Without the fitted
 * trend over the training days (`params.trend`, a third of the JSON): predicting never reads it.
 */
export async function versionParamsMany(db: Database, ids: readonly number[]): Promise<Map<number, unknown>> {
  if (ids.length === 0) return new Map();
  const rows = await db.sql.query<{ id: number; params: unknown }>(
    `SELECT id, params #- '{params,trend}' AS params FROM model_versions WHERE id = ANY($1::int[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.params]));
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

/** What predicting from a production version needs to name it: its id, series, model name and number. */
export interface ProductionVersionKey {
  id: number;
  store: number;
  productname: string;
  name: string;
  version: number;
}

/**
 * Every production version's key, by store then product: one plain query (a batch over 11,150
 * series reads these in ~30 ms; the full summaries, CV folds included, took ~0.5 s).
 */
export async function listProductionVersionKeys(db: Database): Promise<ProductionVersionKey[]> {
  return db.sql.query<ProductionVersionKey>(
    `SELECT v.id, m.store, m.productname, m.name, v.version
       FROM model_versions v JOIN registered_models m ON m.id = v.model_id
      WHERE v.stage = 'production'
      ORDER BY m.store, m.productname`,
  );
}

/** How many models have a production version (for paging listProductionVersions), optionally by store prefix. */
export async function countProductionVersions(
  db: Database,
  opts: Pick<ProductionQuery, "storePrefix"> = {},
): Promise<number> {
  return db.prisma.modelVersion.count({ where: productionWhere(opts) });
}
