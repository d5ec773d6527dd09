/**
 * `npm run model:import`: registers a model version exported by another storecast instance
 * (GET /models/:store/:product/versions/:v/export, format docs/model-export-format.md) as a new
 * version of that series on DATABASE_URL or the PGlite database in PGLITE_DIR.
 *
 *   npm run model:import -- FILE [--promote]
 *
 * Without --promote the version is registered archived (promote it on the model page or with
 * POST /api/models/:store/:product/versions/:v/promote), unless the series has no production
 * version yet. Exit code 0 when registered, 1 on an error, printed as one line naming the field.
 */
import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { recordAudit } from "../app/audit/log.server.js";
import type { Principal } from "../app/auth/principal.js";
import { RequestError } from "../app/errors.js";
import { ConfigError, loadConfig } from "../app/platform/config.server.js";
import { DatabaseUnreachableError, openDatabase } from "../app/platform/db.server.js";
import { MigrationError } from "../app/platform/migrate.server.js";
import { parseModelDocumentText } from "../app/registry/model-document.js";
import { importModelDocument } from "../app/registry/model-export.server.js";

/** The file named cannot be read. */
class FileError extends Error {
  override name = "FileError";
}

/** The audit log's name for this command. */
const IMPORT_PRINCIPAL: Principal = { kind: "system", id: "model-import", name: "npm run model:import", role: "admin" };

const program = new Command()
  .name("model:import")
  .argument("<file>", "a storecast-model/1 JSON document")
  .option("--promote", "put the imported version in production", false)
  .parse();
const file = program.args[0]!;
const opts = program.opts<{ promote: boolean }>();

async function main(): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new FileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Checked before the database is opened: a bad file fails fast and touches nothing.
  const doc = parseModelDocumentText(text);
  const config = loadConfig();
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });
  try {
    const v = await importModelDocument(db, doc, { promote: opts.promote });
    const from = `${doc.source.model_name} version ${doc.source.version} of ${doc.source.instance}`;
    await recordAudit(db, {
      actor: IMPORT_PRINCIPAL,
      action: "model.import",
      target: `store ${v.store} product ${v.productname} version ${v.version}`,
      detail: { from, stage: v.stage, file },
    });
    console.log(`model:import: ${v.name} version ${v.version} (${v.stage}) from ${from}`);
  } finally {
    await db.close();
  }
}

try {
  await main();
} catch (err) {
  const known = [FileError, ConfigError, DatabaseUnreachableError, MigrationError, RequestError].some(
    (E) => err instanceof E,
  );
  console.error(`model:import: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
  process.exitCode = 1;
}
