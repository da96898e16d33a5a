"""The copy-campaign linker (plugins/complaints_pipeline/copies.py) on real public comments no one here wrote.

    PYTHONPATH=plugins .venv/bin/python benchmarks/copies_evaluation.py [--limit N]

The texts are 470 public comments to a US regulator's docket (tests/fixtures/real/copies; SOURCES.md says where
they came from), among them a form-letter campaign sent word for word or lightly edited by many people, and
attachment placeholders ("See attached file(s)") that are exact copies but no campaign.

Ground truth, written in SOURCES.md before the linker ran on these texts: a row is a campaign copy when it
holds the campaign letter's sentence "One piece of information that is often important". The linker sees the
texts in the order the agency received them, one day at a time, as the load task does; a row is flagged when its
copy group holds at least MIN_GROUP rows (each row is a different commenter). Printed: precision and recall of
the flag, the largest groups, and the linker's speed.
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

from complaints_pipeline import copies  # noqa: E402
from complaints_pipeline.categoriser import text_hash  # noqa: E402

TEXTS = REPO / "tests" / "fixtures" / "real" / "copies" / "texts.csv"
CAMPAIGN_SENTENCE = "One piece of information that is often important"
# The smallest copy group called a campaign: dbt's var campaign_min_customers, by default.
MIN_GROUP = 5


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="the first N texts (by id) only")
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    with TEXTS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[: args.limit]
    labelled = {row["text_id"]: CAMPAIGN_SENTENCE in row["text"] for row in rows}
    print(
        f"{len(rows):,} real public comments ({TEXTS.relative_to(REPO)}), {sum(labelled.values())} labelled campaign"
        f" copies; linked at {copies.MIN_CHARACTERS}+ characters, similarity {copies.SIMILARITY}"
    )
    # Day by day, as loads come: each day's new texts against the groups of the days before.
    groups: dict[str, str] = {}
    started = time.perf_counter()
    for day in sorted({row["date"] for row in rows}):
        new = {text_hash(row["text"]): row["text"] for row in rows if row["date"] == day}
        known = {key: (text, groups[key]) for key, text in _texts(rows).items() if key in groups}
        groups.update(copies.link(new, known))
    seconds = time.perf_counter() - started
    size = Counter(groups[text_hash(row["text"])] for row in rows if text_hash(row["text"]) in groups)
    flagged = {
        row["text_id"]
        for row in rows
        if text_hash(row["text"]) in groups and size[groups[text_hash(row["text"])]] >= MIN_GROUP
    }
    positives = {key for key, is_copy in labelled.items() if is_copy}
    true = len(flagged & positives)
    precision = true / len(flagged) if flagged else 0.0
    recall = true / len(positives) if positives else 0.0
    print(f"  flagged {len(flagged)} rows in groups of {MIN_GROUP}+, {true} of them labelled:"
          f" precision {precision:.2f}, recall {recall:.2f}")  # fmt: skip
    print(f"  groups of 2+: {', '.join(str(n) for _, n in size.most_common() if n >= 2) or 'none'}")
    short = sum(1 for row in rows if not copies.is_linkable(row["text"]))
    print(f"  {short} texts under {copies.MIN_CHARACTERS} characters were not linked (placeholders among them)")
    print(f"  linker: {len(rows) / seconds:,.0f} texts/s, {seconds:.2f} s day by day")


def _texts(rows: list[dict]) -> dict[str, str]:
    return {text_hash(row["text"]): row["text"] for row in rows}


if __name__ == "__main__":
    run(main)
