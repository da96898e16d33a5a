"""Complaint categories on real labelled complaints: the keyword rules against the learned classifier.

    PYTHONPATH=plugins .venv/bin/python benchmarks/categorisation_evaluation.py

The complaints are real CFPB narratives with the Issue their consumer picked
(tests/fixtures/real/narratives, SOURCES.md says where each came from); seed `cfpb_issue_categories` maps
the Issue to a category, by a rule written before any classifier ran. Issues none of the categories fits
(`other`) are left out of the F1 figures and counted apart.

- keyword rules, as dbt applies them (seed category_keywords): English keywords on word boundaries,
  Chinese ones anywhere in the text; the category with the most hits; none: uncategorised. Also the old
  substring matching, for comparison;
- the learned classifier (complaints_pipeline.categoriser: TF-IDF over words and character n-grams, a
  logistic regression), alone and, as the pipeline uses it, with the keyword rules where it is unsure;
  scored two ways: 5-fold cross-validation (each complaint predicted by a model that
  never saw it), and trained on the complaints received before --split-date, scored on those after (the
  way it is used: trained on the past, categorising what comes next).

Printed for each: macro-F1 over the five categories, accuracy, F1 per category, and the share left
uncategorised (no keyword, or confidence below categoriser.MIN_CONFIDENCE).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402

from complaints_pipeline import categoriser  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "real" / "narratives" / "cfpb_narratives.csv"


def keyword_rules(word_boundaries: bool = True):
    """A function text -> category by the seed's keywords (most hits; ties: the category first by name)."""
    with (categoriser.SEEDS / "category_keywords.csv").open(encoding="utf-8") as handle:
        seed = list(csv.DictReader(handle))
    patterns = []
    for row in seed:
        keyword = re.escape(row["keyword"].lower())
        bounded = word_boundaries and row["language_code"] != "zh"
        patterns.append((re.compile(rf"\b{keyword}\b" if bounded else keyword), row["category"]))

    def categorise(text: str) -> str:
        hits: dict[str, int] = {}
        lowered = text.lower()
        for pattern, category in patterns:
            if pattern.search(lowered):
                hits[category] = hits.get(category, 0) + 1
        if not hits:
            return "uncategorised"
        return min(hits, key=lambda c: (-hits[c], c))

    return categorise


def read(limit: int | None) -> tuple[list[dict], int]:
    issues = categoriser.issue_categories()
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if limit:
        rows = rows[:: max(len(rows) // limit, 1)][:limit]
    labelled, other = [], 0
    for row in rows:
        category = issues.get(row["issue"].strip().lower())
        if category is None:
            raise SystemExit(f"Issue {row['issue']!r} is not in seed cfpb_issue_categories")
        if category == "other":
            other += 1
            continue
        labelled.append({**row, "category": category})
    return labelled, other


def line(name: str, result: dict) -> str:
    per = "  ".join(f"{c.split('_')[0][:8]} {f:.2f}" for c, f in sorted(result["f1"].items()))
    return (
        f"{name:<38} {result['macro_f1']:8.3f} {result['accuracy']:9.3f} {result['uncategorised_share']:14.3f}"
        f"   {result['rows']:5d}   {per}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split-date", type=dt.date.fromisoformat, default=dt.date(2023, 1, 1))
    parser.add_argument("--limit", type=int, default=None, help="use about this many complaints (a quick run)")
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))

    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rows, other = read(args.limit)
    texts = [r["narrative"] for r in rows]
    truth = [r["category"] for r in rows]
    counts = {c: truth.count(c) for c in sorted(set(truth))}
    print(
        f"{len(rows):,} real CFPB narratives in the five categories ({other} more whose Issue fits none: left out); "
        + ", ".join(f"{c} {n}" for c, n in counts.items())
    )
    print()
    print(f"{'method':<38} macro-F1  accuracy  uncategorised    rows   F1 per category")
    for bounded, name in ((False, "keyword rules, substrings (before)"), (True, "keyword rules, word boundaries")):
        rules = keyword_rules(bounded)
        print(line(name, categoriser.score(truth, [rules(t) for t in texts])))

    started = time.perf_counter()
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    probabilities = cross_val_predict(categoriser.make_model(), texts, truth, cv=folds, method="predict_proba")
    classes = sorted(set(truth))
    predicted = [
        classes[int(p.argmax())] if p.max() >= categoriser.MIN_CONFIDENCE else "uncategorised" for p in probabilities
    ]
    print(line("learned classifier, 5-fold CV", categoriser.score(truth, predicted)))
    # As the pipeline uses it: the keyword rules where the classifier is unsure.
    rules = keyword_rules(True)
    combined = [p if p != "uncategorised" else rules(t) for p, t in zip(predicted, texts, strict=True)]
    print(line("  + keyword rules where it is unsure", categoriser.score(truth, combined)))
    before = [i for i, r in enumerate(rows) if dt.date.fromisoformat(r["date_received"]) < args.split_date]
    after = [i for i, r in enumerate(rows) if dt.date.fromisoformat(r["date_received"]) >= args.split_date]
    if before and after and len({truth[i] for i in before}) > 1:
        pipeline = categoriser.make_model().fit([texts[i] for i in before], [truth[i] for i in before])
        model = categoriser.Model("split", pipeline, list(pipeline.classes_))
        predicted_after = [c for c, _ in model.predict([texts[i] for i in after])]
        print(
            line(
                f"learned, trained < {args.split_date}, scored after",
                categoriser.score([truth[i] for i in after], predicted_after),
            )
        )
    print()
    print(f"classifier: {time.perf_counter() - started:.1f} s for the cross-validation and the split")


if __name__ == "__main__":
    run(main)
