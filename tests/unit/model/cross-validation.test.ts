import { describe, expect, it } from "vitest";
import { formatDay, parseDay } from "../../../app/days.js";
import { cvFolds, cvNoise, metrics } from "../../../app/model/cross-validation.js";

const END = "2015-07-31"; // a Friday
const addDays = (date: string, n: number) => formatDay(parseDay(date)! + n);

describe("metrics", () => {
  it("matches hand-computed values, skipping zero actuals for the percentage errors", () => {
    // errors 10, 30, 10, 0; percentage errors over the non-zero actuals: -0.1, 0.15, 0.
    const m = metrics([100, 200, 0, 400], [110, 170, 10, 400]);
    expect(m.rmse).toBeCloseTo(Math.sqrt((100 + 900 + 100 + 0) / 4), 12);
    expect(m.mae).toBeCloseTo(12.5, 12);
    expect(m.mdae).toBeCloseTo(10, 12);
    expect(m.mape).toBeCloseTo((0.1 + 0.15 + 0) / 3, 12);
    expect(m.rmspe).toBeCloseTo(Math.sqrt((0.01 + 0.0225 + 0) / 3), 12);
  });

  it("takes the middle value as the median of an odd count", () => {
    expect(metrics([1, 2, 3], [2, 2, 5]).mdae).toBe(1);
  });

  it("is NaN where undefined and refuses mismatched lengths", () => {
    const empty = metrics([], []);
    expect(Object.values(empty).every(Number.isNaN)).toBe(true);
    const zeros = metrics([0, 0], [1, 3]);
    expect(zeros.mape).toBeNaN();
    expect(zeros.rmspe).toBeNaN();
    expect(zeros.mae).toBe(2);
    expect(() => metrics([1, 2], [1])).toThrow(RangeError);
  });
});

describe("cvFolds", () => {
  it("splits the last folds * horizon days into consecutive test weeks with expanding training windows", () => {
    const folds = cvFolds("2015-04-03", END, 5, 7);
    expect(folds).toHaveLength(5);
    expect(folds[0]).toEqual({
      trainStart: "2015-04-03",
      trainEnd: "2015-06-26",
      testStart: "2015-06-27",
      testEnd: "2015-07-03",
    });
    expect(folds[4]).toEqual({
      trainStart: "2015-04-03",
      trainEnd: "2015-07-24",
      testStart: "2015-07-25",
      testEnd: END,
    });
    for (let i = 1; i < folds.length; i++) {
      expect(folds[i]!.testStart).toBe(addDays(folds[i - 1]!.testEnd, 1));
      expect(folds[i]!.trainEnd).toBe(addDays(folds[i]!.testStart, -1));
    }
  });
});

describe("cvNoise", () => {
  it("is the root mean square of the folds' RMSEs, each fold weighing alike", () => {
    expect(cvNoise([{ rmse: 300 }, { rmse: 400 }])).toBeCloseTo(Math.sqrt((300 ** 2 + 400 ** 2) / 2), 9);
    expect(cvNoise([{ rmse: 100 }, { rmse: 100 }, { rmse: 100 }])).toBeCloseTo(100, 9);
  });

  it("says nothing from fewer than two scored folds (NaN: a fold with no data)", () => {
    expect(cvNoise([])).toBeUndefined();
    expect(cvNoise([{ rmse: 250 }])).toBeUndefined();
    expect(cvNoise([{ rmse: 250 }, { rmse: Number.NaN }])).toBeUndefined();
    expect(cvNoise([{ rmse: 200 }, { rmse: Number.NaN }, { rmse: 200 }])).toBeCloseTo(200, 9);
  });
});
