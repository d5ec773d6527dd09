import { describe } from "vitest";
import { openDatabase } from "../../../app/platform/db.server.js";
import { describeRetention } from "../../support/retention-cases.js";

describe("retention on PGlite", () => {
  describeRetention("PGlite in memory", async () => {
    const db = await openDatabase({ pgliteDir: "memory://" });
    return { db, dispose: () => db.close() };
  });
});
