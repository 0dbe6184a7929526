"""The model process's side of `bench/model-process.ts` for the Python references (bench:gbdt,
bench:models): say the model has fitted, answer each `predict` line on stdin with a timing line, and on
`done` (or the end of stdin) return the last prediction for the caller to write with its summary.
Sluice's side is `answerPredictions` in `bench/model-process.ts`.
"""
import json
import sys
import time


def answer_predictions(fit_seconds, predict):
    print(json.dumps({"ready": True, "fit_seconds": fit_seconds}), flush=True)
    pred = None
    for line in sys.stdin:
        if line.strip() == "predict":
            c0 = time.process_time()
            t0 = time.perf_counter()
            pred = predict()
            seconds = time.perf_counter() - t0
            print(json.dumps({"predict_seconds": seconds, "cpu_seconds": time.process_time() - c0}), flush=True)
        elif line.strip() == "done":
            break
    return pred
