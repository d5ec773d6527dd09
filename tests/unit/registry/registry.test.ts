import { describe } from "vitest";
import { openDatabase } from "../../../app/platform/db.server.js";
import { describeRegistry } from "../../support/registry-cases.js";

describe("model registry on PGlite", () => {
  describeRegistry("PGlite in memory", () => openDatabase({ pgliteDir: "memory://" }));
});
