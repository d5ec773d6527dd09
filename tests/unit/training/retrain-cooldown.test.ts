import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../app/platform/config.server.js";
import { openDatabase } from "../../../app/platform/db.server.js";
import { describeRetrainCooldown } from "../../support/retrain-cooldown-cases.js";

describeRetrainCooldown("PGlite in memory", () => openDatabase({ pgliteDir: "memory://" }));

describe("RETRAIN_COOLDOWN_S", () => {
  it("is 60 s by default, 0 switches it off, and a bad value is one line naming it", () => {
    expect(loadConfig({}).RETRAIN_COOLDOWN_S).toBe(60);
    expect(loadConfig({ RETRAIN_COOLDOWN_S: "0" }).RETRAIN_COOLDOWN_S).toBe(0);
    expect(() => loadConfig({ RETRAIN_COOLDOWN_S: "soon" })).toThrow(
      /^Invalid environment variable RETRAIN_COOLDOWN_S/,
    );
  });
});
