/**
 * The contract of anomalous stores over HTTP (docs/decisions/0028): the newest daily scan, and a scan
 * now. Part of the native API's declarations (contract.server.ts spreads it into `nativeApi`).
 */
import { z } from "zod";
import { day, ERRORS, endpoint, json, timestamp } from "../../server/api-contract.server.js";
import { JOB_ACCEPTED } from "../../server/api-jobs.server.js";

const weekProfile = z
  .array(z.number().nullable())
  .length(7)
  .describe("per weekday, Monday first: mean open-day sales over the store's average; null where closed");

/** The newest anomaly scan: stores unlike their peers, highest score first (app/monitoring). */
const anomalies = z
  .strictObject({
    day: day.nullable().describe("the day scanned (its window ends on it); null before the first scan"),
    windowDays: z.int().nullable(),
    storesScanned: z.int().describe("stores compared with peers trading on the same weekdays"),
    scannedAt: timestamp.nullable(),
    stores: z.array(
      z.strictObject({
        store: z.int(),
        score: z.number().describe("the largest MAD score over the store's weekdays"),
        reason: z.string(),
        profile: weekProfile,
        peerProfile: weekProfile.describe("the peers' median profile"),
      }),
    ),
  })
  .meta({ id: "Anomalies" });

export const anomaliesApi = {
  anomalies: endpoint({
    method: "get",
    path: "/api/anomalies",
    summary:
      "The newest daily anomaly scan: stores whose weekly sales profile is unlike their peers', with score and reason",
    description:
      "Each store's mean open-day sales per weekday over ANOMALY_WINDOW_DAYS, divided by its average, compared " +
      "by augurs' MAD outlier detector with the stores trading on the same weekdays. Runs daily on ANOMALY_CRON.",
    tags: ["monitoring"],
    responses: { 200: json(anomalies) },
  }),
  scanAnomalies: endpoint({
    method: "post",
    path: "/api/anomalies",
    summary: "Scan for anomalous stores now (yesterday's window): enqueues an anomaly-scan job",
    tags: ["monitoring"],
    responses: { 202: JOB_ACCEPTED, 503: ERRORS[503] },
  }),
};
