#!/usr/bin/env node
// Cuts an `npm ci --omit=dev` node_modules down to what the running app can load (the Dockerfile's
// prod-deps stage runs it; docs/decisions/0044).
//
// npm keeps a package that is both a dev dependency and an optional peer of a production one
// (`devOptional` in the lockfile), and neither --omit=dev nor --omit=peer drops it: @prisma/client 7
// names `prisma` (the CLI, ~170 MB with Prisma Studio, its dev server and `effect`) and `typescript`
// as optional peers. So the runtime set is computed from the lockfile instead: our `dependencies`,
// then each package's dependencies, optional dependencies and required (non-optional) peers, resolved
// as Node resolves them (nearest node_modules up the tree). Everything else installed is removed, and
// so is what never loads at run time: type declarations, source maps, @types packages and the Prisma
// query compilers of the databases the generated client does not use.
//
//   node scripts/container/prune-runtime-deps.mjs [--dry-run] [--generated app/generated/prisma]
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const dryRun = args.includes("--dry-run");
const generatedAt = args.includes("--generated") ? args[args.indexOf("--generated") + 1] : "app/generated/prisma";
const root = process.cwd();
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const packages = lock.packages ?? {};

/** The lockfile key Node would load `name` from, required by the package at `from` ("" is the root). */
function resolve(from, name) {
  let dir = from;
  for (;;) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut < 0 ? "" : dir.slice(0, cut);
  }
}

const keep = new Set();
const queue = [""];
while (queue.length > 0) {
  const at = queue.pop();
  const pkg = packages[at];
  const optionalPeers = pkg.peerDependenciesMeta ?? {};
  const names = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optionalPeers[n]?.optional),
  ];
  for (const name of names) {
    if (name.startsWith("@types/")) continue; // declarations only: never loaded
    const key = resolve(at, name);
    if (key && !keep.has(key)) {
      keep.add(key);
      queue.push(key);
    }
  }
}

let removedBytes = 0;
let removedPackages = 0;
const sizeOf = (path) => {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of readdirSync(path)) total += sizeOf(join(path, entry));
  return total;
};
const remove = (path) => {
  removedBytes += sizeOf(path);
  if (!dryRun) rmSync(path, { recursive: true, force: true });
};

// Deepest first, so a kept package's own node_modules is looked at before its parent goes.
const installed = Object.keys(packages)
  .filter((key) => key.startsWith("node_modules/") && !packages[key].link)
  .sort((a, b) => b.length - a.length);
for (const key of installed) {
  if (keep.has(key) || !existsSync(join(root, key))) continue;
  remove(join(root, key));
  removedPackages += 1;
}

// Files no running process reads.
const useless = /(\.d\.[cm]?ts|\.map)$/;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (useless.test(entry.name)) remove(path);
  }
};
walk(join(root, "node_modules"));

// The generated client imports the query compiler of its own database (and one build of it).
const runtimeDir = join(root, "node_modules/@prisma/client/runtime");
if (existsSync(runtimeDir) && existsSync(generatedAt)) {
  const source = [];
  const collect = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) collect(path);
      else if (/\.[cm]?[jt]s$/.test(entry.name)) source.push(readFileSync(path, "utf8"));
    }
  };
  collect(generatedAt);
  const used = new Set(source.join("\n").match(/query_compiler_[a-z]+_bg\.[a-z]+/g) ?? []);
  if (used.size === 0) throw new Error(`no query compiler named in ${generatedAt}: refusing to prune Prisma's runtime`);
  for (const file of readdirSync(runtimeDir)) {
    const compiler = file.match(/^query_compiler_[a-z]+_bg\.[a-z]+/)?.[0];
    if (compiler && !used.has(compiler)) remove(join(runtimeDir, file));
  }
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.error(
  `prune-runtime-deps: ${dryRun ? "would remove" : "removed"} ${removedPackages} packages the app never loads ` +
    `and unused files: ${mb(removedBytes)} (${keep.size} packages kept)`,
);
