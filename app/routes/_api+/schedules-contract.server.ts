/**
 * The contract of schedules over HTTP: list them (cron in words, next and last run), pause, resume
 * and run one now; and the on-demand jobs a schedule does not cover (the batch forecast, the daily
 * ingestion check of a chosen day). Part of the native API's declarations (contract.server.ts
 * spreads it into `nativeApi`).
 */
import { z } from "zod";
import { JOB_KINDS, JOB_STATUSES } from "../../jobs/port.js";
import { ERRORS, endpoint, json, timestamp } from "../../server/api-contract.server.js";
import { JOB_ACCEPTED } from "../../server/api-jobs.server.js";
import { MAX_SCHEDULE_NAME } from "../../server/schedules.server.js";

const schedulePath = z.object({
  name: z.string().min(1).max(MAX_SCHEDULE_NAME).describe("schedule name, e.g. train-weekly (GET /api/schedules)"),
});

const lastRun = z.strictObject({
  jobId: z.string(),
  at: timestamp.describe("when the tick (or Run now) started it"),
  status: z.enum(JOB_STATUSES).nullable().describe("null once the job's record is gone (kept 7 days)"),
  error: z.string().nullable(),
  finishedAt: timestamp.nullable(),
});

export const scheduleSchema = z
  .strictObject({
    name: z.string(),
    kind: z.enum(JOB_KINDS).describe("the job kind each tick enqueues"),
    cron: z.string().describe("five-field cron, UTC"),
    description: z.string().nullable().describe("the cron in words, e.g. Every Monday at 02:00 UTC"),
    data: z.record(z.string(), z.unknown()).describe("the job's parameters"),
    paused: z.boolean(),
    nextRunAt: timestamp.nullable().describe("the next tick; null while paused"),
    lastRun: lastRun.nullable().describe("the last job a tick or Run now started"),
    links: z.strictObject({ pause: z.string(), resume: z.string(), run: z.string() }),
  })
  .meta({ id: "Schedule" });

export const ingestDailyBody = z
  .strictObject({
    day: z.iso
      .date("expected a YYYY-MM-DD date")
      .optional()
      .describe("the day to check, YYYY-MM-DD; default the day that just ended (UTC), as the schedule does"),
  })
  .default({});

const pauseResume = (what: "pause" | "resume") =>
  endpoint({
    method: "post",
    path: `/api/schedules/{name}/${what}`,
    summary:
      what === "pause"
        ? "Pause a schedule: no tick fires until it is resumed (every replica; kept across restarts)"
        : "Resume a paused schedule: it fires again from its next tick",
    tags: ["schedules"],
    params: schedulePath,
    responses: { 200: json(scheduleSchema), 400: ERRORS[400], 404: ERRORS[404], 503: ERRORS[503] },
  });

export const schedulesApi = {
  listSchedules: endpoint({
    method: "get",
    path: "/api/schedules",
    summary: "The schedules: cron (UTC, in words), paused, next run, last run and its outcome",
    tags: ["schedules"],
    responses: { 200: json(z.strictObject({ schedules: z.array(scheduleSchema) })), 503: ERRORS[503] },
  }),
  pauseSchedule: pauseResume("pause"),
  resumeSchedule: pauseResume("resume"),
  runSchedule: endpoint({
    method: "post",
    path: "/api/schedules/{name}/run",
    summary: "Run a schedule's job now (paused or not); the same job already pending or running is returned",
    tags: ["schedules"],
    params: schedulePath,
    responses: { 202: JOB_ACCEPTED, 400: ERRORS[400], 404: ERRORS[404], 503: ERRORS[503] },
  }),
  runBatchForecast: endpoint({
    method: "post",
    path: "/api/batch-forecast",
    summary: "Forecast the next 7 days of every series from its production version now (no training)",
    tags: ["schedules"],
    responses: { 202: JOB_ACCEPTED, 503: ERRORS[503] },
  }),
  runIngestDaily: endpoint({
    method: "post",
    path: "/api/ingest-daily",
    summary: "Run the daily ingestion check now, of a chosen day or the day that just ended",
    tags: ["schedules"],
    body: ingestDailyBody,
    responses: { 202: JOB_ACCEPTED, 400: ERRORS[400], 413: ERRORS[413], 415: ERRORS[415], 503: ERRORS[503] },
  }),
};
