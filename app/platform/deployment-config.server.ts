/**
 * The environment variables of a hardened deployment: who may scrape /metrics, which proxies are
 * trusted, which Host names are served, and how the Kafka client authenticates. Spread into the
 * schema of config.server.ts; `checkDeployment` holds the rules that span several variables.
 */
import { isIP } from "node:net";
import { z } from "zod";

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected an integer from ${min} to ${max}` })
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "expected true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** proxy-addr's names for address ranges (what Express's `trust proxy` accepts besides addresses). */
const PROXY_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

function isAddressOrSubnet(value: string): boolean {
  if (PROXY_RANGES.has(value)) return true;
  const [address, bits, ...rest] = value.split("/");
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

/**
 * Express's `trust proxy`: false (default: X-Forwarded-* ignored), true (any), a hop count, or the
 * proxies' addresses (comma-separated addresses, subnets, loopback, linklocal, uniquelocal).
 */
const trustProxy = z.string().transform((v, ctx): boolean | number | string[] => {
  const value = v.trim().toLowerCase();
  if (value === "false" || value === "0" || value === "no") return false;
  if (value === "true" || value === "yes") return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const list = value.split(",").map((x) => x.trim());
  const bad = list.find((x) => !isAddressOrSubnet(x));
  if (bad === undefined) return list;
  ctx.addIssue({
    code: "custom",
    message:
      `${JSON.stringify(bad)} is not a proxy address: expected false, true, a hop count (1 = the nginx in front), ` +
      "or a comma-separated list of addresses, subnets (10.0.0.0/8), loopback, linklocal, uniquelocal",
  });
  return z.NEVER;
});

/** A host name as it appears in a Host header, without the port: a DNS name, an IPv4 or [IPv6] address. */
const HOST_NAME = /^(\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?|\[[0-9a-f:.]+\])$/i;

/** `*` (no check) or a comma-separated list of names; `.example.com` also allows every subdomain. */
const allowedHosts = z.string().transform((v, ctx) => {
  const list = v.split(",").map((h) => h.trim().toLowerCase());
  if (list.length === 1 && list[0] === "*") return "*" as const;
  const bad = list.find((h) => !HOST_NAME.test(h));
  if (bad === undefined) return list;
  ctx.addIssue({
    code: "custom",
    message:
      `${JSON.stringify(bad)} is not a host name: expected * or a comma-separated list of names without ` +
      "scheme or port, e.g. storecast.example.com,.internal.example.com",
  });
  return z.NEVER;
});

export const KAFKA_SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;

/** Variables whose values never appear in an error message. */
export const SECRET_VARIABLES = new Set(["METRICS_TOKEN", "KAFKA_SASL_PASSWORD"]);

export const deploymentVariables = {
  /** A Bearer token Prometheus sends to GET /metrics. */
  METRICS_TOKEN: z
    .string()
    .min(16, { error: "expected at least 16 characters (e.g. openssl rand -hex 32)" })
    .optional(),
  /** A second listener (on HOST) that serves /metrics alone; the main port then does not. */
  METRICS_PORT: int(1, 65535).optional(),
  TRUST_PROXY: trustProxy.default(false),
  /** Unset: localhost, 127.0.0.1, [::1] and HOST when it names one host; IP addresses always pass. */
  ALLOWED_HOSTS: allowedHosts.optional(),
  /** TLS to the brokers (on with KAFKA_SSL_CA_FILE). */
  KAFKA_SSL: bool.optional(),
  /** PEM file of the certificate authorities the brokers' certificates are checked against. */
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(KAFKA_SASL_MECHANISMS, { error: "expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512" }))
    .optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
};

type DeploymentShape = {
  [K in keyof typeof deploymentVariables]: z.output<(typeof deploymentVariables)[K]>;
};

/** The rules between variables; an issue names the variable to change. */
export function checkDeployment(c: Partial<DeploymentShape> & { PORT: number }, ctx: z.RefinementCtx): void {
  const issue = (name: string, message: string) => ctx.addIssue({ code: "custom", path: [name], message });
  if (c.KAFKA_SSL === false && c.KAFKA_SSL_CA_FILE !== undefined) {
    issue("KAFKA_SSL_CA_FILE", "is for TLS, which KAFKA_SSL=false switches off");
  }
  if (c.KAFKA_SASL_MECHANISM !== undefined) {
    if (c.KAFKA_SASL_USERNAME === undefined) issue("KAFKA_SASL_USERNAME", "required with KAFKA_SASL_MECHANISM");
    if (c.KAFKA_SASL_PASSWORD === undefined) issue("KAFKA_SASL_PASSWORD", "required with KAFKA_SASL_MECHANISM");
  } else {
    for (const name of ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const) {
      if (c[name] !== undefined) issue(name, "needs KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)");
    }
  }
  if (c.METRICS_PORT !== undefined && c.METRICS_PORT === c.PORT) {
    issue("METRICS_PORT", "must differ from PORT (the metrics listener is a second one)");
  }
}
