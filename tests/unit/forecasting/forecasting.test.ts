import { openDatabase } from "../../../app/platform/db.server.js";
import { describeForecasting } from "../../support/forecast-cases.js";

describeForecasting("PGlite", () => openDatabase({ pgliteDir: "memory://" }));
