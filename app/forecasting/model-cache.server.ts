/**
 * Stored models by version id, parsed once: versions never change, so batch and ad-hoc forecasts
 * share one parse per version, and the model threads key their loaded Prophet by the same name.
 */
import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { StoredModel } from "../model/config.js";
import type { Database } from "../platform/db.server.js";
import { versionParams } from "../registry/versions.server.js";

// Versions are immutable, so their parsed models can be kept; the production lookup itself is not
// cached (a promote on another replica must take effect at once). Per database: ids repeat across
// databases (tests open several in one process).
interface ModelCache {
  /** Names this database in the model threads' cache keys. */
  key: string;
  models: LRUCache<number, StoredModel>;
}
const modelCaches = new WeakMap<Database, ModelCache>();

/** The model of a version, and the key naming it for good in the model threads' caches. */
export async function storedModel(db: Database, versionId: number): Promise<{ model: StoredModel; key: string }> {
  let cache = modelCaches.get(db);
  if (!cache) {
    cache = { key: randomUUID(), models: new LRUCache({ max: 2048 }) };
    modelCaches.set(db, cache);
  }
  let model = cache.models.get(versionId);
  if (!model) {
    const params = await versionParams(db, versionId);
    if (!params) throw new Error(`model version ${versionId} has no params`);
    model = params as StoredModel;
    cache.models.set(versionId, model);
  }
  return { model, key: `${cache.key}:${versionId}` };
}
