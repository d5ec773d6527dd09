import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../app/platform/config.server.js";
import { defaultSchedules } from "../../../workers/jobs.js";

describe("loadConfig", () => {
  it("runs on embedded defaults with an empty environment", () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.PGLITE_DIR).toBe("./data/pglite");
    expect(c.GENERATE_STORES).toBe(1115);
    expect(c.AUTO_LOAD_HISTORY).toBe(true);
  });

  it("parses typed values", () => {
    const c = loadConfig({
      PORT: "8080",
      DATABASE_URL: "postgresql://u:p@db:5432/storecast",
      AUTO_LOAD_HISTORY: "false",
      GENERATE_STORES: "20",
    });
    expect(c).toMatchObject({ PORT: 8080, AUTO_LOAD_HISTORY: false, GENERATE_STORES: 20 });
    expect(c.DATABASE_URL).toBe("postgresql://u:p@db:5432/storecast");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" }).PORT).toBe(3000);
  });

  it.each([
    ["PORT", "abc", /PORT: expected an integer from 1 to 65535 \(got "abc"\)/],
    ["PORT", "70000", /PORT/],
    ["PORT", "3.5", /PORT/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL/],
    ["AUTO_LOAD_HISTORY", "maybe", /AUTO_LOAD_HISTORY: expected true or false/],
    ["DATABASE_URL", "mysql://x@y/z", /DATABASE_URL: expected a postgres:\/\//],
    ["DATABASE_URL", "not a url", /DATABASE_URL/],
  ])("rejects %s=%s with one line naming it", (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  it("never echoes a database password", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://user:secret@host/db" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("secret") }),
    );
  });
});

describe("loadConfig: jobs and schedules", () => {
  it("defaults to the in-process queue, one job at a time, weekly training and daily ingestion checks", () => {
    expect(loadConfig({}).REDIS_URL).toBeUndefined();
    expect(loadConfig({})).toMatchObject({
      JOB_QUEUE: "storecast",
      JOB_CONCURRENCY: 1,
      TRAIN_CRON: "0 2 * * 1",
      INGEST_CRON: "5 0 * * *",
      SCHEDULES: true,
    });
  });

  it("schedules the anomaly scan daily over 28 days at sensitivity 0.3 unless told otherwise", () => {
    expect(loadConfig({})).toMatchObject({
      ANOMALY_CRON: "0 4 * * *",
      ANOMALY_WINDOW_DAYS: 28,
      ANOMALY_SENSITIVITY: 0.3,
    });
    const c = loadConfig({ ANOMALY_CRON: "15 5 * * *", ANOMALY_WINDOW_DAYS: "56", ANOMALY_SENSITIVITY: "0.5" });
    expect(c).toMatchObject({ ANOMALY_CRON: "15 5 * * *", ANOMALY_WINDOW_DAYS: 56, ANOMALY_SENSITIVITY: 0.5 });
    const schedules = defaultSchedules(c);
    expect(schedules.find((s) => s.name === "anomaly-scan")).toEqual({
      name: "anomaly-scan",
      kind: "anomaly-scan",
      cron: "15 5 * * *",
      data: { daysAgo: 1 },
    });
  });

  it("sweeps 35 days of scores before the drift check unless told otherwise; 0 turns the sweep off", () => {
    expect(loadConfig({}).SCORE_SWEEP_DAYS).toBe(35);
    expect(loadConfig({ SCORE_SWEEP_DAYS: "0" }).SCORE_SWEEP_DAYS).toBe(0);
    expect(loadConfig({ SCORE_SWEEP_DAYS: "90" }).SCORE_SWEEP_DAYS).toBe(90);
  });

  it("parses a Redis URL, a queue name and schedules", () => {
    const c = loadConfig({
      REDIS_URL: "redis://127.0.0.1:6379",
      JOB_QUEUE: "storecast-eu",
      JOB_CONCURRENCY: "2",
      TRAIN_CRON: "30 3 * * 0",
      SCHEDULES: "false",
    });
    expect(c).toMatchObject({ JOB_QUEUE: "storecast-eu", JOB_CONCURRENCY: 2, TRAIN_CRON: "30 3 * * 0" });
    expect(c.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(c.SCHEDULES).toBe(false);
  });

  it.each([
    ["REDIS_URL", "http://127.0.0.1:6379", /REDIS_URL: expected a redis:\/\//],
    ["JOB_CONCURRENCY", "0", /JOB_CONCURRENCY/],
    ["TRAIN_CRON", "* * * * * *", /TRAIN_CRON: expected a five-field cron/],
    ["TRAIN_CRON", "0 25 * * 1", /TRAIN_CRON: expected a valid five-field cron/],
    ["INGEST_CRON", "daily", /INGEST_CRON/],
    ["SCHEDULES", "sometimes", /SCHEDULES: expected true or false/],
    ["ANOMALY_CRON", "daily", /ANOMALY_CRON/],
    ["ANOMALY_WINDOW_DAYS", "6", /ANOMALY_WINDOW_DAYS: expected an integer from 7 to 366/],
    ["ANOMALY_SENSITIVITY", "1", /ANOMALY_SENSITIVITY: expected a number between 0 and 1/],
    ["ANOMALY_SENSITIVITY", "lots", /ANOMALY_SENSITIVITY: expected a number between 0 and 1/],
    ["SCORE_SWEEP_DAYS", "367", /SCORE_SWEEP_DAYS: expected an integer from 0 to 366/],
    ["SCORE_SWEEP_DAYS", "-1", /SCORE_SWEEP_DAYS: expected an integer from 0 to 366/],
  ])("rejects %s=%s with one line naming it", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("never echoes a Redis password", () => {
    expect(() => loadConfig({ REDIS_URL: "rediss://user:secret@host:6380" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("secret") }),
    );
  });
});

describe("loadConfig: CORS_ORIGINS", () => {
  it("is unset by default, and when empty: no CORS at all", () => {
    expect(loadConfig({}).CORS_ORIGINS).toBeUndefined();
    expect(loadConfig({ CORS_ORIGINS: "" }).CORS_ORIGINS).toBeUndefined();
  });

  it("takes * alone as any origin", () => {
    expect(loadConfig({ CORS_ORIGINS: "*" }).CORS_ORIGINS).toBe("*");
    expect(loadConfig({ CORS_ORIGINS: " * " }).CORS_ORIGINS).toBe("*");
  });

  it("takes a comma-separated list of origins, as browsers send them", () => {
    expect(loadConfig({ CORS_ORIGINS: "https://app.example.com" }).CORS_ORIGINS).toEqual(["https://app.example.com"]);
    expect(
      loadConfig({ CORS_ORIGINS: "http://localhost:5173, https://App.Example.com,http://10.0.0.2:8080" }).CORS_ORIGINS,
    ).toEqual(["http://localhost:5173", "https://app.example.com", "http://10.0.0.2:8080"]);
  });

  it.each([
    ["example.com", /"example\.com" is not an origin/],
    [
      "https://app.example.com/",
      /"https:\/\/app\.example\.com\/" is not an origin \(scheme:\/\/host\[:port\], no path\)/,
    ],
    ["https://app.example.com/api", /is not an origin/],
    ["ftp://files.example.com", /is not an origin/],
    ["http://localhost:80", /is not an origin/],
    ["http://a.example,,http://b.example", /"" is not an origin/],
    ["null", /"null" is not an origin/],
    ["*,https://app.example.com", /\* \(any origin\) stands alone/],
  ])("refuses %s with one line naming CORS_ORIGINS", (value, message) => {
    let error: unknown;
    try {
      loadConfig({ CORS_ORIGINS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Invalid environment variable CORS_ORIGINS: /);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("loadConfig: deployment", () => {
  const reject = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).not.toContain("\n");
      return (err as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(env)}`);
  };

  it("trusts no proxy by default; takes a hop count, true, or the proxies' addresses", () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "1" }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8, fd00::1" }).TRUST_PROXY).toEqual([
      "loopback",
      "10.0.0.0/8",
      "fd00::1",
    ]);
    expect(reject({ TRUST_PROXY: "nginx" })).toMatch(/TRUST_PROXY: "nginx" is not a proxy address/);
    expect(reject({ TRUST_PROXY: "10.0.0.0/33" })).toMatch(/TRUST_PROXY/);
  });

  it("takes ALLOWED_HOSTS as * or a list of names without scheme or port", () => {
    expect(loadConfig({}).ALLOWED_HOSTS).toBeUndefined();
    expect(loadConfig({ ALLOWED_HOSTS: "A.example.com,.corp.example" }).ALLOWED_HOSTS).toEqual([
      "a.example.com",
      ".corp.example",
    ]);
    expect(reject({ ALLOWED_HOSTS: "https://a.example.com" })).toMatch(/ALLOWED_HOSTS: "https:\/\/a.example.com"/);
    expect(reject({ ALLOWED_HOSTS: "a.example.com:8080" })).toMatch(/ALLOWED_HOSTS/);
    expect(reject({ ALLOWED_HOSTS: "a.example,*" })).toMatch(/ALLOWED_HOSTS/);
  });

  it("wants a metrics token of some length, never echoes it, and a metrics port other than PORT", () => {
    expect(loadConfig({ METRICS_TOKEN: "s3cret-s3cret-s3cret" }).METRICS_TOKEN).toBe("s3cret-s3cret-s3cret");
    const short = reject({ METRICS_TOKEN: "short-secret" });
    expect(short).toMatch(/METRICS_TOKEN: expected at least 16 characters/);
    expect(short).not.toContain("short-secret");
    expect(reject({ METRICS_PORT: "3000" })).toMatch(/METRICS_PORT: must differ from PORT/);
    expect(loadConfig({ METRICS_PORT: "9464" }).METRICS_PORT).toBe(9464);
  });

  it("reads Kafka's TLS and SASL settings, each mechanism with its user and password", () => {
    expect(loadConfig({}).KAFKA_SSL).toBeUndefined();
    expect(loadConfig({}).KAFKA_SASL_MECHANISM).toBeUndefined();
    for (const [given, parsed] of [
      ["PLAIN", "plain"],
      ["SCRAM-SHA-256", "scram-sha-256"],
      ["scram-sha-512", "scram-sha-512"],
    ]) {
      const c = loadConfig({ KAFKA_SASL_MECHANISM: given!, KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" });
      expect(c.KAFKA_SASL_MECHANISM).toBe(parsed);
    }
    expect(loadConfig({ KAFKA_SSL: "true", KAFKA_SSL_CA_FILE: "/etc/ca.pem" })).toMatchObject({
      KAFKA_SSL: true,
      KAFKA_SSL_CA_FILE: "/etc/ca.pem",
    });
    expect(reject({ KAFKA_SASL_MECHANISM: "GSSAPI" })).toMatch(/KAFKA_SASL_MECHANISM: expected PLAIN, SCRAM-SHA-256/);
    expect(reject({ KAFKA_SASL_MECHANISM: "PLAIN", KAFKA_SASL_PASSWORD: "p" })).toMatch(
      /KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM/,
    );
    const noPassword = reject({ KAFKA_SASL_MECHANISM: "PLAIN", KAFKA_SASL_USERNAME: "u" });
    expect(noPassword).toMatch(/KAFKA_SASL_PASSWORD: required/);
    expect(reject({ KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "hunter2-secret" })).not.toContain("hunter2");
    expect(reject({ KAFKA_SASL_PASSWORD: "hunter2-secret" })).toMatch(
      /KAFKA_SASL_PASSWORD: needs KAFKA_SASL_MECHANISM/,
    );
    expect(reject({ KAFKA_SSL: "false", KAFKA_SSL_CA_FILE: "/etc/ca.pem" })).toMatch(/KAFKA_SSL_CA_FILE/);
  });
});
