/**
 * Export and import of a model version (the document is model-document.ts): reading a version as a
 * document, and registering a document as a new version of its series through registerVersion, so
 * an import gets the same checks, lock and numbering as a training run.
 */
import { InvalidVersionError, NotFoundError } from "../errors.js";
import type { StoredModel } from "../model/config.js";
import { compilePredictor } from "../model/predictor.js";
import type { Database } from "../platform/db.server.js";
import { type ExportSource, type ModelDocument, toModelDocument } from "./model-document.js";
import { registerVersion } from "./register.server.js";
import { getVersion, type VersionSummary } from "./versions.server.js";

/** The document of one version, or a NotFoundError naming the model or the version. */
export async function exportVersion(
  db: Database,
  key: { store: number; productname: string; version: number },
  source: ExportSource,
  now: Date = new Date(),
): Promise<ModelDocument> {
  const v = await getVersion(db, key.store, key.productname, key.version);
  if (!v) {
    const what = `store ${key.store} ${key.productname}`;
    throw new NotFoundError("version", `no model version ${key.version} for ${what}`);
  }
  return toModelDocument(v, source, now);
}

/**
 * Registers a parsed document as the next version of its series (the model is created when
 * missing). With `promote` it goes to production; without, it is registered archived unless the
 * series has no production version yet. A stored model the predictor cannot compile is refused
 * (field `params`) before anything is written.
 */
export async function importModelDocument(
  db: Database,
  doc: ModelDocument,
  opts: { promote: boolean },
): Promise<VersionSummary> {
  try {
    compilePredictor(doc.params as unknown as StoredModel);
  } catch (err) {
    throw new InvalidVersionError("params", (err as Error).message);
  }
  return registerVersion(db, {
    store: doc.series.store,
    productname: doc.series.productname,
    config: doc.config,
    params: doc.params,
    trainStart: doc.training.train_start,
    trainEnd: doc.training.train_end,
    trainRows: doc.training.train_rows,
    cv: doc.cv,
    durationMs: doc.training.duration_ms,
    production: opts.promote,
  });
}
