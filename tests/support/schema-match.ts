/**
 * Proves that the database built by prisma/migrations is the one prisma/schema.prisma describes.
 *
 * The schema is read by Prisma's own schema engine (the WASM module the `prisma` package ships,
 * the one `prisma generate` uses), through its DMMF. The database is read from pg_catalog. Both are
 * reduced to the same shape (tables, columns, indexes, foreign keys, enums) and compared both ways.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/platform/db.server.js";
import type { MigrateResult, SqlSession } from "../../app/platform/migrate.server.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const SCHEMA_PATH = path.join(ROOT, "prisma/schema.prisma");
export const MIGRATIONS_PATH = path.join(ROOT, "prisma/migrations");
/** What scripts/start-postgres.sh sets up and prints. */

// ---------------------------------------------------------------------------------------------
// Prisma's schema engine (WASM), with a minimal wasm-bindgen glue of our own: the `prisma`
// package bundles its glue inside build/cli.js, which exports nothing.

/** The parts of Prisma's DMMF that describe the database. */
export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  type: string;
  /** [name, args], e.g. ["VarChar", ["100"]]. */
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationName?: string;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  schema: string | null;
  fields: DmmfField[];
}

export interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  isDefinedOnField: boolean;
  dbName?: string | null;
  algorithm?: string;
  fields: { name: string; sortOrder?: "asc" | "desc"; length?: number; operatorClass?: string }[];
}

export interface DmmfDatamodel {
  enums: { name: string; dbName: string | null; values: { name: string; dbName: string | null }[] }[];
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

interface SchemaWasm {
  memory: WebAssembly.Memory;
  __wbindgen_externrefs: WebAssembly.Table;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  __externref_table_dealloc(index: number): void;
  __wbindgen_start(): void;
  get_dmmf(ptr: number, len: number): [number, number, number, number];
}

function findSchemaWasm(): string {
  const require = createRequire(import.meta.url);
  const buildDir = path.join(path.dirname(require.resolve("prisma/package.json")), "build");
  const file = readdirSync(buildDir).find((f) => /^prisma_schema.*_bg\.wasm$/.test(f));
  if (!file) throw new Error(`no prisma_schema*_bg.wasm in ${buildDir}`);
  return path.join(buildDir, file);
}

let wasm: SchemaWasm | undefined;
/** What the engine said when it last panicked (a panic surfaces as a bare RuntimeError). */
let panicMessage = "";
const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });

function schemaWasm(): SchemaWasm {
  if (wasm) return wasm;
  const module = new WebAssembly.Module(readFileSync(findSchemaWasm()));
  let ex: SchemaWasm | undefined;
  const text = (ptr: number, len: number) =>
    decoder.decode(new Uint8Array(ex!.memory.buffer).subarray(ptr >>> 0, (ptr >>> 0) + len));
  const imports: Record<string, Record<string, (...args: number[]) => unknown>> = {};
  // wasm-bindgen suffixes its imports with a hash that changes between builds: match by prefix.
  for (const imp of WebAssembly.Module.imports(module)) {
    let fn: (...args: number[]) => unknown;
    if (imp.name.startsWith("__wbg_set_message_")) {
      fn = (ptr, len) => {
        panicMessage = text(ptr!, len!);
      };
    } else if (imp.name.startsWith("__wbg_Error_")) {
      fn = (ptr, len) => new Error(text(ptr!, len!));
    } else if (imp.name.startsWith("__wbg___wbindgen_throw_")) {
      fn = (ptr, len) => {
        throw new Error(text(ptr!, len!));
      };
    } else if (imp.name === "__wbindgen_init_externref_table") {
      fn = () => {
        const table = ex!.__wbindgen_externrefs;
        const offset = table.grow(4);
        table.set(0, undefined);
        table.set(offset, undefined);
        table.set(offset + 1, null);
        table.set(offset + 2, true);
        table.set(offset + 3, false);
      };
    } else {
      throw new Error(`the Prisma schema WASM wants an import this glue lacks: ${imp.module}.${imp.name}`);
    }
    imports[imp.module] ??= {};
    imports[imp.module]![imp.name] = fn;
  }
  ex = new WebAssembly.Instance(module, imports as WebAssembly.Imports).exports as unknown as SchemaWasm;
  ex.__wbindgen_start();
  wasm = ex;
  return ex;
}

/** Parses and validates a Prisma schema with Prisma's engine; throws its validation errors. */
export function getDmmf(prismaSchema: string): DmmfDatamodel {
  const ex = schemaWasm();
  const bytes = new TextEncoder().encode(JSON.stringify({ prismaSchema, noColor: true }));
  const ptr = ex.__wbindgen_malloc(bytes.length, 1) >>> 0;
  new Uint8Array(ex.memory.buffer).set(bytes, ptr);
  let result: [number, number, number, number];
  try {
    panicMessage = "";
    result = ex.get_dmmf(ptr, bytes.length);
  } catch (err) {
    wasm = undefined; // a panicked instance is not reusable
    throw new Error(`Prisma's schema engine panicked: ${panicMessage || (err as Error).message}`);
  }
  const [outPtr, outLen, errIndex, isErr] = result;
  if (isErr) {
    const err = ex.__wbindgen_externrefs.get(errIndex) as Error;
    ex.__externref_table_dealloc(errIndex);
    let message = err.message;
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {}
    throw new Error(`schema.prisma is invalid: ${message}`);
  }
  try {
    return (
      JSON.parse(decoder.decode(new Uint8Array(ex.memory.buffer).subarray(outPtr, outPtr + outLen))) as {
        datamodel: DmmfDatamodel;
      }
    ).datamodel;
  } finally {
    ex.__wbindgen_free(outPtr, outLen, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// The common shape both sides are reduced to.

export interface ColumnShape {
  /** As Postgres' format_type() prints it, e.g. "character varying(100)". */
  type: string;
  nullable: boolean;
  /** Normalized: "autoincrement", "CURRENT_TIMESTAMP", a literal's text, or an expression. */
  default: string | null;
}

export interface IndexShape {
  table: string;
  name: string;
  /** Column names, " DESC" appended for descending keys. */
  columns: string[];
  primary: boolean;
  unique: boolean;
  method: string;
  /** WHERE clause of a partial index. */
  predicate: string | null;
  /** An index on an expression (never from schema.prisma). */
  hasExpressions: boolean;
}

export interface ForeignKeyShape {
  table: string;
  name?: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface SchemaShape {
  tables: Map<string, Map<string, ColumnShape>>;
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
  enums: Map<string, string[]>;
}

/** An object in the database that schema.prisma cannot express, allowed with a reason. */
export interface AllowedExtra {
  kind: "index";
  table: string;
  name: string;
  reason: string;
}

/** Tables that exist beside the schema's by design. */
const BOOKKEEPING_TABLES = new Set(["_prisma_migrations"]);

// Postgres truncates identifiers to 63 bytes; Prisma names constraints to fit.
const MAX_IDENTIFIER = 63;
function constraintName(table: string, columns: string[], suffix: string): string {
  const base = columns.length ? `${table}_${columns.join("_")}` : table;
  return `${base.slice(0, MAX_IDENTIFIER - suffix.length - 1)}_${suffix}`;
}

const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Float: "double precision",
  Decimal: "numeric(65,30)",
  Boolean: "boolean",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Bytes: "bytea",
};

const withArgs = (name: string, args: string[]) => (args.length ? `${name}(${args.join(",")})` : name);

/** @db.X types that take no arguments. */
const PLAIN_NATIVE_TYPES: Record<string, string> = {
  Text: "text",
  Uuid: "uuid",
  Xml: "xml",
  Inet: "inet",
  Citext: "citext",
  Boolean: "boolean",
  Integer: "integer",
  SmallInt: "smallint",
  Oid: "oid",
  BigInt: "bigint",
  Money: "money",
  Real: "real",
  DoublePrecision: "double precision",
  Date: "date",
  Json: "json",
  JsonB: "jsonb",
  ByteA: "bytea",
};

function nativePostgresType(name: string, args: string[]): string | undefined {
  const zoned = (base: string, zone: "with" | "without") =>
    args.length ? `${base}(${args[0]}) ${zone} time zone` : `${base} ${zone} time zone`;
  switch (name) {
    case "Char":
      return withArgs("character", args.length ? args : ["1"]);
    case "VarChar":
      return withArgs("character varying", args);
    case "Bit":
      return withArgs("bit", args.length ? args : ["1"]);
    case "VarBit":
      return withArgs("bit varying", args);
    case "Decimal":
      return withArgs("numeric", args);
    case "Time":
      return zoned("time", "without");
    case "Timetz":
      return zoned("time", "with");
    case "Timestamp":
      return zoned("timestamp", "without");
    case "Timestamptz":
      return zoned("timestamp", "with");
    default:
      return PLAIN_NATIVE_TYPES[name];
  }
}

/** The Postgres type Prisma's migrations create for a field, as format_type() prints it. */
export function postgresType(field: DmmfField, enumDbName: (name: string) => string): string {
  let type: string | undefined;
  if (field.kind === "enum") {
    type = enumDbName(field.type);
  } else if (field.nativeType) {
    const [name, args] = field.nativeType;
    type = nativePostgresType(name, args);
    if (!type) throw new Error(`field ${field.name}: no Postgres mapping for @db.${name}`);
  } else {
    type = SCALAR_TYPES[field.type];
    if (!type) throw new Error(`field ${field.name}: no Postgres mapping for type ${field.type}`);
  }
  return field.isList ? `${type}[]` : type;
}

/** What Prisma puts in DEFAULT for a field's @default, normalized like normalizeDbDefault(). */
export function expectedDefault(field: DmmfField, enumValueDbName: (value: string) => string): string | null {
  if (!field.hasDefaultValue || field.default === undefined) return null;
  const d = field.default;
  if (d !== null && typeof d === "object" && !Array.isArray(d) && "name" in d) {
    const fn = d as { name: string; args: unknown[] };
    switch (fn.name) {
      case "autoincrement":
        return "autoincrement";
      case "now":
        return "CURRENT_TIMESTAMP";
      case "dbgenerated":
        return fn.args.length ? normalizeExpression(String(fn.args[0])) : null;
      default:
        // uuid(), cuid(), nanoid(), ulid(): made by Prisma Client, not the database.
        return null;
    }
  }
  const literal = (v: unknown) => (field.kind === "enum" ? enumValueDbName(String(v)) : String(v));
  if (Array.isArray(d)) return `{${d.map(literal).join(",")}}`;
  return literal(d);
}

const normalizeExpression = (s: string) => s.replace(/\s+/g, " ").trim();

/** Reduces a pg_get_expr() default to the form expectedDefault() gives. */
export function normalizeDbDefault(expr: string | null): string | null {
  if (expr === null) return null;
  const e = normalizeExpression(expr);
  if (/^nextval\('[^']+'::regclass\)$/.test(e)) return "autoincrement";
  // now() and CURRENT_TIMESTAMP are the same default; Prisma writes the latter.
  if (/^(CURRENT_TIMESTAMP|now\(\))$/i.test(e)) return "CURRENT_TIMESTAMP";
  const quoted = /^'((?:[^']|'')*)'(?:::[\w ".()[\]]+)*$/.exec(e);
  if (quoted) return quoted[1]!.replaceAll("''", "'");
  const number = /^\(?(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\)?(?:::[\w ".()[\]]+)*$/i.exec(e);
  if (number) return number[1]!;
  const array = /^ARRAY\[(.*)\](?:::[\w ".()[\]]+)*$/.exec(e);
  if (array)
    return `{${array[1]!
      .split(",")
      .map((v) => normalizeDbDefault(v.trim()))
      .join(",")}}`;
  return e;
}

const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: "CASCADE",
  Restrict: "RESTRICT",
  NoAction: "NO ACTION",
  SetNull: "SET NULL",
  SetDefault: "SET DEFAULT",
};
const PG_REFERENTIAL_ACTIONS: Record<string, string> = {
  a: "NO ACTION",
  r: "RESTRICT",
  c: "CASCADE",
  n: "SET NULL",
  d: "SET DEFAULT",
};

/** What the migrations must create for a schema.prisma text. */
export function expectedShape(prismaSchema: string): SchemaShape {
  const dm = getDmmf(prismaSchema);
  const enums = new Map(dm.enums.map((e) => [e.name, e]));
  const models = new Map(dm.models.map((m) => [m.name, m]));
  const tableOf = (model: string) => {
    const m = models.get(model);
    if (!m) throw new Error(`unknown model ${model}`);
    return m.dbName ?? m.name;
  };
  const columnOf = (model: string, field: string) => {
    const f = models.get(model)?.fields.find((x) => x.name === field);
    if (!f) throw new Error(`unknown field ${model}.${field}`);
    return f.dbName ?? f.name;
  };
  const shape: SchemaShape = { tables: new Map(), indexes: [], foreignKeys: [], enums: new Map() };

  for (const e of dm.enums) {
    shape.enums.set(
      e.dbName ?? e.name,
      e.values.map((v) => v.dbName ?? v.name),
    );
  }

  for (const model of dm.models) {
    const table = model.dbName ?? model.name;
    const columns = new Map<string, ColumnShape>();
    for (const field of model.fields) {
      if (field.kind === "object") {
        const from = field.relationFromFields ?? [];
        if (from.length === 0) continue; // the back-relation side holds no columns
        const optional = !field.isRequired;
        shape.foreignKeys.push({
          table,
          columns: from.map((f) => columnOf(model.name, f)),
          refTable: tableOf(field.type),
          refColumns: (field.relationToFields ?? []).map((f) => columnOf(field.type, f)),
          // Prisma's defaults: SetNull for an optional relation, Restrict for a required one.
          onDelete: REFERENTIAL_ACTIONS[field.relationOnDelete ?? (optional ? "SetNull" : "Restrict")]!,
          onUpdate: REFERENTIAL_ACTIONS[field.relationOnUpdate ?? "Cascade"]!,
        });
        continue;
      }
      const enumOf = (name: string) => {
        const e = enums.get(name);
        return e?.dbName ?? name;
      };
      const enumValue = (value: string) => {
        const e = enums.get(field.type);
        const v = e?.values.find((x) => x.name === value);
        return v?.dbName ?? value;
      };
      columns.set(field.dbName ?? field.name, {
        type: postgresType(field, enumOf),
        nullable: !field.isRequired,
        default: expectedDefault(field, enumValue),
      });
    }
    shape.tables.set(table, columns);
  }

  for (const idx of dm.indexes) {
    const table = tableOf(idx.model);
    const cols = idx.fields.map((f) => columnOf(idx.model, f.name));
    const suffix = idx.type === "id" ? "pkey" : idx.type === "unique" ? "key" : "idx";
    shape.indexes.push({
      table,
      name: idx.dbName ?? constraintName(table, idx.type === "id" ? [] : cols, suffix),
      columns: idx.fields.map((f, i) => (f.sortOrder === "desc" ? `${cols[i]} DESC` : cols[i]!)),
      primary: idx.type === "id",
      unique: idx.type === "id" || idx.type === "unique",
      method: (idx.algorithm ?? "BTree").toLowerCase(),
      predicate: null,
      hasExpressions: false,
    });
  }
  return shape;
}

/** What the migrations did create, in the session's current schema. */
export async function actualShape(sql: SqlSession): Promise<SchemaShape> {
  const columns = await sql.query<{
    table: string;
    column: string;
    type: string;
    not_null: boolean;
    default: string | null;
    identity: string;
    generated: string;
  }>(`
    SELECT c.relname::text AS table, a.attname::text AS column,
           format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           pg_get_expr(d.adbin, d.adrelid) AS default,
           a.attidentity::text AS identity, a.attgenerated::text AS generated
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
    ORDER BY c.relname, a.attnum`);
  const tables = await sql.query<{ table: string }>(`
    SELECT c.relname::text AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`);
  const indexes = await sql.query<{
    table: string;
    name: string;
    columns: string[];
    primary: boolean;
    unique: boolean;
    method: string;
    predicate: string | null;
    has_expressions: boolean;
  }>(`
    SELECT t.relname::text AS table, i.relname::text AS name,
           ARRAY(
             SELECT a.attname::text || CASE WHEN k.opt & 1 = 1 THEN ' DESC' ELSE '' END
             FROM unnest(ix.indkey::int2[], ix.indoption::int2[]) WITH ORDINALITY AS k(attnum, opt, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE k.ord <= ix.indnkeyatts
             ORDER BY k.ord
           )::text[] AS columns,
           ix.indisprimary AS primary, ix.indisunique AS unique, am.amname::text AS method,
           pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
           ix.indexprs IS NOT NULL AS has_expressions
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    WHERE n.nspname = current_schema()
    ORDER BY t.relname, i.relname`);
  const fks = await sql.query<{
    table: string;
    name: string;
    columns: string[];
    ref_table: string;
    ref_columns: string[];
    on_delete: string;
    on_update: string;
  }>(`
    SELECT t.relname::text AS table, con.conname::text AS name, rt.relname::text AS ref_table,
           ARRAY(
             SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord
           )::text[] AS columns,
           ARRAY(
             SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord
           )::text[] AS ref_columns,
           con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class rt ON rt.oid = con.confrelid
    WHERE con.contype = 'f' AND n.nspname = current_schema()
    ORDER BY t.relname, con.conname`);
  const enumRows = await sql.query<{ name: string; value: string }>(`
    SELECT t.typname::text AS name, e.enumlabel::text AS value
    FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname = current_schema()
    ORDER BY t.typname, e.enumsortorder`);

  const shape: SchemaShape = { tables: new Map(), indexes: [], foreignKeys: [], enums: new Map() };
  for (const { table } of tables) shape.tables.set(table, new Map());
  for (const c of columns) {
    let def = normalizeDbDefault(c.default);
    if (c.identity === "a" || c.identity === "d") def = "identity";
    if (c.generated === "s") def = `generated: ${c.default}`;
    shape.tables.get(c.table)!.set(c.column, {
      type: c.type.replaceAll('"', ""),
      nullable: !c.not_null,
      default: def,
    });
  }
  shape.indexes = indexes.map((i) => ({
    table: i.table,
    name: i.name,
    columns: i.columns,
    primary: i.primary,
    unique: i.unique,
    method: i.method,
    predicate: i.predicate,
    hasExpressions: i.has_expressions,
  }));
  shape.foreignKeys = fks.map((f) => ({
    table: f.table,
    name: f.name,
    columns: f.columns,
    refTable: f.ref_table,
    refColumns: f.ref_columns,
    onDelete: PG_REFERENTIAL_ACTIONS[f.on_delete] ?? f.on_delete,
    onUpdate: PG_REFERENTIAL_ACTIONS[f.on_update] ?? f.on_update,
  }));
  for (const { name, value } of enumRows) {
    shape.enums.set(name, [...(shape.enums.get(name) ?? []), value]);
  }
  return shape;
}

const list = (cols: string[]) => `(${cols.join(", ")})`;
const describeIndex = (i: IndexShape) =>
  `${i.primary ? "primary key" : i.unique ? "unique index" : "index"} ${i.name} on ${i.table}${list(i.columns)}`;

/**
 * Every way the database differs from what schema.prisma describes, one line each; empty when
 * they match. `allowed` names database objects the schema cannot express.
 */
export function compareShapes(expected: SchemaShape, actual: SchemaShape, allowed: AllowedExtra[] = []): string[] {
  const diffs: string[] = [];
  // A table missing on one side is one difference, not one more per index and foreign key on it.
  const tableMissing = (table: string) =>
    BOOKKEEPING_TABLES.has(table) || !expected.tables.has(table) || !actual.tables.has(table);

  for (const [table, columns] of expected.tables) {
    const dbColumns = actual.tables.get(table);
    if (!dbColumns) {
      diffs.push(`table ${table}: in schema.prisma, missing from the database`);
      continue;
    }
    for (const [name, want] of columns) {
      const got = dbColumns.get(name);
      if (!got) {
        diffs.push(`column ${table}.${name}: in schema.prisma, missing from the database`);
        continue;
      }
      if (got.type !== want.type) {
        diffs.push(`column ${table}.${name}: type is ${got.type} in the database, ${want.type} in schema.prisma`);
      }
      if (got.nullable !== want.nullable) {
        diffs.push(
          `column ${table}.${name}: ${got.nullable ? "nullable" : "NOT NULL"} in the database, ${
            want.nullable ? "optional (?)" : "required"
          } in schema.prisma`,
        );
      }
      if (got.default !== want.default) {
        diffs.push(
          `column ${table}.${name}: default is ${got.default ?? "none"} in the database, ${
            want.default ?? "none"
          } in schema.prisma`,
        );
      }
    }
    for (const name of dbColumns.keys()) {
      if (!columns.has(name)) diffs.push(`column ${table}.${name}: in the database, missing from schema.prisma`);
    }
  }
  for (const table of actual.tables.keys()) {
    if (!expected.tables.has(table) && !BOOKKEEPING_TABLES.has(table)) {
      diffs.push(`table ${table}: in the database, missing from schema.prisma`);
    }
  }

  const sameKey = (a: IndexShape, b: IndexShape) =>
    a.table === b.table &&
    a.primary === b.primary &&
    a.unique === b.unique &&
    a.columns.join(",") === b.columns.join(",") &&
    a.predicate === null &&
    b.predicate === null &&
    !a.hasExpressions &&
    !b.hasExpressions;
  const matched = new Set<IndexShape>();
  for (const want of expected.indexes) {
    if (tableMissing(want.table)) continue;
    const got = actual.indexes.find((i) => !matched.has(i) && sameKey(i, want));
    if (!got) {
      diffs.push(`${describeIndex(want)}: in schema.prisma, missing from the database`);
      continue;
    }
    matched.add(got);
    if (got.name !== want.name) diffs.push(`${describeIndex(want)}: named ${got.name} in the database`);
    if (got.method !== want.method) {
      diffs.push(`${describeIndex(want)}: uses ${got.method} in the database, ${want.method} in schema.prisma`);
    }
  }
  for (const got of actual.indexes) {
    if (matched.has(got) || tableMissing(got.table)) continue;
    if (allowed.some((a) => a.kind === "index" && a.table === got.table && a.name === got.name)) continue;
    const partial = got.predicate ? ` WHERE ${got.predicate}` : "";
    diffs.push(`${describeIndex(got)}${partial}: in the database, missing from schema.prisma`);
  }

  const fkKey = (f: ForeignKeyShape) => `${f.table}${list(f.columns)}`;
  const describeFk = (f: ForeignKeyShape) => `foreign key ${fkKey(f)} -> ${f.refTable}${list(f.refColumns)}`;
  const fkMatched = new Set<ForeignKeyShape>();
  for (const want of expected.foreignKeys) {
    if (tableMissing(want.table)) continue;
    const got = actual.foreignKeys.find((f) => !fkMatched.has(f) && fkKey(f) === fkKey(want));
    if (!got) {
      diffs.push(`${describeFk(want)}: in schema.prisma, missing from the database`);
      continue;
    }
    fkMatched.add(got);
    if (got.refTable !== want.refTable || got.refColumns.join(",") !== want.refColumns.join(",")) {
      diffs.push(`${describeFk(want)}: references ${got.refTable}${list(got.refColumns)} in the database`);
    }
    if (got.onDelete !== want.onDelete) {
      diffs.push(`${describeFk(want)}: ON DELETE ${got.onDelete} in the database, ${want.onDelete} in schema.prisma`);
    }
    if (got.onUpdate !== want.onUpdate) {
      diffs.push(`${describeFk(want)}: ON UPDATE ${got.onUpdate} in the database, ${want.onUpdate} in schema.prisma`);
    }
  }
  for (const got of actual.foreignKeys) {
    if (!fkMatched.has(got) && !tableMissing(got.table)) {
      diffs.push(`${describeFk(got)} (${got.name}): in the database, missing from schema.prisma`);
    }
  }

  for (const [name, values] of expected.enums) {
    const got = actual.enums.get(name);
    if (!got) diffs.push(`enum ${name}: in schema.prisma, missing from the database`);
    else if (got.join(",") !== values.join(",")) {
      diffs.push(`enum ${name}: values (${got.join(", ")}) in the database, (${values.join(", ")}) in schema.prisma`);
    }
  }
  for (const name of actual.enums.keys()) {
    if (!expected.enums.has(name)) diffs.push(`enum ${name}: in the database, missing from schema.prisma`);
  }
  return diffs;
}

// ---------------------------------------------------------------------------------------------
// The suite both the unit (PGlite) and the integration (Postgres) tests run.

/** The migration adds these; Prisma's schema language cannot express them. */
export const ALLOWED_EXTRAS: AllowedExtra[] = [
  {
    kind: "index",
    table: "model_versions",
    name: "model_versions_one_production_key",
    reason:
      "partial unique index (WHERE stage = 'production'): at most one production version per model; " +
      "schema.prisma has no partial indexes",
  },
];

export interface MigrationFile {
  name: string;
  sha256: string;
}

/** The migrations on disk, hashed here rather than by the code under test. */
export async function migrationFiles(): Promise<MigrationFile[]> {
  const entries = await readdir(MIGRATIONS_PATH, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      sha256: createHash("sha256")
        .update(await readFile(path.join(MIGRATIONS_PATH, name, "migration.sql")))
        .digest("hex"),
    })),
  );
}

export interface EmptyDatabase {
  db: Database;
  dispose(): Promise<void>;
}

export interface SchemaMatchContext {
  db: Database;
  expected: SchemaShape;
  actual: SchemaShape;
}

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
  logs: string | null;
  applied_steps_count: number;
}

/**
 * Migrates an empty database from `open` and checks the result against schema.prisma, the
 * migration bookkeeping, and re-running. `extra` adds tests that use the migrated database.
 */
export function schemaMatchSuite(
  label: string,
  open: () => Promise<EmptyDatabase>,
  extra?: (ctx: () => SchemaMatchContext) => void,
): void {
  describe(label, () => {
    let handle: EmptyDatabase | undefined;
    let files: MigrationFile[] = [];
    let tablesBefore: string[] = [];
    let pendingBefore: string[] = [];
    let first: MigrateResult;
    let second: MigrateResult;
    let rowsAfterFirst: MigrationRow[] = [];
    let rowsAfterSecond: MigrationRow[] = [];
    let pendingAfter: string[] = [];
    let ctx: SchemaMatchContext | undefined;

    const rows = (db: Database) =>
      db.sql.query<MigrationRow>(
        `SELECT id, migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count
         FROM "_prisma_migrations" ORDER BY migration_name`,
      );

    beforeAll(async () => {
      files = await migrationFiles();
      handle = await open();
      const { db } = handle;
      tablesBefore = (
        await db.sql.query<{ name: string }>(
          `SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S')`,
        )
      ).map((r) => r.name);
      pendingBefore = await db.pendingMigrations();
      first = await db.migrate();
      rowsAfterFirst = await rows(db);
      pendingAfter = await db.pendingMigrations();
      second = await db.migrate();
      rowsAfterSecond = await rows(db);
      ctx = {
        db,
        expected: expectedShape(await readFile(SCHEMA_PATH, "utf8")),
        actual: await actualShape(db.sql),
      };
    });

    afterAll(async () => {
      await handle?.dispose();
    });

    it("starts from an empty database, with every migration pending", () => {
      expect(files.length).toBeGreaterThan(0);
      expect(tablesBefore).toEqual([]);
      expect(pendingBefore).toEqual(files.map((f) => f.name));
    });

    it("applies every migration once, and nothing when run again", () => {
      expect(first).toEqual({ applied: files.map((f) => f.name), alreadyApplied: [] });
      expect(second).toEqual({ applied: [], alreadyApplied: files.map((f) => f.name) });
      expect(pendingAfter).toEqual([]);
      expect(rowsAfterSecond).toEqual(rowsAfterFirst);
    });

    it("records each migration in _prisma_migrations as prisma migrate deploy does", () => {
      expect(rowsAfterFirst.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
      for (const file of files) {
        const row = rowsAfterFirst.find((r) => r.migration_name === file.name)!;
        expect(row.checksum).toBe(file.sha256);
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
        expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it("builds exactly the tables, columns, indexes and foreign keys of schema.prisma", () => {
      const { expected, actual } = ctx!;
      expect(expected.tables.size).toBeGreaterThan(0);
      expect(compareShapes(expected, actual, ALLOWED_EXTRAS)).toEqual([]);
    });

    it("has each allowed extra, and it is what its reason says", () => {
      for (const allowed of ALLOWED_EXTRAS) {
        const index = ctx!.actual.indexes.find((i) => i.table === allowed.table && i.name === allowed.name);
        expect(index, allowed.name).toBeDefined();
      }
      const production = ctx!.actual.indexes.find((i) => i.name === "model_versions_one_production_key")!;
      expect(production).toMatchObject({ table: "model_versions", columns: ["model_id"], unique: true });
      expect(production.predicate).toMatch(/stage.*=.*'production'/);
    });

    extra?.(() => ctx!);
  });
}
