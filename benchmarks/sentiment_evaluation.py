"""The sentiment scorers (plugins/complaints_pipeline/sentiment.py) on real labelled texts no one here wrote.

    PYTHONPATH=plugins .venv/bin/python benchmarks/sentiment_evaluation.py [--limit N]

The sets are in tests/fixtures/real/sentiment (SOURCES.md says where each came from and how it was sampled):
- english.csv: tweets to US airlines, labelled negative, neutral or positive by crowd workers;
- chinese.csv: Chinese service reviews, labelled negative or positive by their source.
The labels are the sources' own; nothing here was relabelled after a scorer ran. Printed per language:
accuracy and macro-F1 over the set's own classes (a text scored neutral where the set has no neutral class
counts as wrong), and, as the pipeline's negative share uses it, precision and recall of `negative`. For
Chinese, pysenti's own rule classifier is printed beside ours (sign of its score; 0 is neutral).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402

from complaints_pipeline import sentiment  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "real" / "sentiment"
SETS = {"english": ("en", FIXTURES / "english.csv"), "chinese": ("zh", FIXTURES / "chinese.csv")}


def measures(gold: list[str], predicted: list[str]) -> dict[str, float]:
    """Accuracy, macro-F1 over the gold classes, and negative's precision and recall."""
    classes = sorted(set(gold))
    f1s, negative = [], (0.0, 0.0)
    for label in classes:
        true = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        found = sum(1 for p in predicted if p == label)
        actual = sum(1 for g in gold if g == label)
        precision = true / found if found else 0.0
        recall = true / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        if label == "negative":
            negative = (precision, recall)
    return {
        "accuracy": sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold),
        "macro_f1": sum(f1s) / len(f1s),
        "negative_precision": negative[0],
        "negative_recall": negative[1],
    }


def line(name: str, figures: dict[str, float], seconds: float, count: int) -> str:
    return (
        f"  {name:<28} accuracy {figures['accuracy']:.3f}  macro-F1 {figures['macro_f1']:.3f}"
        f"  negative: precision {figures['negative_precision']:.3f} recall {figures['negative_recall']:.3f}"
        f"  ({count / seconds:,.0f} texts/s)"
    )


def pysenti_label(text: str) -> str:
    import pysenti

    value = pysenti.classify(text)["score"]
    return "negative" if value < 0 else "positive" if value > 0 else "neutral"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--limit", type=int, default=None, help="N texts of each set only, every k-th (a set may be sorted by label)"
    )
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    for name, (language, path) in SETS.items():
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if args.limit:
            rows = rows[:: max(1, len(rows) // args.limit)][: args.limit]
        gold = [row["label"] for row in rows]
        texts = [row["text"] for row in rows]
        classes = ", ".join(f"{label} {count}" for label, count in sorted(Counter(gold).items()))
        print(f"{name}: {len(rows):,} real labelled texts ({path.relative_to(REPO)}; {classes})")
        sentiment.score(texts[0], language)  # the lexicons load once, outside the timing
        started = time.perf_counter()
        scored = [sentiment.score(text, language) for text in texts]
        seconds = time.perf_counter() - started
        unscored = sum(1 for s in scored if s is None)
        if unscored:
            raise SystemExit(f"{name}: {unscored} texts were not scored")
        ours = [s[1] for s in scored]
        print(line(f"sentiment.py ({scored[0][2]})", measures(gold, ours), seconds, len(rows)))
        print(f"  predicted: {', '.join(f'{k} {v}' for k, v in sorted(Counter(ours).items()))}")
        if language == "zh":
            pysenti_label(texts[0])
            started = time.perf_counter()
            theirs = [pysenti_label(text) for text in texts]
            seconds = time.perf_counter() - started
            print(line("pysenti's rule classifier", measures(gold, theirs), seconds, len(rows)))


if __name__ == "__main__":
    run(main)
