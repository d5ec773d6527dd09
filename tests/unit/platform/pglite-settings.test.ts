import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, PGLITE_SETTINGS } from "../../../app/platform/db.server.js";

// PGlite's shared memory is resident for the process's life (docs/decisions/0041): the embedded
// database must start with the small settings, on disk (the data directory's initdb writes 128MB) and in memory.
describe("PGlite memory settings", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "storecast-pglite-settings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const where of ["on disk", "in memory"]) {
    it(`applies them ${where}, and again when the data directory is opened a second time`, async () => {
      for (let open = 0; open < (where === "on disk" ? 2 : 1); open++) {
        const db = await openDatabase({ pgliteDir: where === "on disk" ? path.join(dir, "pglite") : "memory://" });
        try {
          for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
            const [row] = await db.sql.query<Record<string, string>>(`SHOW ${name}`);
            expect({ name, value: row?.[name] }).toEqual({ name, value });
          }
          expect(PGLITE_SETTINGS.shared_buffers).toBe("16MB");
        } finally {
          await db.close();
        }
      }
    }, 60_000);
  }
});
