/**
 * Who may read /metrics (pure, decided once from the configuration): with METRICS_PORT only a
 * second listener serves it, with METRICS_TOKEN only a request carrying that Bearer token gets it,
 * and with neither it is open only while the app listens on a loopback address (the embedded quick
 * start). Anywhere else it is not served at all: the figures tell an attacker what runs and how busy.
 */
import { type Config, isLoopbackHost } from "../platform/config.server.js";

export type MetricsAccess =
  /** Served by the main listener; `token`: Bearer token required. */
  | { where: "main"; token: string | undefined }
  /** Served only by a second listener on `port`; `token`: Bearer token required there. */
  | { where: "port"; port: number; token: string | undefined }
  /** Not served: `reason` says which variable to set. */
  | { where: "nowhere"; reason: string };

export function metricsAccess(config: Pick<Config, "HOST" | "METRICS_TOKEN" | "METRICS_PORT">): MetricsAccess {
  const token = config.METRICS_TOKEN;
  if (config.METRICS_PORT !== undefined) return { where: "port", port: config.METRICS_PORT, token };
  if (token !== undefined || isLoopbackHost(config.HOST)) return { where: "main", token };
  return {
    where: "nowhere",
    reason: `HOST=${config.HOST} is reachable from other machines: set METRICS_TOKEN (Prometheus sends it as a Bearer token) or METRICS_PORT (a listener of its own)`,
  };
}
