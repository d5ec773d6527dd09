import { describe, expect, it } from "vitest";
import { describeCron } from "../../../app/jobs/cron.js";

describe("describeCron", () => {
  it.each([
    ["0 2 * * 1", "Every Monday at 02:00 UTC"],
    ["5 0 * * *", "Every day at 00:05 UTC"],
    ["30 3 * * *", "Every day at 03:30 UTC"],
    ["0 2 * * 7", "Every Sunday at 02:00 UTC"],
    ["0 2 * * MON", "Every Monday at 02:00 UTC"],
    ["0 8 * * 1-5", "Monday to Friday at 08:00 UTC"],
    ["0 2 * * 1,4", "Monday and Thursday at 02:00 UTC"],
    ["0 8,20 * * *", "Every day at 08:00 and 20:00 UTC"],
    ["0 0 1 * *", "On day 1 of the month at 00:00 UTC"],
    ["0 0 1 1 *", "On day 1 of the month in January at 00:00 UTC"],
    ["*/15 * * * *", "Every 15 minutes"],
    ["0 */6 * * *", "Every 6 hours at minute 0"],
    ["7 * * * *", "At minute 7 of every hour"],
    ["* * * * *", "Every minute"],
    ["*/10 * * * 1", "Every 10 minutes, every Monday"],
  ])("%s reads %s", (cron, words) => {
    expect(describeCron(cron)).toBe(words);
  });

  it.each([["every day"], ["0 2 1 * 1"], ["0 25 * * *"], ["1,2,3 * * * *"], [""]])(
    "%j is not described (the page shows the expression)",
    (cron) => {
      expect(describeCron(cron)).toBeNull();
    },
  );
});
