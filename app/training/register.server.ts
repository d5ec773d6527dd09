/** A fitted model into the registry: the version that becomes production, with its CV metrics and run. */

import type { TrainResult } from "../model/config.js";
import type { Database } from "../platform/db.server.js";
import { registerVersion } from "../registry/register.server.js";
import type { VersionSummary } from "../registry/versions.server.js";
import type { SeriesKey } from "../series.js";

export async function registerTrained(
  db: Database,
  key: SeriesKey,
  result: TrainResult,
  pipelineRunId: number | null,
): Promise<VersionSummary> {
  return registerVersion(db, {
    store: key.store,
    productname: key.productname,
    config: result.model.config,
    params: result.model,
    trainStart: result.trainStart,
    trainEnd: result.trainEnd,
    trainRows: result.trainRows,
    cv: result.cv,
    durationMs: Math.round(result.durationMs),
    pipelineRunId,
  });
}
