/**
 * The deployment files hold together: docker-compose.yml (every service healthchecked, started in
 * dependency order, volumes declared, mounted files present), the Dockerfile (multi-stage, Node 20
 * slim, non-root, production dependencies, Prisma Client generated, HEALTHCHECK on a real route),
 * the Kubernetes example (labels, probes, HPA target, configuration the app accepts, entry points,
 * user and writable paths; its schema check is kubernetes-manifests.test.ts) and the CI
 * workflow. There is no Docker engine here: .ci/run also runs `docker-compose config -q`.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadConfig } from "../../app/platform/config.server.js";
import { allowedHosts, hostAllowed } from "../../app/server/http-security.server.js";
import { metricsAccess } from "../../app/server/metrics-access.js";
import { ROOT } from "../support/processes.js";

const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const exists = (file: string) => existsSync(path.join(ROOT, file));

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  container_name?: string;
  entrypoint?: string[];
}

const COMPOSE_TEXT = read("docker-compose.yml");
const compose = parse(COMPOSE_TEXT, { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

/** A value as Compose reads it with only the required secrets set: `${VAR:-d}` is d, `${VAR:?m}` a test value. */
const interpolate = (value: string | number) =>
  String(value)
    .replace(/\$\{(\w+):-([^}]*)\}/g, "$2")
    .replace(/\$\{(\w+):\?[^}]*\}/g, (_m, name: string) => `test${name.replaceAll("_", "")}0123456789`);

/** What Compose starts the app with, beside the image's own ENV (HOST=0.0.0.0). */
const appEnvironment = (name: string) =>
  Object.fromEntries(Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));

/** The images that are pulled, not built here. */
const pulledImages = () =>
  Object.entries(compose.services)
    .filter(([, s]) => s.build === undefined)
    .map(([name, s]) => [name, s.image ?? ""] as const);

describe("docker-compose.yml", () => {
  const services = compose.services;

  it("has every service of the system, each with a healthcheck", () => {
    expect(Object.keys(services).sort()).toEqual(
      ["app", "grafana", "kafka", "nginx", "pgadmin", "postgres", "producer", "prometheus", "redis"].sort(),
    );
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.test, name).toBeDefined();
  });

  it("starts each service after what it needs is healthy", () => {
    const needs = (name: string) =>
      Object.fromEntries(Object.entries(services[name]?.depends_on ?? {}).map(([k, v]) => [k, v.condition]));
    expect(needs("producer")).toEqual({ postgres: "service_healthy", kafka: "service_healthy" });
    expect(needs("app")).toEqual({
      postgres: "service_healthy",
      kafka: "service_healthy",
      redis: "service_healthy",
      producer: "service_healthy",
    });
    expect(needs("nginx")).toEqual({ app: "service_healthy" });
    expect(needs("prometheus")).toEqual({ app: "service_healthy" });
    expect(needs("grafana")).toEqual({ prometheus: "service_healthy" });
    expect(needs("pgadmin")).toEqual({ postgres: "service_healthy" });
  });

  it("runs the official Kafka image in KRaft mode, and Redis as BullMQ needs it", () => {
    const kafka = services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:\d/);
    expect(kafka.environment).toMatchObject({ KAFKA_PROCESS_ROLES: "broker,controller" });
    expect(kafka.environment?.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe("1@kafka:9093");
    expect(kafka.environment?.KAFKA_ADVERTISED_LISTENERS).toBe("PLAINTEXT://kafka:9092");
    // The same broker version the integration tests run (scripts/start-kafka.sh).
    const version = /KAFKA_VERSION=\$\{KAFKA_VERSION:-([\d.]+)\}/.exec(read("scripts/start-kafka.sh"))?.[1];
    expect(kafka.image).toBe(`apache/kafka:${version}`);
    expect(services.redis!.command).toEqual(expect.arrayContaining(["--maxmemory-policy", "noeviction"]));
  });

  it("runs the app and the producer from the one image, configured for the compose services", () => {
    for (const name of ["app", "producer"]) {
      const s = services[name]!;
      expect(s.build, name).toBe(".");
      expect(s.image, name).toBe("storecast:latest");
      const config = loadConfig(appEnvironment(name));
      expect(new URL(config.DATABASE_URL!).hostname).toBe("postgres");
      expect(config.KAFKA_BROKERS).toEqual(["kafka:9092"]);
      expect(new URL(config.REDIS_URL!).hostname).toBe("redis");
    }
    // Replicas (--scale app=N): no fixed name, no host port.
    expect(services.app!.container_name).toBeUndefined();
    expect(services.app!.ports).toBeUndefined();
    const producer = services.producer!;
    expect(producer.command?.slice(0, 4)).toEqual(["node", "--import", "tsx", "scripts/producer.ts"]);
    expect(exists("scripts/producer.ts")).toBe(true);
    expect(producer.command).toContain("--load-history");
    const readyFile = producer.command?.[producer.command.indexOf("--ready-file") + 1];
    expect(producer.healthcheck?.test).toEqual(["CMD", "test", "-f", readyFile]);
    // The app is healthy when ready (database, Redis, Kafka), through the route that says so.
    expect(services.app!.healthcheck?.test.join(" ")).toContain("/readyz");
    expect(exists("app/routes/_ops+/readyz.ts")).toBe(true);
  });

  it("mounts files that exist, at the paths the images read, and declares every named volume", () => {
    const mounts = Object.values(services).flatMap((s) => s.volumes ?? []);
    const binds = mounts.filter((m) => m.startsWith("./")).map((m) => m.split(":"));
    expect(binds.map(([, target]) => target).sort()).toEqual(
      [
        "/etc/grafana/provisioning",
        "/etc/nginx/nginx.conf",
        "/etc/prometheus/alerts.yml",
        "/etc/prometheus/prometheus.yml",
        "/pgadmin4/servers.json",
        "/var/lib/grafana/dashboards",
      ].sort(),
    );
    for (const [source] of binds) expect(exists(source!), source).toBe(true);
    const named = mounts.filter((m) => !m.startsWith("./") && !m.startsWith("/")).map((m) => m.split(":")[0]);
    expect(new Set(named)).toEqual(new Set(Object.keys(compose.volumes)));
    expect(JSON.parse(read("pgadmin/servers.json")).Servers["1"]).toMatchObject({ Host: "postgres", Port: 5432 });
  });
});

/** How the Dockerfile's stages name their base image (the ARG). */
const NODE_IMAGE_ARG = ["$", "{NODE_IMAGE}"].join("");

describe("docker-compose.yml: hardened", () => {
  const services = compose.services;

  it("publishes only nginx on every interface; the rest on the loopback or not at all", () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0);
    for (const [name, s] of published) {
      for (const port of s.ports ?? []) {
        if (name === "nginx") expect(port, name).toMatch(/^\$\{HTTP_PORT:-80\}:80$/);
        else expect(port, name).toMatch(/^127\.0\.0\.1:/);
      }
    }
    expect(published.map(([name]) => name).sort()).toEqual(["grafana", "nginx", "pgadmin", "postgres", "prometheus"]);
    for (const name of ["kafka", "redis", "app", "producer"]) expect(services[name]?.ports, name).toBeUndefined();
  });

  it("requires every password and token, with a message and no default", () => {
    const references = [...COMPOSE_TEXT.matchAll(/\$\{(\w+)(:?[-?])?([^}]*)\}/g)];
    const secrets = references.filter(([, name]) => /PASSWORD|TOKEN|SECRET|EMAIL/.test(name!));
    expect(new Set(secrets.map(([, name]) => name))).toEqual(
      new Set([
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
        "ADMIN_PASSWORD",
        "METRICS_TOKEN",
        "GRAFANA_PASSWORD",
        "PGADMIN_EMAIL",
        "PGADMIN_PASSWORD",
      ]),
    );
    for (const [whole, name, op, message] of secrets) {
      expect(op, whole).toBe(":?");
      expect(message, whole).toMatch(new RegExp(`^set ${name}`));
    }
    // Every documented in .env.example, in its compose part.
    const documented = read(".env.example");
    for (const [, name] of secrets) expect(documented, name).toContain(`# ${name}=`);
    // No password written into the file itself.
    expect(COMPOSE_TEXT).not.toMatch(/storecast:storecast@|admin\/admin|PASSWORD: ["']?\w/);
  });

  it("runs pgAdmin and Grafana with logins, and Redis with a password the app uses", () => {
    const pgadmin = services.pgadmin!.environment!;
    expect(pgadmin.PGADMIN_CONFIG_SERVER_MODE).toBe("True");
    expect(pgadmin.PGADMIN_CONFIG_MASTER_PASSWORD_REQUIRED).toBeUndefined();
    const grafana = services.grafana!.environment!;
    expect(grafana.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_PASSWORD:\?/);
    expect(grafana.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
    expect(grafana.GF_USERS_ALLOW_SIGN_UP).toBe("false");
    const redis = services.redis!;
    const password = redis.command![redis.command!.indexOf("--requirepass") + 1];
    expect(password).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    expect(redis.environment?.REDISCLI_AUTH).toBe(password);
    const url = new URL(loadConfig(appEnvironment("app")).REDIS_URL!);
    expect(url.password).toBe(interpolate(password!));
    expect(new URL(loadConfig(appEnvironment("app")).DATABASE_URL!).password).toBe(
      interpolate(services.postgres!.environment!.POSTGRES_PASSWORD!),
    );
  });

  it("starts the app with an admin, the metrics token, nginx trusted and localhost served", () => {
    const env = appEnvironment("app");
    expect(services.app!.environment?.ADMIN_PASSWORD).toMatch(/^\$\{ADMIN_PASSWORD:\?/);
    expect(env.ADMIN_USER).toBe("admin");
    // In the image HOST is 0.0.0.0: /metrics would be off without the token.
    const config = loadConfig({ ...env, HOST: "0.0.0.0" });
    expect(metricsAccess(config)).toEqual({ where: "main", token: env.METRICS_TOKEN });
    expect(config.TRUST_PROXY).toBe(1);
    const hosts = allowedHosts(config);
    for (const host of ["localhost", "localhost:8080", "127.0.0.1"]) expect(hostAllowed(host, hosts), host).toBe(true);
    expect(hostAllowed("evil.example", hosts)).toBe(false);
  });

  it("hands Prometheus the app's token in the file its configuration reads", () => {
    const prometheus = services.prometheus!;
    expect(prometheus.environment?.METRICS_TOKEN).toBe(services.app!.environment?.METRICS_TOKEN);
    const job = (
      parse(read("monitoring/prometheus.yml")) as {
        scrape_configs: { job_name: string; authorization?: { type: string; credentials_file: string } }[];
      }
    ).scrape_configs.find((c) => c.job_name === "storecast");
    expect(job?.authorization?.type).toBe("Bearer");
    const script = prometheus.entrypoint?.[2] ?? "";
    expect(prometheus.entrypoint?.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(script).toContain(`"$$METRICS_TOKEN" > ${job?.authorization?.credentials_file} `);
    expect(script).toMatch(/exec \/bin\/prometheus "\$\$@"$/);
    // Its volume is where the file goes (writable by Prometheus' user).
    expect(prometheus.volumes).toContain("prometheus-data:/prometheus");
  });

  it("pins every image it pulls to an exact version (or a digest), the Dockerfile's Node too", () => {
    const exact = /^[a-z0-9./-]+:v?\d+\.\d+(\.\d+)?(-[a-z0-9]+)?$|@sha256:[0-9a-f]{64}$/;
    const images = pulledImages();
    expect(images.length).toBe(7);
    for (const [name, image] of images) expect(image, name).toMatch(exact);
    const node = /^ARG NODE_IMAGE=(\S+)$/m.exec(read("Dockerfile"))?.[1];
    expect(node).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$|@sha256:[0-9a-f]{64}$/);
  });
});

describe("npm scripts", () => {
  it("start the server in production mode, so Express and React run as in production", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    for (const name of ["start", "serve"]) {
      expect(scripts[name], name).toMatch(/(^|&& )([A-Z_]+=\S+ )*NODE_ENV=production tsx server\.ts$/);
    }
  });

  it("run the server and training with two malloc arenas, as the image does (docs/decisions/0041)", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    for (const name of ["start", "serve", "train", "bench:train"]) {
      expect(scripts[name], name).toMatch(/(^|&& )MALLOC_ARENA_MAX=2 /);
    }
    expect(
      read("Dockerfile")
        .split(/^FROM /m)
        .at(-1),
    ).toMatch(/^ENV [\s\S]*?\bMALLOC_ARENA_MAX=2\b/m);
  });
});

describe("Dockerfile and .dockerignore", () => {
  const dockerfile = read("Dockerfile");
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it("is multi-stage on Node 20 slim and runs as a non-root user", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.[\d.]+-[a-z]+-slim$/m);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const names = stages.map((st) => /^\S+ AS (\S+)/.exec(st)?.[1]);
    // Each stage starts from the Node image or from an earlier stage.
    stages.forEach((st, i) => {
      const base = st.split(/\s/)[0];
      expect(base === NODE_IMAGE_ARG || names.slice(0, i).includes(base), st.split("\n")[0]).toBe(true);
    });
    expect(runtime).toMatch(/^USER node$/m);
  });

  it("ships production dependencies only, with Prisma Client generated at build time", () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // npm run puts node_modules/.bin on PATH, where scripts/prisma-generate.mjs finds the Prisma CLI.
    expect(dockerfile).toMatch(/^RUN npm run postinstall && npm run build$/m);
    expect(runtime).toMatch(/COPY --from=prod-deps \/app\/node_modules/);
    expect(runtime).toMatch(/COPY --from=build \/app\/app\/generated/);
    expect(runtime).toMatch(/COPY --from=build \/app\/build/);
    // What the runtime copies from the context exists and is not ignored.
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#") && !l.startsWith("!"));
    const copied = [...runtime.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(" "));
    expect(copied).toEqual(expect.arrayContaining(["server.ts", "app", "workers", "scripts", "prisma"]));
    for (const file of copied) {
      expect(exists(file), file).toBe(true);
      expect(ignored, file).not.toContain(file);
    }
    for (const heavy of ["node_modules", "build", "data", ".git", "app/generated"]) expect(ignored).toContain(heavy);
  });

  it("checks /healthz and starts the server by default", () => {
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(exists("app/routes/_ops+/healthz.ts")).toBe(true);
    expect(runtime).toMatch(/^CMD \["node", "--import", "tsx", "server\.ts"\]$/m);
  });
});

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form; the assertions say what is expected
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

describe("the Kubernetes example", () => {
  const objects = ["docs/kubernetes/storecast.yaml", "docs/kubernetes/producer.yaml"].flatMap((file) =>
    parseAllDocuments(read(file)).map((d) => {
      expect(d.errors, file).toEqual([]);
      return d.toJS() as K8sObject;
    }),
  );
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const workloads = objects.filter((o) => o.kind === "Deployment" || o.kind === "Job");
  const runtime = read("Dockerfile")
    .split(/^FROM /m)
    .at(-1)!;
  /** A command up to the file it runs (node's flags before it; the program's options after it are not counted). */
  const entryPoint = (command: string[]) => command.slice(0, command.findIndex((a) => /\.[cm]?[jt]s$/.test(a)) + 1);
  const imageEnv = (name: string) => new RegExp(`\\b${name}=(\\S+)`).exec(runtime)?.[1];

  it("starts the entry points the image and compose start: the Dockerfile's CMD, the producer's script", () => {
    // `args` replaces the image's CMD and keeps its ENTRYPOINT: there must be none for args to be the whole command.
    expect(runtime).not.toMatch(/^ENTRYPOINT/m);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? "[]") as string[];
    expect(cmd.length).toBeGreaterThan(0);
    const app = find("Deployment", "storecast").spec.template.spec.containers[0];
    expect(app.args).toEqual(cmd);
    expect(app.command).toBeUndefined();
    const producer = entryPoint(compose.services.producer!.command!);
    expect(producer.length).toBeGreaterThan(0);
    for (const name of ["storecast-history", "storecast-producer"]) {
      const o = workloads.find((w) => w.metadata.name === name)!;
      const c = o.spec.template.spec.containers[0];
      expect(entryPoint(c.args), name).toEqual(producer);
      expect(c.command, name).toBeUndefined();
    }
    for (const o of workloads) {
      for (const c of o.spec.template.spec.containers) {
        expect(exists(entryPoint(c.args).at(-1)!), `${o.metadata.name}: ${c.args}`).toBe(true);
        expect(c.image, o.metadata.name).toBe(app.image);
      }
    }
    // The Service's port leads to the one the image listens on.
    expect(app.ports.find((p: { name: string }) => p.name === "http").containerPort).toBe(Number(imageEnv("PORT")));
  });

  it("runs every pod as the image's user, read-only but for the data volume and /tmp", () => {
    // The node user of the official image (USER node) is uid 1000.
    expect(runtime).toMatch(/^USER node$/m);
    const dataDir = imageEnv("DATA_DIR")!;
    expect(dataDir).toBe("/app/data");
    expect(imageEnv("PGLITE_DIR")?.startsWith(`${dataDir}/`)).toBe(true);
    expect(find("ConfigMap", "storecast-config").data?.DATA_DIR).toBeUndefined();
    for (const o of workloads) {
      const pod = o.spec.template.spec;
      expect(pod.securityContext, o.metadata.name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
      });
      const volumes = new Map<string, object>(pod.volumes.map((v: { name: string }) => [v.name, v]));
      for (const c of pod.containers) {
        const where = `${o.metadata.name}/${c.name}`;
        expect(c.securityContext, where).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        const writable = (c.volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[])
          .filter((m) => !m.readOnly && volumes.has(m.name))
          .map((m) => m.mountPath);
        // DATA_DIR: the app's PGlite and generated data sets, the producer's generated stream rows.
        expect(writable, where).toContain(dataDir);
        // tsx keeps its compile cache in /tmp and exits at start when it cannot create it.
        if (c.args.includes("tsx")) expect(writable, where).toContain("/tmp");
      }
    }
  });

  it("runs replicas behind a service, scaled by an HPA, with probes on real routes", () => {
    const deployment = find("Deployment", "storecast");
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = deployment.spec.template;
    expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    const service = find("Service", "storecast");
    expect(pod.metadata.labels).toMatchObject(service.spec.selector);
    const container = pod.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    // Longer than the app's own shutdown bound (2 x SHUTDOWN_TIMEOUT_MS + 10 s) plus the preStop pause.
    const config = find("ConfigMap", "storecast-config").data!;
    const shutdownS = (2 * Number(config.SHUTDOWN_TIMEOUT_MS)) / 1000 + 10 + 5;
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(shutdownS);
    const hpa = find("HorizontalPodAutoscaler", "storecast");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "storecast" });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it("configures the app with variables it accepts, and runs files that exist", () => {
    const config = find("ConfigMap", "storecast-config").data!;
    const secret = find("Secret", "storecast-secrets").stringData!;
    const parsed = loadConfig({ ...config, ...secret });
    expect(parsed.REDIS_URL).toBeDefined();
    expect(parsed.KAFKA_BROKERS).toBeDefined();
    const documented = read(".env.example");
    for (const key of [...Object.keys(config), ...Object.keys(secret)]) expect(documented, key).toContain(`# ${key}=`);
    for (const o of workloads) {
      for (const c of o.spec.template.spec.containers) {
        for (const ref of c.envFrom) {
          const [kind, name] = ref.configMapRef ? ["ConfigMap", ref.configMapRef.name] : ["Secret", ref.secretRef.name];
          expect(find(kind, name), `${kind} ${name}`).toBeDefined();
        }
      }
    }
  });
});

describe("the CI workflow", () => {
  it("runs the same .ci/run, as root on Debian with Node 20", () => {
    const workflow = parse(read(".github/workflows/ci.yml")) as {
      jobs: Record<string, { container?: { image: string }; steps: { run?: string }[] }>;
    };
    const job = Object.values(workflow.jobs)[0]!;
    expect(job.container?.image).toMatch(/^node:20-bookworm/);
    expect(job.steps.some((s) => s.run?.trim() === "bash .ci/run")).toBe(true);
    expect(exists(".ci/run")).toBe(true);
  });
});
