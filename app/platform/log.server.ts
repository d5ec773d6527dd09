import { type Logger, pino } from "pino";
import type { Config } from "./config.server.js";

/** JSON lines for machines (containers, log shippers); readable lines when a person watches a terminal. */
export function createLogger(config: Pick<Config, "LOG_LEVEL">): Logger {
  return pino({
    level: config.LOG_LEVEL,
    base: undefined,
    transport: process.stdout.isTTY
      ? { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" } }
      : undefined,
  });
}
