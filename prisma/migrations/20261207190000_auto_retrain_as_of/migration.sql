-- The newest day of actuals the drift check had seen when it asked for a retrain (docs/decisions/0029):
-- a retrain is judged on the days of data around it, not on the clock (a check run late, or again,
-- judges the same days). Rows from before it fall back to the day before the request.
-- AlterTable
ALTER TABLE "auto_retrains" ADD COLUMN "as_of" DATE;
