import { openDatabase } from "../../../app/platform/db.server.js";
import { describeDrift } from "../../support/drift-cases.js";

describeDrift("PGlite in memory", async () => {
  const db = await openDatabase({ pgliteDir: "memory://" });
  return { db, dispose: () => db.close() };
});
