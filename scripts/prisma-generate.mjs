// `prisma generate` without network: Prisma Client 7 needs no engine, but the CLI insists on
// locating (and otherwise downloading) the schema engine before it generates. Any existing
// file satisfies that check, and generate never runs it. See docs/decisions/0001.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
const result = spawnSync("prisma", ["generate", ...process.argv.slice(2)], {
  stdio: "inherit",
  env,
  shell: process.platform === "win32",
});
process.exit(result.status ?? 1);
