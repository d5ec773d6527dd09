/**
 * A model version as a self-contained JSON document (`storecast-model/1`, docs/model-export-format.md):
 * what `/models/:store/:product/versions/:v/export` downloads and `npm run model:import` registers on
 * another instance. Pure: the zod schema, the builder and the parser; reading and registering are in
 * model-export.server.ts. The fitted model (`params`) is the stored model exactly as the registry
 * holds it, so the imported version predicts what the original did.
 */
import { z } from "zod";
import { DATE_RE, parseDay } from "../days.js";
import { ValidationError } from "../errors.js";
import { REGRESSORS } from "../model/config.js";
import { MAX_INT32, MAX_PRODUCT_NAME } from "../rossmann.js";
import type { VersionWithModel } from "./versions.server.js";

export const MODEL_DOCUMENT_FORMAT = "storecast-model/1";

const day = z
  .string()
  .regex(DATE_RE, "expected a YYYY-MM-DD date")
  .refine((d) => parseDay(d) !== undefined, "not a calendar date");
const count = z.number().int().min(0).max(MAX_INT32);
const regressor = z.enum(REGRESSORS as [string, ...string[]]);

/** The resolved configuration a model was fitted with (app/model/config.ts ResolvedModelConfig). */
const configSchema = z.looseObject({
  kind: z.enum(["default", "seed"]),
  trainDays: count,
  minOpenDays: count,
  weekly: z.boolean(),
  yearly: z.boolean(),
  intervalWidth: z.number().gt(0).lt(1),
  regressors: z.array(regressor),
  cvFolds: count,
  cvHorizon: count,
});

/**
 * The stored model (app/model/config.ts StoredModel). Loose objects: keys this version does not know
 * are kept, since the document carries the model verbatim; compilePredictor checks the rest.
 */
const storedModelSchema = z.looseObject({
  config: configSchema,
  training: z.looseObject({
    dates: z.array(day).min(2),
    y: z.array(z.number()),
    x: z.partialRecord(regressor, z.array(z.number())),
  }),
  params: z.looseObject({
    k: z.number(),
    m: z.number(),
    sigmaObs: z.number().min(0),
    delta: z.array(z.number()),
    beta: z.array(z.number()),
    trend: z.array(z.number()),
    features: z.array(z.string()),
  }),
  weekdayOpen: z.array(z.number().min(0).max(1)).length(7),
  intervalNoise: z.number().min(0).optional(),
});

const metrics = { rmse: z.number(), mape: z.number(), mae: z.number(), mdae: z.number(), rmspe: z.number() };
const cvSchema = z.strictObject({
  folds: z.array(z.looseObject({ fold: count, ...metrics })),
  mean: z.strictObject(metrics),
});

export const modelDocumentSchema = z.strictObject({
  format: z.literal(MODEL_DOCUMENT_FORMAT),
  exported_at: z.iso.datetime({ offset: true }),
  /** Where it came from: informative only, an import never relies on it. */
  source: z.looseObject({
    app: z.string(),
    instance: z.string(),
    url: z.string().optional(),
    model_name: z.string(),
    version: count,
    stage: z.string(),
    pipeline_run_id: count.nullable(),
  }),
  series: z.strictObject({
    store: z.number().int().min(1).max(MAX_INT32),
    productname: z.string().min(1).max(MAX_PRODUCT_NAME),
  }),
  created_at: z.iso.datetime({ offset: true }),
  training: z
    .strictObject({ train_start: day, train_end: day, train_rows: count, duration_ms: count })
    .refine((t) => t.train_start <= t.train_end, { message: "train_end is before train_start", path: ["train_end"] }),
  config: configSchema,
  params: storedModelSchema,
  cv: cvSchema.nullable(),
});

export type ModelDocument = z.infer<typeof modelDocumentSchema>;

/** A zod path as one string: `params.training.dates[3]`. */
function pathOf(path: readonly PropertyKey[]): string {
  const text = path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
  return text.replace(/^\./, "") || "document";
}

/**
 * A document from parsed JSON, or a ValidationError naming the first field at fault. Another format
 * version is refused by name before anything else is looked at.
 */
export function parseModelDocument(value: unknown): ModelDocument {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError("document", "document: expected a JSON object");
  }
  const format = (value as { format?: unknown }).format;
  if (format !== MODEL_DOCUMENT_FORMAT) {
    const got = format === undefined ? "none" : JSON.stringify(format);
    throw new ValidationError("format", `format: expected "${MODEL_DOCUMENT_FORMAT}", got ${got}`);
  }
  const parsed = modelDocumentSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // An unknown key is named by its own path, not its object's.
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
  const field = pathOf(path);
  throw new ValidationError(field, `${field}: ${issue.message}`);
}

/** A document from a file's text: not JSON is a ValidationError too. */
export function parseModelDocumentText(text: string): ModelDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError("document", `document: not JSON (${(err as Error).message})`);
  }
  return parseModelDocument(value);
}

/** Where a document was made: the instance's host name and, from a request, its address. */
export interface ExportSource {
  /** The host name of the process that exported. */
  instance: string;
  /** The instance's address as the request reached it. */
  url?: string;
}

/** The document of a registry version (as getVersion reads it). */
export function toModelDocument(v: VersionWithModel, source: ExportSource, exportedAt: Date): ModelDocument {
  return {
    format: MODEL_DOCUMENT_FORMAT,
    exported_at: exportedAt.toISOString(),
    source: {
      app: "storecast",
      instance: source.instance,
      ...(source.url === undefined ? {} : { url: source.url }),
      model_name: v.name,
      version: v.version,
      stage: v.stage,
      pipeline_run_id: v.pipelineRunId,
    },
    series: { store: v.store, productname: v.productname },
    created_at: v.createdAt.toISOString(),
    training: {
      train_start: v.trainStart,
      train_end: v.trainEnd,
      train_rows: v.trainRows,
      duration_ms: v.durationMs,
    },
    config: v.config as ModelDocument["config"],
    params: v.params as ModelDocument["params"],
    cv: v.cv as ModelDocument["cv"],
  };
}

/** The download's file name: `storecast-model-<store>-<product>-v<version>.json`. */
export function modelDocumentFileName(store: number, productname: string, version: number): string {
  return `storecast-model-${store}-${productname.replace(/[^\w.-]+/g, "_")}-v${version}.json`;
}
