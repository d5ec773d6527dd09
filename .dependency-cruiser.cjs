// The import rules of docs/ARCHITECTURE.md ("Layers and folders"), checked by
// tests/unit/architecture.test.ts in `npm test`. Paths are relative to the repository root.
const DOMAINS = "(model|registry|pipelines|sales|stores|forecasting|training|monitoring|auth|audit|retention)";
const EDGES = "(server|routes|components|charts)";
const VOCABULARY = "app/(rossmann|days|errors|series)\\.ts$";
/** Packages that talk to a database, a broker, a queue or a log: I/O the pure model never does. */
const IO_PACKAGES =
  "node_modules/(pg|pg-[^/]+|@electric-sql|@prisma|pglite-prisma-adapter|kafkajs|bullmq|ioredis|pino)/";

/** A domain folder must not import the folders listed (a lower layer never imports a higher one). */
const notAbove = (domain, higher) => ({
  name: `${domain}-below-${higher.replaceAll("|", "-")}`,
  comment: `app/${domain} is below ${higher}: it must not import them (docs/ARCHITECTURE.md)`,
  severity: "error",
  from: { path: `^app/${domain}/` },
  to: { path: `^app/(${higher})/` },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "Modules import each other in one direction only.",
      severity: "error",
      from: { path: "^(app|workers|scripts)/|^server\\.ts$" },
      to: { circular: true },
    },
    {
      name: "vocabulary-is-a-leaf",
      comment: "The shared vocabulary at the top of app/ imports only itself.",
      severity: "error",
      from: { path: `^${VOCABULARY}` },
      to: { path: "^app/", pathNot: `^${VOCABULARY}` },
    },
    {
      name: "ports-import-no-domain",
      comment: "The ports and their adapters (jobs/, stream/) know no domain and no edge.",
      severity: "error",
      from: { path: "^app/(jobs|stream)/" },
      to: { path: `^app/(${DOMAINS.slice(1, -1)}|${EDGES.slice(1, -1)})/` },
    },
    {
      name: "platform-imports-no-domain",
      comment: "platform/ (config, log, db, migrate, metrics) imports the vocabulary and the ports' types only.",
      severity: "error",
      from: { path: "^app/platform/" },
      to: { path: `^app/(${DOMAINS.slice(1, -1)}|${EDGES.slice(1, -1)})/|^app/(jobs|stream)/(?!port\\.ts$)` },
    },
    {
      name: "model-imports-no-io",
      comment:
        "The model (Prophet, its data types, the thread pool) imports only the vocabulary and packages that do no I/O.",
      severity: "error",
      from: { path: "^app/model/" },
      to: { path: `^app/(?!model/|days\\.ts$|rossmann\\.ts$)|^${IO_PACKAGES}` },
    },
    {
      name: "pure-model-is-pure",
      comment: "The model's pure modules (no .server suffix) load no WASM and touch no file, thread or network.",
      severity: "error",
      from: { path: "^app/model/(?!.*\\.server\\.ts$)" },
      to: {
        path: "\\.server\\.ts$|^node_modules/@bsull/|^(fs|fs/promises|net|http|https|child_process|worker_threads)$",
      },
    },
    {
      name: "io-modules-end-in-server",
      comment:
        "A module that does I/O (files, network, threads, a database, a broker, WASM) is server-only: its name ends in .server.ts, so Remix keeps it out of the browser bundle.",
      severity: "error",
      from: { path: "^app/(?!routes/|generated/).*(?<!\\.server)\\.tsx?$" },
      to: {
        path: `^${IO_PACKAGES}|^node_modules/(piscina|@bsull)/|^(fs|fs/promises|net|http|https|child_process|worker_threads)$`,
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "domains-import-no-edge",
      comment: "Domain modules are called by the edges (routes, server, UI), never the reverse.",
      severity: "error",
      from: { path: `^app/${DOMAINS}/` },
      to: { path: `^app/${EDGES}/|^workers/|^server\\.ts$` },
    },
    notAbove("registry", "pipelines|sales|stores|forecasting|training|monitoring"),
    notAbove("pipelines", "sales|stores|forecasting|training|monitoring"),
    notAbove("sales", "stores|forecasting|training|monitoring|registry"),
    notAbove("stores", "forecasting|training|monitoring"),
    notAbove("forecasting", "training|monitoring|sales|stores"),
    notAbove("training", "monitoring|sales|stores"),
    {
      name: "routes-hold-no-sql",
      comment: "Routes call domain modules; the database, its client and SQL are not theirs (docs/decisions/0012).",
      severity: "error",
      from: { path: "^app/routes/" },
      to: {
        path: "^app/platform/(db|migrate)\\.server\\.ts$|^app/generated/|^node_modules/(pg|@prisma|@electric-sql|pglite-prisma-adapter)/",
      },
    },
    {
      name: "routes-use-ports-not-adapters",
      comment: "Routes reach the queue and the stream through the load context's ports, never an adapter.",
      severity: "error",
      from: { path: "^app/routes/" },
      to: { path: "^app/(jobs|stream)/", pathNot: "^app/(jobs|stream)/(port|dedupe)\\.ts$" },
    },
    {
      name: "ui-imports-no-server-code",
      comment: "Components and chart specs run in the browser: they may use server modules' types, not their code.",
      severity: "error",
      from: { path: "^app/(components|charts)/" },
      to: { path: "\\.server\\.tsx?$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "server-imports-no-route",
      comment: "server/ is the plumbing the routes stand on: it imports no route or route-local module.",
      severity: "error",
      from: { path: "^app/server/" },
      to: { path: "^app/routes/" },
    },
    {
      name: "app-imports-no-process-code",
      comment: "app/ is imported by the process entry, the workers and the scripts, never the other way round.",
      severity: "error",
      from: { path: "^app/" },
      to: { path: "^(workers|scripts|tests)/|^server\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^app/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".mjs"] },
    moduleSystems: ["es6"],
  },
};
