/**
 * The contract of drift over HTTP: the degraded series with their reasons and what the retraining
 * policy did, the automatic retrains and whether each helped, and running the drift check now. Part
 * of the native API's declarations (contract.server.ts spreads it into `nativeApi`).
 */
import { z } from "zod";
import { ERRORS, endpoint, json, timestamp } from "../../server/api-contract.server.js";
import { ACCEPTED_HEADERS, jobAccepted } from "../../server/api-jobs.server.js";

export const driftQuery = z.object({
  limit: z.coerce.number().int().min(1).max(5000).default(500).describe("at most this many series and retrains"),
});

const reason = z
  .object({ kind: z.enum(["error", "bias", "promo", "level-shift"]) })
  .catchall(z.unknown())
  .describe(
    "error: realized RMSPE `realized` vs CV `promised` (`ratio`, over `days`); bias: mean signed error `bias` " +
      "(forecast - actual) / actual over `weeks` weeks `since`; promo: mean signed error `bias` on the last `days` " +
      "promo days while the other days are on target; level-shift: sales changed by `change` from `day`",
  );

const degraded = z
  .strictObject({
    store: z.int(),
    product: z.string(),
    reasons: z.array(reason),
    why: z.array(z.string()).describe("the reasons in words"),
    since: z.string().nullable().describe("the first check of this degraded spell (YYYY-MM-DD)"),
    realizedRmspe: z.number().nullable(),
    cvRmspe: z.number().nullable(),
    days: z.int().describe("open days scored in the window"),
    action: z
      .string()
      .nullable()
      .describe("what the policy did: queued, suggested, busy, waiting, did-not-help, hourly-limit, fleet-share, off"),
    checkedAt: timestamp,
  })
  .meta({ id: "DegradedSeries" });

const autoRetrain = z
  .strictObject({
    id: z.int(),
    store: z.int(),
    product: z.string(),
    requestedAt: timestamp,
    reasons: z.unknown(),
    jobId: z.string().nullable(),
    oldVersion: z.int().nullable(),
    newVersion: z.int().nullable(),
    verdict: z
      .enum(["pending", "helped", "same", "worse", "failed"])
      .describe("over the new version's first full week, against the old one's last week"),
    beforeRmspe: z.number().nullable(),
    afterRmspe: z.number().nullable(),
    rolledBack: z.boolean(),
  })
  .meta({ id: "AutoRetrain" });

export const driftApi = {
  getDrift: endpoint({
    method: "get",
    path: "/api/drift",
    summary: "Degraded series, worst first, with why and what the retraining policy did; the automatic retrains",
    description:
      "Written by the daily drift check (DRIFT_CRON) or `POST /api/drift-check`. AUTO_RETRAIN says whether " +
      "degraded series are only listed (suggest) or retrained (on).",
    tags: ["monitoring"],
    query: driftQuery,
    responses: {
      200: json(
        z.strictObject({
          autoRetrain: z.enum(["off", "suggest", "on"]),
          degraded: z.array(degraded),
          autoRetrains: z.array(autoRetrain).describe("newest first"),
        }),
      ),
      400: ERRORS[400],
    },
  }),
  runDriftCheck: endpoint({
    method: "post",
    path: "/api/drift-check",
    summary: "Run the drift check now: enqueues a drift-check job (one already pending or running is returned)",
    tags: ["monitoring"],
    responses: {
      202: {
        description: "accepted: the job is queued (or the same job, already pending or running)",
        body: jobAccepted,
        headers: ACCEPTED_HEADERS,
      },
      503: ERRORS[503],
    },
  }),
};
