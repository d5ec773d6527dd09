"""bench:peer's Python side: Python Prophet in the reference system's configuration.

Run by scripts/bench-peer.ts with the virtual environment's interpreter:

    python scripts/bench-peer.py INPUT.json

INPUT.json (written by bench-peer.ts) holds, per series, the open days storecast fits (date, sales),
the open days to forecast, and the cross-validation folds storecast scores (app/model/cross-validation.ts
cvFolds). Each series gets what storecast's pool.train gives it in the `seed` configuration:

- one fit on the window's open days, weekly and yearly seasonality, no daily, no regressors, and a
  forecast of the planned open days with its 95% interval (Prophet's default 1,000 samples);
- one fit per fold on the days up to the fold's end, scored on its test days' point forecasts, with
  uncertainty_samples=0 (storecast's folds skip interval sampling too). A fold with fewer than
  minOpenDays training days or no test day is skipped, as storecast skips it. These are the fits
  prophet.diagnostics.cross_validation makes with the same cutoffs and horizon, written out so the
  skip rule and the sampling match.

Prophet's defaults otherwise, as the reference system ran it: its Stan backend optimises with Newton
when a fit has fewer than 100 points (most fold fits here) and L-BFGS above; augurs always uses L-BFGS.
`"algorithm": "lbfgs"` in INPUT.json makes every fit L-BFGS, to compare the same optimiser.

Series are trained by a process pool of `cores` workers, started and warmed (prophet imported)
before the clock starts. Prints one JSON object on stdout: wall seconds and, per series, the point
forecast and each fold's actuals and predictions (bench-peer.ts scores them with storecast's metrics).
Progress goes to stderr.
"""

import json
import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version


def _quiet():
    # cmdstanpy logs two lines per fit, prophet warns on every fit that 120 days are short for yearly
    # seasonality (the reference's configuration knowingly) and that plotly is missing. `disabled`,
    # not a level: prophet sets its logger's level when imported.
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).disabled = True


def _init_worker():
    _quiet()
    import prophet  # noqa: F401  (imported once per worker, before the clock starts)


def _warm(_):
    time.sleep(0.2)  # long enough that every worker gets one
    return True


def _model(interval_width, samples):
    from prophet import Prophet

    return Prophet(
        weekly_seasonality=True,
        yearly_seasonality=True,
        daily_seasonality=False,
        interval_width=interval_width,
        uncertainty_samples=samples,
    )


def train_one(task):
    import pandas as pd

    s, cfg = task
    fit_args = {"algorithm": "LBFGS"} if cfg["algorithm"] == "lbfgs" else {}
    try:
        df = pd.DataFrame({"ds": pd.to_datetime(s["ds"]), "y": s["y"]})
        m = _model(cfg["intervalWidth"], 1000)
        m.fit(df, **fit_args)
        forecast = []
        if s["future"]:
            f = m.predict(pd.DataFrame({"ds": pd.to_datetime(s["future"])}))
            forecast = [max(0.0, float(v)) for v in f["yhat"]]

        folds = []
        for i, fold in enumerate(s["folds"]):
            train = df[df["ds"] <= pd.Timestamp(fold["trainEnd"])]
            test = df[(df["ds"] >= pd.Timestamp(fold["testStart"])) & (df["ds"] <= pd.Timestamp(fold["testEnd"]))]
            if len(train) < cfg["minOpenDays"] or len(test) == 0:
                continue
            fm = _model(cfg["intervalWidth"], 0)
            fm.fit(train, **fit_args)
            p = fm.predict(test[["ds"]])
            folds.append(
                {
                    "fold": i + 1,
                    "actual": [float(v) for v in test["y"]],
                    "predicted": [max(0.0, float(v)) for v in p["yhat"]],
                }
            )
        return {"id": s["id"], "forecast": forecast, "folds": folds}
    except Exception as err:  # one failed series must not stop the run
        return {"id": s["id"], "error": f"{type(err).__name__}: {err}"}


def main():
    if len(sys.argv) != 2:
        print("usage: bench-peer.py INPUT.json", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as fh:
        data = json.load(fh)
    _quiet()
    cores = int(data["cores"])
    cfg = {
        "intervalWidth": float(data["intervalWidth"]),
        "minOpenDays": int(data["minOpenDays"]),
        "algorithm": data.get("algorithm", "default"),
    }
    series = data["series"]

    with ProcessPoolExecutor(max_workers=cores, initializer=_init_worker) as pool:
        list(pool.map(_warm, range(cores)))
        started = time.perf_counter()
        results = []
        last = started
        for r in pool.map(train_one, [(s, cfg) for s in series], chunksize=1):
            results.append(r)
            now = time.perf_counter()
            if now - last > 10 or len(results) == len(series):
                last = now
                print(
                    f"bench-peer (python): {len(results)}/{len(series)} series, {now - started:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        seconds = time.perf_counter() - started

    json.dump({"seconds": seconds, "prophet": version("prophet"), "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
