import type { Config } from "./config.server.js";
import type { Database } from "./db.server.js";
import type { ModelPool } from "./model-pool.server.js";

/** What the server entry hands every loader and action (see server.ts). */
export interface StorecastContext {
  config: Config;
  db: Database;
  /** The model threads: fitting and predicting never run on the request thread. */
  models: ModelPool;
  startedAt: Date;
}

declare module "@remix-run/node" {
  interface AppLoadContext extends StorecastContext {}
}
