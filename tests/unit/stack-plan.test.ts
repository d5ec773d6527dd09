// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose's ${VAR} syntax, on purpose
/**
 * The podman stack (scripts/container/stack.ts) mirrors docker-compose.yml: its plan equals what
 * Compose itself (Debian's docker-compose, `config`) makes of the same file with the same
 * variables, so the two cannot drift. Also: Compose's interpolation rules, the podman arguments a
 * service becomes, and the secrets `stack:up` generates once.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ComposeError,
  composePlan,
  interpolate,
  requiredVariables,
  seconds,
} from "../../scripts/container/compose-plan.js";
import { containersOf, runArgs, STACK_SERVICES, stackVariables } from "../../scripts/container/stack.js";
import { ROOT } from "../support/processes.js";

const composeText = readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
const VARS = {
  POSTGRES_PASSWORD: "pgpass1",
  REDIS_PASSWORD: "redispass1",
  ADMIN_PASSWORD: "adminpass1",
  METRICS_TOKEN: "metrics-token-0123456789",
  GRAFANA_PASSWORD: "grafana1",
  PGADMIN_EMAIL: "ci@storecast.dev",
  PGADMIN_PASSWORD: "pgadmin1",
  // What the container test sets.
  GENERATE_STORES: "20",
  STREAM_INTERVAL_MS: "250",
  POSTGRES_PORT: "15432",
};

function dockerCompose(): string | undefined {
  try {
    execFileSync("docker-compose", ["version"], { stdio: "ignore" });
    return "docker-compose";
  } catch {
    return undefined;
  }
}
const compose = dockerCompose();

/** `config` writes a file Compose could read again: every `$` escaped as `$$`. */
function unescapeDollars(node: unknown): unknown {
  if (typeof node === "string") return node.replaceAll("$$", "$");
  if (Array.isArray(node)) return node.map(unescapeDollars);
  if (node && typeof node === "object")
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, unescapeDollars(v)]));
  return node;
}

interface ComposeService {
  image: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, unknown>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: (string | { host_ip?: string; published: number; target: number })[];
  restart?: string;
  stop_grace_period?: string;
}

/** Compose's normalised service, in the plan's terms. */
function fromCompose(s: ComposeService) {
  const h = s.healthcheck;
  return {
    image: s.image,
    command: s.command,
    entrypoint: s.entrypoint,
    environment: Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)])),
    healthcheck: h && {
      test: h.test,
      intervalS: seconds(h.interval, 30),
      timeoutS: seconds(h.timeout, 30),
      retries: h.retries ?? 3,
      startPeriodS: seconds(h.start_period, 0),
    },
    dependsOn: Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v.condition])),
    volumes: (s.volumes ?? []).map((v) => {
      const [source, target, mode] = v.split(":");
      return { source, target, readOnly: mode === "ro" };
    }),
    ports: (s.ports ?? []).map((p) =>
      typeof p === "string" ? p.replace(/\/tcp$/, "") : `${p.host_ip ?? "0.0.0.0"}:${p.published}:${p.target}`,
    ),
    restart: s.restart,
    stopGraceS: s.stop_grace_period === undefined ? undefined : seconds(s.stop_grace_period, 10),
  };
}

describe.skipIf(!compose)("the stack's plan is docker-compose's (docker-compose config)", () => {
  it("names the same services, images, environment, commands, healthchecks, depends_on, volumes and ports", () => {
    const empty = path.join(mkdtempSync(path.join(tmpdir(), "stack-plan-")), "empty.env");
    writeFileSync(empty, "");
    const out = execFileSync(compose as string, ["-f", "docker-compose.yml", "--env-file", empty, "config"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...VARS } as unknown as NodeJS.ProcessEnv,
      encoding: "utf8",
    });
    const theirs = (unescapeDollars(parse(out)) as { services: Record<string, ComposeService> }).services;
    const plan = composePlan(composeText, VARS, ROOT);
    expect(Object.keys(plan.services).sort()).toEqual(Object.keys(theirs).sort());
    for (const name of Object.keys(theirs)) {
      const ours = plan.services[name]!;
      expect(
        {
          image: ours.image,
          command: ours.command,
          entrypoint: ours.entrypoint,
          environment: ours.environment,
          healthcheck: ours.healthcheck,
          dependsOn: ours.dependsOn,
          volumes: ours.volumes.map((v) => ({ source: v.source, target: v.target, readOnly: v.readOnly })),
          ports: ours.ports.map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}`),
          restart: ours.restart,
          stopGraceS: ours.stopGraceS,
        },
        name,
      ).toEqual(fromCompose(theirs[name]!));
    }
  });
});
// Says why in the report when it cannot run (an empty test that passes would claim a check it did not make).
if (!compose) it.skip("compares with docker-compose config: docker-compose is not installed", () => {});

describe("the stack's plan", () => {
  const plan = composePlan(composeText, VARS, ROOT);

  it("starts each service after what it depends on; the stack runs the five services with an image here", () => {
    const at = (s: string) => plan.order.indexOf(s);
    for (const s of plan.order)
      for (const dep of Object.keys(plan.services[s]!.dependsOn)) expect(at(dep)).toBeLessThan(at(s));
    expect(STACK_SERVICES.every((s) => plan.services[s])).toBe(true);
    expect(plan.services.app!.environment.GENERATE_STORES).toBe("20");
  });

  it("runs a service as podman run: network alias, labels, environment, prefixed volumes, healthcheck", () => {
    const redis = runArgs(plan.services.redis!, "p-redis", { prefix: "p-", publish: [] });
    expect(redis.slice(0, 8)).toEqual([
      "run",
      "-d",
      "--name",
      "p-redis",
      "--network",
      "p-network",
      "--network-alias",
      "redis",
    ]);
    expect(redis).toEqual(expect.arrayContaining(["-e", "REDISCLI_AUTH=redispass1", "-v", "p-redis-data:/data"]));
    // CMD: a JSON array; CMD-SHELL: the shell string.
    expect(redis[redis.indexOf("--health-cmd") + 1]).toBe('["redis-cli","ping"]');
    const kafka = runArgs(plan.services.kafka!, "p-kafka", { prefix: "p-", publish: [] });
    expect(kafka[kafka.indexOf("--health-cmd") + 1]).toMatch(/^\/opt\/kafka\/bin\/kafka-broker-api-versions\.sh /);
    expect(redis.slice(redis.indexOf("redis:7.0.15-bookworm"))).toEqual([
      "redis:7.0.15-bookworm",
      ...plan.services.redis!.command!,
    ]);
    const app = runArgs(plan.services.app!, "p-app-2", {
      prefix: "p-",
      publish: [{ hostIp: "127.0.0.1", hostPort: 3101, containerPort: 3000 }],
    });
    expect(app).toEqual(
      expect.arrayContaining(["--network-alias", "app", "-p", "127.0.0.1:3101:3000", "--stop-timeout", "40"]),
    );
    expect(containersOf("app", { prefix: "p-", replicas: 3 })).toEqual(["p-app-1", "p-app-2", "p-app-3"]);
    expect(containersOf("kafka", { prefix: "p-", replicas: 3 })).toEqual(["p-kafka"]);
  });

  it("stops at a missing secret, naming it, as Compose does", () => {
    const { POSTGRES_PASSWORD: _, ...rest } = VARS;
    expect(() => composePlan(composeText, rest, ROOT)).toThrow(/POSTGRES_PASSWORD: set POSTGRES_PASSWORD/);
  });

  it("refuses what it cannot mirror: a depends_on cycle, an undeclared volume, a bad duration, an unknown dependency", () => {
    const file = (services: string) => `services:\n${services}\nvolumes:\n  known:\n`;
    expect(() =>
      composePlan(file("  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]"), {}, "/r"),
    ).toThrow(/depends_on cycle/);
    expect(() => composePlan(file("  a:\n    image: x\n    volumes: ['other:/d']"), {}, "/r")).toThrow(/not declared/);
    expect(() => composePlan(file("  a:\n    image: x\n    depends_on: [nope]"), {}, "/r")).toThrow(/not a service/);
    expect(() =>
      composePlan(file("  a:\n    image: x\n    healthcheck:\n      test: [CMD, x]\n      interval: soon"), {}, "/r"),
    ).toThrow(ComposeError);
    expect(() => composePlan(file("  a:\n    command: x"), {}, "/r")).toThrow(/no image/);
  });
});

describe("Compose's interpolation", () => {
  it("substitutes ${VAR}, $VAR, defaults, required values and $$", () => {
    const env = { SET: "v", EMPTY: "" };
    expect(interpolate("${SET}-$SET-${UNSET}", env)).toBe("v-v-");
    expect(interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", env)).toBe("d d  d");
    expect(interpolate("$${SET} $$SET", env)).toBe("${SET} $SET");
    expect(interpolate("${SET:?needed}", env)).toBe("v");
    expect(() => interpolate("${EMPTY:?set EMPTY please}", env)).toThrow("EMPTY: set EMPTY please");
    expect(interpolate("${EMPTY?only unset fails}", env)).toBe("");
    expect(() => interpolate("${UNSET?}", env)).toThrow("UNSET: required");
    expect(requiredVariables("a: ${A:?x}\nb: ${B?y} ${A:?z} ${C:-d}")).toEqual(["A", "B"]);
  });

  it("reads durations as Compose writes them", () => {
    expect([
      seconds("5s", 0),
      seconds("2m", 0),
      seconds("1m30s", 0),
      seconds("500ms", 0),
      seconds(undefined, 30),
    ]).toEqual([5, 120, 90, 0.5, 30]);
    expect(() => seconds("5 s", 0)).toThrow(/not a duration/);
  });

  it("splits a string command as a shell would", () => {
    const plan = composePlan(`services:\n  a:\n    image: x\n    command: sh -c 'echo "a b"' "c d" e\\ f\n`, {}, "/r");
    expect(plan.services.a!.command).toEqual(["sh", "-c", 'echo "a b"', "c d", "e f"]);
  });
});

describe("stack:up's variables", () => {
  it("generates the secrets nobody set once, keeps them, and lets the environment win", () => {
    const root = mkdtempSync(path.join(tmpdir(), "stack-vars-"));
    const text =
      "services:\n  a:\n    image: x\n    environment:\n      P: ${PASS:?set PASS}\n      M: ${ADMIN_EMAIL:?set ADMIN_EMAIL}\n";
    const secretsFile = path.join(root, ".tmp/stack.env");
    const first = stackVariables({ root, secretsFile, env: {} }, text);
    expect(first.PASS).toMatch(/^[0-9a-f]{48}$/);
    expect(first.ADMIN_EMAIL).toBe("admin@storecast.example");
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    expect(stackVariables({ root, secretsFile, env: {} }, text).PASS).toBe(first.PASS);
    writeFileSync(path.join(root, ".env"), "PASS=from-dotenv\n");
    expect(stackVariables({ root, secretsFile, env: {} }, text).PASS).toBe("from-dotenv");
    expect(stackVariables({ root, secretsFile, env: { PASS: "given" } }, text).PASS).toBe("given");
  });
});
