/**
 * Compiled predictors (app/model/predictor.ts) by version id, compiled once: versions never change,
 * so batch and ad-hoc forecasts share one read and one compile per version.
 */
import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { StoredModel } from "../model/config.js";
import { compilePredictor, type Predictor } from "../model/predictor.js";
import type { Database } from "../platform/db.server.js";
import { versionParams, versionParamsMany } from "../registry/versions.server.js";

/** About 1.5 kB each: every production version of 1,115 stores x 10 products twice over. */
const MAX_PREDICTORS = 25_000;

// Versions are immutable, so their predictors can be kept; the production lookup itself is not
// cached (a promote on another replica must take effect at once). Per database: ids repeat across
// databases (tests open several in one process).
interface PredictorCache {
  /** Names this database in keys that outlive a request (the ad-hoc answers). */
  key: string;
  predictors: LRUCache<number, Predictor>;
}
const caches = new WeakMap<Database, PredictorCache>();

function cacheOf(db: Database): PredictorCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = { key: randomUUID(), predictors: new LRUCache({ max: MAX_PREDICTORS }) };
    caches.set(db, cache);
  }
  return cache;
}

function compile(versionId: number, params: unknown): Predictor {
  if (!params) throw new Error(`model version ${versionId} has no params`);
  return compilePredictor(params as StoredModel);
}

/** A key naming a version of this database for good in this process (for what is kept per version). */
export const versionKey = (db: Database, versionId: number): string => `${cacheOf(db).key}:${versionId}`;

/** The predictor of a version, and its versionKey. */
export async function storedPredictor(db: Database, versionId: number): Promise<{ predictor: Predictor; key: string }> {
  const cache = cacheOf(db);
  let predictor = cache.predictors.get(versionId);
  if (!predictor) {
    predictor = compile(versionId, await versionParams(db, versionId));
    cache.predictors.set(versionId, predictor);
  }
  return { predictor, key: versionKey(db, versionId) };
}

/**
 * The predictors of many versions, reading every one not cached in one query. A version that has
 * no params or does not compile maps to its Error, so one bad version fails only its own series.
 */
export async function storedPredictors(
  db: Database,
  versionIds: readonly number[],
): Promise<Map<number, Predictor | Error>> {
  const cache = cacheOf(db);
  const out = new Map<number, Predictor | Error>();
  const missing: number[] = [];
  for (const id of versionIds) {
    const p = cache.predictors.get(id);
    if (p) out.set(id, p);
    else missing.push(id);
  }
  const unique = [...new Set(missing)];
  const params = await versionParamsMany(db, unique);
  for (const id of unique) {
    try {
      const p = compile(id, params.get(id));
      cache.predictors.set(id, p);
      out.set(id, p);
    } catch (err) {
      out.set(id, err instanceof Error ? err : new Error(String(err)));
    }
  }
  return out;
}
