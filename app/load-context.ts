import type { Config } from "./config.server.js";
import type { Database } from "./db.server.js";

/** What the server entry hands every loader and action (see server.ts). */
export interface StorecastContext {
  config: Config;
  db: Database;
  startedAt: Date;
}

declare module "@remix-run/node" {
  interface AppLoadContext extends StorecastContext {}
}
