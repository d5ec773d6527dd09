import { openDatabase } from "../../../app/platform/db.server.js";
import { describeSharedTraining } from "../../support/train-share-cases.js";

describeSharedTraining("PGlite", () => openDatabase({ pgliteDir: "memory://" }));
