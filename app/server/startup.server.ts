import path from "node:path";
import type { Logger } from "pino";
import { activeAdmins, ensureAdmin } from "../auth/accounts.server.js";
import { signingKey } from "../auth/keys.server.js";
import { formatDay, todayDay } from "../days.js";
import { scoreDays, scoreSafely } from "../monitoring/scoring.server.js";
import { type Config, ConfigError } from "../platform/config.server.js";
import { type Database, openDatabase } from "../platform/db.server.js";
import { writeGeneratedData } from "../sales/generator/csv-files.server.js";
import { STREAM_DAYS } from "../sales/generator/options.js";
import { injectionEvents, parseInjections } from "../sales/generator/store-events.js";
import { historyIsEmpty, loadHistory } from "../sales/history/load.server.js";
import type { LoadReport } from "../sales/history/load-report.js";

/** Opens (and migrates) the configured database: Postgres with DATABASE_URL, PGlite otherwise. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });
}

/**
 * Writes the generated data set the configuration describes (GENERATE_*) to $DATA_DIR/generated:
 * the history, the stream's newest days, the calendar and the stores. Deterministic for a day.
 */
export function writeConfiguredData(config: Config) {
  return writeGeneratedData({
    stores: config.GENERATE_STORES,
    products: config.GENERATE_PRODUCTS,
    days: config.GENERATE_DAYS,
    // The newest STREAM_DAYS are held out for the live stream; ending them in the future puts
    // the history's last day at yesterday, so the loader shifts nothing and weekdays stay real.
    endDate: formatDay(todayDay() + STREAM_DAYS - 1),
    seed: config.GENERATE_SEED,
    ...(config.GENERATE_EVENTS
      ? { events: injectionEvents(parseInjections(config.GENERATE_EVENTS, todayDay()), config.GENERATE_STORES) }
      : {}),
    outDir: path.resolve(config.DATA_DIR, "generated"),
  });
}

/**
 * First start on an empty database: load the user's history file if configured, otherwise
 * generate the deterministic data set and load that, so the system is useful at once.
 * Returns null when there was history already (or auto-loading is off).
 */
export async function loadHistoryIfEmpty(db: Database, config: Config, log: Logger): Promise<LoadReport | null> {
  if (!config.AUTO_LOAD_HISTORY || !(await historyIsEmpty(db))) return null;
  let files: { csv: string; calendarCsv?: string; storesCsv?: string };
  if (config.HISTORY_CSV) {
    files = { csv: config.HISTORY_CSV, calendarCsv: config.CALENDAR_CSV, storesCsv: config.STORES_CSV };
  } else {
    log.info(
      { stores: config.GENERATE_STORES, products: config.GENERATE_PRODUCTS, days: config.GENERATE_DAYS },
      "empty database: generating Rossmann-format history",
    );
    const generated = await writeConfiguredData(config);
    files = { csv: generated.historyCsv, calendarCsv: generated.calendarCsv, storesCsv: generated.storesCsv };
  }
  log.info({ csv: files.csv }, "loading history");
  let lastLogged = 0;
  const report = await loadHistory(db, {
    ...files,
    onProgress: ({ stage, done, total }) => {
      const now = Date.now();
      if (now - lastLogged < 2000) return;
      lastLogged = now;
      log.info({ stage, done, total }, "loading history");
    },
  });
  log.info(
    {
      rowsLoaded: report.rowsLoaded,
      rowsSkipped: report.rowsSkipped,
      stores: report.stores,
      from: report.from,
      to: report.to,
      seconds: report.seconds,
    },
    "history loaded",
  );
  for (const bad of report.badRows.slice(0, 20)) log.warn({ line: bad.line, reason: bad.reason }, "skipped CSV row");
  if (report.rowsLoaded > 0) await scoreSafely(log, "history load", () => scoreDays(db, report.from, report.to));
  return report;
}

/**
 * Auth at start (docs/decisions/0021): the key that signs cookies and CSRF tokens, ADMIN_PASSWORD's
 * admin created or reset, and with auth on a refusal to start when no admin could sign in.
 */
export async function prepareAuth(db: Database, config: Config, mode: "on" | "off", log: Logger): Promise<string> {
  const key = await signingKey(db, config.SESSION_SECRET);
  if (config.ADMIN_PASSWORD) {
    const done = await ensureAdmin(db, config.ADMIN_USER, config.ADMIN_PASSWORD);
    if (done !== "unchanged") log.info({ user: config.ADMIN_USER }, `auth: admin ${done} from ADMIN_PASSWORD`);
  }
  if (mode === "on" && (await activeAdmins(db)) === 0) {
    throw new ConfigError(
      `auth is on (HOST=${config.HOST}${config.AUTH ? `, AUTH=${config.AUTH}` : ""}) and no admin exists: ` +
        "set ADMIN_PASSWORD (at least 12 characters; ADMIN_USER names the account, admin by default)",
    );
  }
  if (mode === "off") log.warn("auth is off: anyone who can reach this address may do everything (AUTH=on to sign in)");
  return key;
}
