/**
 * What the version page and the compare view read of the registry: one version with its
 * configuration and fitted parameters (without the training data the stored model also carries),
 * and two versions of a series with the list of all its versions for the compare form.
 */
import type { Database } from "../platform/db.server.js";
import { type FittedParameters, fittedParameters, type StoredFold, storedFolds } from "./fitted-parameters.js";
import { listVersions, SUMMARY_SELECT, toSummary, type VersionSummary } from "./versions.server.js";

export interface VersionDetail extends VersionSummary {
  /** The options the version was trained with (the `config` column). */
  config: unknown;
  /** Null when the stored model is not a Prophet model this page can read. */
  fitted: FittedParameters | null;
  /** The CV folds in the stored shape (an unreadable fold is left out). */
  folds: StoredFold[];
}

/** One version of a series' model for its page, or null when the model or the version does not exist. */
export async function versionDetail(
  db: Database,
  key: { store: number; productname: string; version: number },
): Promise<VersionDetail | null> {
  const row = await db.prisma.modelVersion.findFirst({
    where: { version: key.version, model: { store: key.store, productname: key.productname } },
    select: { ...SUMMARY_SELECT, config: true },
  });
  if (!row) return null;
  // The training series (dates, sales, regressors) is most of the stored model and not a parameter.
  const params = await db.sql.query<{ params: unknown }>(
    "SELECT params #- '{training}' AS params FROM model_versions WHERE id = $1",
    [row.id],
  );
  const summary = toSummary(row);
  return {
    ...summary,
    config: row.config,
    fitted: fittedParameters(params[0]?.params ?? null),
    folds: storedFolds(summary.cv),
  };
}

export interface VersionPair {
  /** Every version of the series, newest first (empty: the series has no model). */
  versions: VersionSummary[];
  /** The asked versions, or null when the series has no such version. */
  a: VersionSummary | null;
  b: VersionSummary | null;
}

/** Two versions of a series (possibly the same) and all its versions, in one read. */
export async function versionPair(
  db: Database,
  key: { store: number; productname: string },
  a: number,
  b: number,
): Promise<VersionPair> {
  const versions = await listVersions(db, key.store, key.productname);
  const find = (n: number) => versions.find((v) => v.version === n) ?? null;
  return { versions, a: find(a), b: find(b) };
}
