import { openDatabase } from "../../../app/platform/db.server.js";
import { describeScoring } from "../../support/scoring-cases.js";

describeScoring("PGlite in memory", () => openDatabase({ pgliteDir: "memory://" }));
