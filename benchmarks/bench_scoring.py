"""Scoring and signal throughput, with a same-run baseline.

Run from the project root: ``python benchmarks/bench_scoring.py [--responses N] [--histories N]``.
Scores N PHQ-9/GAD-7/CORE-10 responses (answers validated, as the service does) and evaluates
signals for N score histories, then prints rates next to a plain ``sum()`` over the same data,
so the figures can be compared across machines.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.scoring import score
from fit_platform.domain.signals import HistoryEntry, evaluate_signals

POOL = 10_000  # distinct inputs, cycled; keeps memory flat for a million responses


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f}/s  ({seconds:6.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--histories", type=int, default=100_000)
    args = parser.parse_args()

    rng = random.Random(20260329)
    lib = default_instruments()
    outcome = [lib["phq9"], lib["gad7"], lib["core10"]]

    pool = []
    for _ in range(POOL):
        inst = rng.choice(outcome)
        answers: dict[str, float | None] = {
            x: float(rng.randint(0, int(inst.item(x).max_value))) for x in inst.scored_link_ids
        }
        if rng.random() < 0.05:  # a few incomplete responses, as in real data
            answers[rng.choice(inst.scored_link_ids)] = None
        pool.append((inst, answers))
    work = [pool[i % POOL] for i in range(args.responses)]

    t = time.perf_counter()
    acc = 0.0
    for _inst, answers in work:
        acc += sum(v for v in answers.values() if v is not None)
    base_s = time.perf_counter() - t

    t = time.perf_counter()
    scorable = 0
    for inst, answers in work:
        scorable += score(inst, answers).scorable
    score_s = time.perf_counter() - t

    phq = lib["phq9"]
    histories = []
    for _ in range(POOL // 10):
        entries = []
        for session in range(1, rng.randint(2, 12) + 1):
            answers = {x: float(rng.randint(0, 3)) for x in phq.scored_link_ids}
            entries.append(HistoryEntry(score(phq, answers), session))
        histories.append(entries)
    hwork = [histories[i % len(histories)] for i in range(args.histories)]

    t = time.perf_counter()
    hacc = 0.0
    for h in hwork:
        hacc += sum(e.result.total or 0 for e in h)
    hbase_s = time.perf_counter() - t

    t = time.perf_counter()
    raised = 0
    for h in hwork:
        raised += len(evaluate_signals(phq, h))
    sig_s = time.perf_counter() - t

    print(f"python {sys.version.split()[0]}")
    print(f"scoring {args.responses:,} responses ({scorable:,} scorable)")
    print(f"  score()                {_rate(args.responses, score_s)}")
    print(
        f"  baseline sum()         {_rate(args.responses, base_s)}  ratio {score_s / base_s:.1f}x"
    )
    print(f"signals for {args.histories:,} histories ({raised:,} signals raised)")
    print(f"  evaluate_signals()     {_rate(args.histories, sig_s)}")
    print(
        f"  baseline sum()         {_rate(args.histories, hbase_s)}  ratio {sig_s / hbase_s:.1f}x"
    )
    del acc, hacc


if __name__ == "__main__":
    main()
