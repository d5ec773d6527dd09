/** The production models at a glance, for the scrape-time gauges (docs/decisions/0007). */
import type { Database } from "../platform/db.server.js";
import { CV_ERROR_QUANTILES, type RegistrySummary } from "../platform/metrics.server.js";

/** One aggregate over the production versions (percentile_cont skips the versions without CV). */
export async function registrySummary(db: Pick<Database, "sql">): Promise<RegistrySummary> {
  const [row] = await db.sql.query<{
    models: number;
    validated: number;
    rmspe: (number | null)[] | null;
    mape: (number | null)[] | null;
    rmspe_max: number | null;
    mape_max: number | null;
  }>(
    `SELECT count(*)::int AS models, count(cv_metrics)::int AS validated,
            percentile_cont($1::float8[]) WITHIN GROUP (ORDER BY cv_rmspe) AS rmspe,
            percentile_cont($1::float8[]) WITHIN GROUP (ORDER BY cv_mape) AS mape,
            max(cv_rmspe) AS rmspe_max, max(cv_mape) AS mape_max
       FROM model_versions WHERE stage = 'production'`,
    [[...CV_ERROR_QUANTILES]],
  );
  const pairs = (values: (number | null)[] | null, max: number | null): [number, number][] => {
    if (max === null || !values) return [];
    const out: [number, number][] = CV_ERROR_QUANTILES.flatMap((q, i) => {
      const v = values[i];
      return v === null || v === undefined || !Number.isFinite(Number(v)) ? [] : [[q, Number(v)] as [number, number]];
    });
    return [...out, [1, Number(max)]];
  };
  return {
    models: row?.models ?? 0,
    validated: row?.validated ?? 0,
    rmspe: pairs(row?.rmspe ?? null, row?.rmspe_max ?? null),
    mape: pairs(row?.mape ?? null, row?.mape_max ?? null),
  };
}

/** Whether the registry answers a query now (the reference's health check asked MLflow the same). */
export async function registryAnswers(db: Pick<Database, "sql">): Promise<boolean> {
  try {
    await db.sql.query("SELECT 1 FROM registered_models LIMIT 1");
    return true;
  } catch {
    return false;
  }
}
