import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, modelConfig, SEED_CONFIG } from "../../../app/model/config.js";

describe("configurations", () => {
  it("seed config is the reference system: no regressors, yearly and weekly on, 95% interval, 120 days", () => {
    expect(SEED_CONFIG).toMatchObject({
      kind: "seed",
      regressors: [],
      yearly: true,
      weekly: true,
      intervalWidth: 0.95,
    });
    expect(SEED_CONFIG.trainDays).toBe(120);
    expect(modelConfig("seed")).toEqual(SEED_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      kind: "default",
      trainDays: 120,
      minOpenDays: 14,
      weekly: true,
      yearly: "auto",
      intervalWidth: 0.95,
      cvFolds: 5,
      cvHorizon: 7,
    });
    expect(DEFAULT_CONFIG.regressors).toEqual(["promo", "schoolholiday", "stateholiday"]);
  });

  it("modelConfig hands out copies", () => {
    const c = modelConfig("default");
    c.regressors.push("promo");
    expect(DEFAULT_CONFIG.regressors).toHaveLength(3);
  });
});
