import { openDatabase } from "../../../app/platform/db.server.js";
import { InProcessStream } from "../../../app/stream/in-process.server.js";
import { describeScoringThroughStream } from "../../support/scoring-stream-cases.js";

describeScoringThroughStream("in-process stream, PGlite", {
  openDb: () => openDatabase({ pgliteDir: "memory://" }),
  openStream: (topic) => new InProcessStream({ topic }),
});
