import { describe } from "vitest";
import { openDatabase } from "../../../app/platform/db.server.js";
import { describeVersionPages } from "../../support/version-pages-cases.js";

describe("model version pages on PGlite", () => {
  describeVersionPages("PGlite in memory", async () => {
    const db = await openDatabase({ pgliteDir: "memory://" });
    return { db, dispose: () => db.close() };
  });
});
