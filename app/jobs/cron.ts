/**
 * Cron expressions of schedules (UTC): the next tick, and the expression in words. cron-parser
 * parses; no maintained cron-to-words library is installed (cronstrue is not a dependency), so
 * the words are ours, from cron-parser's expanded fields: the forms storecast's schedules use
 * (daily or weekly at a time, every n minutes or hours, days of the week or month) read as a sentence,
 * anything else falls back to null and the caller shows the expression itself.
 */
import { CronExpressionParser } from "cron-parser";

/** The next tick of a cron expression after `from` (UTC); five fields, or six with seconds first. */
export function nextCronTick(cron: string, from: Date = new Date()): Date {
  return CronExpressionParser.parse(cron, { currentDate: from, tz: "UTC" }).next().toDate();
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const pad = (n: number) => String(n).padStart(2, "0");

/** "a", "a and b", "a, b and c". */
function joinWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** The step of an arithmetic run starting at 0 that covers [0, max], else null. */
function stepOf(values: number[], max: number): number | null {
  if (values.length < 2 || values[0] !== 0) return null;
  const step = values[1]! - values[0]!;
  const evenly = values.every((v, i) => v === i * step);
  return evenly && values.at(-1)! + step > max ? step : null;
}

/** A run of consecutive values as "first to last", else each one. */
function spanOrList(values: number[], name: (v: number) => string): string {
  const consecutive = values.length > 2 && values.every((v, i) => i === 0 || v === values[i - 1]! + 1);
  return consecutive ? `${name(values[0]!)} to ${name(values.at(-1)!)}` : joinWords(values.map(name));
}

function timeWords(minutes: number[], hours: number[], allMinutes: boolean, allHours: boolean): string | null {
  if (allMinutes && allHours) return "every minute";
  const minuteStep = stepOf(minutes, 59);
  if (allHours) {
    if (minuteStep) return `every ${minuteStep} minutes`;
    if (minutes.length === 1) return `at minute ${minutes[0]} of every hour`;
    return null;
  }
  if (minutes.length !== 1) return null;
  const hourStep = stepOf(hours, 23);
  if (hourStep) return `every ${hourStep} hours at minute ${minutes[0]}`;
  if (hours.length > 4) return null;
  return `at ${joinWords(hours.map((h) => `${pad(h)}:${pad(minutes[0]!)}`))} UTC`;
}

/**
 * A five-field cron expression in words (UTC), e.g. "0 2 * * 1" -> "Every Monday at 02:00 UTC";
 * null when it is malformed or not one of the forms described (show the expression instead).
 */
export function describeCron(cron: string): string | null {
  const parts = cron.trim().split(/\s+/);
  if (parts.length === 6 && parts.every((p) => p === "*")) return "every second";
  if (parts.length !== 5) return null;
  let fields: ReturnType<typeof CronExpressionParser.parse>["fields"];
  try {
    fields = CronExpressionParser.parse(cron, { tz: "UTC" }).fields;
  } catch {
    return null;
  }
  if (fields.dayOfMonth.hasLastChar || fields.dayOfWeek.hasLastChar) return null;
  const nums = (values: readonly (number | string)[]) => values.filter((v): v is number => typeof v === "number");
  const minutes = nums(fields.minute.values);
  const hours = nums(fields.hour.values);
  const time = timeWords(minutes, hours, minutes.length === 60, hours.length === 24);
  if (!time) return null;

  const days = [...new Set(nums(fields.dayOfWeek.values).map((d) => d % 7))].sort((a, b) => a - b);
  const monthDays = nums(fields.dayOfMonth.values);
  const months = nums(fields.month.values);
  const everyWeekday = days.length === 7;
  const everyMonthDay = monthDays.length === 31;
  // Cron runs on either list when both are restricted: too subtle for a sentence.
  if (!everyWeekday && !everyMonthDay) return null;
  let when: string;
  if (everyWeekday && everyMonthDay) when = "every day";
  else if (!everyWeekday) when = days.length === 1 ? `every ${DAYS[days[0]!]}` : spanOrList(days, (d) => DAYS[d]!);
  else when = `on day ${joinWords(monthDays.map(String))} of the month`;
  if (months.length !== 12) when += ` in ${spanOrList(months, (m) => MONTHS[m - 1]!)}`;
  // "at 02:00 UTC" follows the days; "every 15 minutes" leads, with the days (if any) after it.
  const words =
    time.startsWith("at ") && !time.startsWith("at minute")
      ? `${when} ${time}`
      : when === "every day"
        ? time
        : `${time}, ${when}`;
  return words.charAt(0).toUpperCase() + words.slice(1);
}
