import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { openDatabase } from "../../../app/platform/db.server.js";
import {
  ALLOWED_EXTRAS,
  actualShape,
  compareShapes,
  expectedShape,
  getDmmf,
  SCHEMA_PATH,
  schemaMatchSuite,
} from "../../support/schema-match.js";

const schemaText = readFileSync(SCHEMA_PATH, "utf8");

/** schema.prisma with `from` (which must occur exactly once) replaced by `to`. */
function edited(from: string, to: string): string {
  const at = schemaText.indexOf(from);
  if (at < 0 || schemaText.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one ${JSON.stringify(from)}`);
  return schemaText.slice(0, at) + to + schemaText.slice(at + from.length);
}

schemaMatchSuite(
  "migrations on an empty in-memory PGlite match schema.prisma",
  async () => {
    const db = await openDatabase({ pgliteDir: "memory://", migrate: false });
    return { db, dispose: () => db.close() };
  },
  (ctx) => {
    const diffsFor = (schema: string) => compareShapes(expectedShape(schema), ctx().actual, ALLOWED_EXTRAS);

    it("reads the schema with Prisma's engine, which rejects an invalid one", () => {
      expect(getDmmf(schemaText).models.map((m) => m.dbName)).toContain("model_versions");
      expect(() => getDmmf(`${schemaText}\nmodel Broken {\n  id Int @id\n  other Nope\n}\n`)).toThrow(/Nope/);
    });

    it("reports a column made optional in the schema", () => {
      expect(diffsFor(edited("train_rows      Int\n", "train_rows      Int?\n"))).toEqual([
        "column model_versions.train_rows: NOT NULL in the database, optional (?) in schema.prisma",
      ]);
    });

    it("reports a model the migrations lack", () => {
      const schema = `${schemaText}\nmodel Extra {\n  id Int @id\n\n  @@map("extras")\n}\n`;
      expect(diffsFor(schema)).toEqual(["table extras: in schema.prisma, missing from the database"]);
    });

    it("reports a column the schema lacks", () => {
      expect(diffsFor(edited("  cv_mdae         Float?\n", ""))).toEqual([
        "column model_versions.cv_mdae: in the database, missing from schema.prisma",
      ]);
    });

    it("reports a different native type, default and table name", () => {
      expect(
        diffsFor(edited("stage           String          @db.VarChar(20)", "stage String @db.VarChar(30)")),
      ).toEqual([
        "column model_versions.stage: type is character varying(20) in the database, character varying(30) in schema.prisma",
      ]);
      expect(diffsFor(edited("progress_done  Int              @default(0)", "progress_done Int @default(1)"))).toEqual([
        "column pipeline_runs.progress_done: default is 0 in the database, 1 in schema.prisma",
      ]);
      expect(diffsFor(edited('@@map("stream_rejects")', '@@map("stream_rejections")'))).toEqual([
        "table stream_rejections: in schema.prisma, missing from the database",
        "table stream_rejects: in the database, missing from schema.prisma",
      ]);
    });

    it("reports unique indexes, index names and referential actions that differ", () => {
      expect(diffsFor(edited('@@unique([model_id, version], map: "model_versions_model_id_version_key")', ""))).toEqual(
        [
          "unique index model_versions_model_id_version_key on model_versions(model_id, version): in the database, missing from schema.prisma",
        ],
      );
      expect(diffsFor(edited('map: "stream_rejects_received_at_idx"', 'map: "stream_rejects_received_idx"'))).toEqual([
        "index stream_rejects_received_idx on stream_rejects(received_at): named stream_rejects_received_at_idx in the database",
      ]);
      expect(diffsFor(edited("references: [id], onDelete: Cascade)", "references: [id])"))).toEqual([
        "foreign key model_versions(model_id) -> registered_models(id): ON DELETE CASCADE in the database, RESTRICT in schema.prisma",
      ]);
    });

    it("reports the partial index when it is not allowed", () => {
      expect(compareShapes(expectedShape(schemaText), ctx().actual, [])).toEqual([
        "unique index model_versions_one_production_key on model_versions(model_id) WHERE ((stage)::text = 'production'::text): in the database, missing from schema.prisma",
      ]);
    });

    it("reports changes made to the database", async () => {
      const { sql } = ctx().db;
      await sql.exec("BEGIN");
      try {
        await sql.exec(`
          ALTER TABLE stores ADD COLUMN region TEXT;
          ALTER TABLE stream_rejects ALTER COLUMN topic SET NOT NULL;
          ALTER TABLE pipeline_runs ALTER COLUMN progress_total DROP DEFAULT;
          CREATE UNIQUE INDEX stores_store_type_key ON stores (store_type);
          CREATE TABLE stray (id INT);
        `);
        const changed = await actualShape(sql);
        expect(compareShapes(ctx().expected, changed, ALLOWED_EXTRAS).sort()).toEqual(
          [
            "column pipeline_runs.progress_total: default is none in the database, 0 in schema.prisma",
            "column stores.region: in the database, missing from schema.prisma",
            "column stream_rejects.topic: NOT NULL in the database, optional (?) in schema.prisma",
            "table stray: in the database, missing from schema.prisma",
            "unique index stores_store_type_key on stores(store_type): in the database, missing from schema.prisma",
          ].sort(),
        );
      } finally {
        await sql.exec("ROLLBACK");
      }
      expect(compareShapes(ctx().expected, await actualShape(sql), ALLOWED_EXTRAS)).toEqual([]);
    });
  },
);
