/** A series' production version as a card (the store page): version, training window, CV metrics, without the fitted parameters. */
import type { Database } from "../platform/db.server.js";
import type { SeriesKey } from "../series.js";

export interface ModelCard {
  name: string;
  version: number;
  versions: number;
  trainedAt: Date;
  promotedAt: Date | null;
  trainStart: string;
  trainEnd: string;
  trainRows: number;
  durationMs: number;
  folds: number | null;
  cv: { rmspe: number | null; rmse: number | null; mape: number | null; mae: number | null; mdae: number | null };
}

/** The production version's card, without its (large) fitted parameters; null before the first training. */
export async function modelCard(db: Database, key: SeriesKey): Promise<ModelCard | null> {
  const [row] = await db.sql.query<{
    name: string;
    version: number;
    versions: number;
    created_at: Date;
    promoted_at: Date | null;
    train_start: string;
    train_end: string;
    train_rows: number;
    duration_ms: number;
    folds: number | null;
    cv_rmspe: number | null;
    cv_rmse: number | null;
    cv_mape: number | null;
    cv_mae: number | null;
    cv_mdae: number | null;
  }>(
    `SELECT m.name, v.version, (SELECT count(*) FROM model_versions a WHERE a.model_id = m.id)::int AS versions,
            v.created_at, v.promoted_at, v.train_start::text AS train_start, v.train_end::text AS train_end,
            v.train_rows, v.duration_ms,
            CASE WHEN jsonb_typeof(v.cv_metrics -> 'folds') = 'array'
                 THEN jsonb_array_length(v.cv_metrics -> 'folds') END AS folds,
            v.cv_rmspe, v.cv_rmse, v.cv_mape, v.cv_mae, v.cv_mdae
       FROM registered_models m JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
      WHERE m.store = $1 AND m.productname = $2`,
    [key.store, key.productname],
  );
  if (!row) return null;
  return {
    name: row.name,
    version: row.version,
    versions: row.versions,
    trainedAt: new Date(row.created_at),
    promotedAt: row.promoted_at ? new Date(row.promoted_at) : null,
    trainStart: row.train_start,
    trainEnd: row.train_end,
    trainRows: row.train_rows,
    durationMs: row.duration_ms,
    folds: row.folds,
    cv: { rmspe: row.cv_rmspe, rmse: row.cv_rmse, mape: row.cv_mape, mae: row.cv_mae, mdae: row.cv_mdae },
  };
}
