"""The fast lane's learned classifier: a critical rule learnt from complaints whose reason a person gave.

The keyword rules (seed critical_keywords) match words; a person's own choice says more. A CFPB consumer picks
an Issue and Sub-issue, and some name legal action ("Took or threatened to take negative or legal action",
"Threatened to sue you for very old debt"): those complaints label the `legal` rule (LABELS, the rule written
down before any model was fitted, and the ground truth of benchmarks/critical_evaluation.py). On the 3,882 real
CFPB narratives of the tests' fixtures the keywords found that label at precision 0.07; a classifier learnt from
the labels, measured on texts it did not see, does far better (docs/measurements.md).

- `train` (with the categoriser, in the weekly `complaints_categoriser` DAG) fits one model per rule that has at
  least MIN_POSITIVES labelled complaints, into the categoriser's version folder (`critical-<rule>.joblib`), with
  its precision and recall at MIN_PROBABILITY, each text judged by a model fitted without it (5 folds), in
  model.json. With too few labels no model exists and the
  keyword rules alone decide, as before.
- `score_texts` (the load task) gives each new text of a loaded day every current rule model's probability, in
  `raw.text_critical`, keyed by the text's MD5; `marts.critical_complaints` counts a text whose probability
  reaches var critical_model_min_probability as meeting the rule.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

from complaints_pipeline.config import Settings

log = logging.getLogger(__name__)

# rule -> what, in a CFPB complaint's Issue or Sub-issue, labels it.
LABELS = {"legal": re.compile(r"\b(sue|sued|suing|lawsuit|legal|court|attorney|arrest|jail)\b", re.I)}
# Fewer labelled complaints of a rule than this, or fewer than MIN_ROWS in all, train no model for it.
MIN_POSITIVES = 20
MIN_ROWS = 200
# The probability at which held-out precision and recall are measured (dbt var critical_model_min_probability
# decides what is alerted, by default the same).
MIN_PROBABILITY = 0.5


def label(issue: str | None, sub_issue: str | None) -> dict[str, bool]:
    """A CFPB complaint's label for each rule, from what its consumer chose."""
    chosen = f"{issue or ''} {sub_issue or ''}"
    return {rule: bool(pattern.search(chosen)) for rule, pattern in LABELS.items()}


def training_rows(settings: Settings) -> list[tuple[str, str | None, str | None]]:
    """(text, issue, sub_issue) of every CFPB complaint with a narrative, its latest version (warehouse raw)."""
    from complaints_pipeline.reference import CHANNELS
    from complaints_pipeline.warehouse import Connection

    latest: dict[str, tuple] = {}
    with Connection(settings, read_only=True) as con:
        for channel in CHANNELS:
            rows = con.execute(
                f"select complaint_id, version_at, complaint_text, extra from raw.{channel}_complaints"
                " where record_source = 'cfpb' and complaint_text is not null and extra is not null"
            ).fetchall()
            for complaint_id, version_at, text, extra in rows:
                if complaint_id not in latest or version_at >= latest[complaint_id][0]:
                    fields = json.loads(extra)
                    latest[complaint_id] = (version_at, text, fields.get("issue"), fields.get("sub_issue"))
    return [row[1:] for row in latest.values()]


def evaluate(texts: list[str], labels: list[bool], folds: int = 5, seed: int = 0) -> dict:
    """Each text judged by a model fitted without it (stratified folds): precision and recall at MIN_PROBABILITY,
    and how many were flagged."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from complaints_pipeline.categoriser import make_model

    folds = min(folds, sum(labels), len(labels) - sum(labels))
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    column = sorted({False, True}).index(True)
    scores = cross_val_predict(make_model(seed), texts, labels, cv=split, method="predict_proba")[:, column]
    flagged = [float(p) >= MIN_PROBABILITY for p in scores]
    hits = sum(f and t for f, t in zip(flagged, labels, strict=True))
    return {
        "rows": len(labels),
        "folds": folds,
        "positives": sum(labels),
        "flagged": sum(flagged),
        "precision": hits / sum(flagged) if any(flagged) else None,
        "recall": hits / sum(labels) if any(labels) else None,
        "min_probability": MIN_PROBABILITY,
    }


def probabilities(pipeline, texts: list[str]) -> list[float]:
    """The probability of the rule (class True) for each text."""
    if not texts:
        return []
    column = list(pipeline.classes_).index(True)
    return [float(row[column]) for row in pipeline.predict_proba(texts)]


def train(settings: Settings, folder: Path) -> dict:
    """Fit a model for each rule with enough labelled complaints into the version folder; what was trained."""
    import joblib

    from complaints_pipeline.categoriser import make_model

    rows = training_rows(settings)
    texts = [text for text, _, _ in rows]
    trained = {}
    for rule in LABELS:
        labels = [label(issue, sub_issue)[rule] for _, issue, sub_issue in rows]
        positives = sum(labels)
        if positives < MIN_POSITIVES or len(rows) < MIN_ROWS:
            trained[rule] = {"trained": False, "rows": len(rows), "positives": positives}
            log.info("no %s model: %d labelled complaints, %d of them %s", rule, len(rows), positives, rule)
            continue
        held_out = evaluate(texts, labels)
        joblib.dump(make_model().fit(texts, labels), folder / f"critical-{rule}.joblib")
        trained[rule] = {"trained": True, "rows": len(rows), "positives": positives, "held_out": held_out}
    return trained


def current(settings: Settings) -> tuple[str, dict[str, object]] | None:
    """The current version and its rule models, or None when it has none."""
    import joblib

    from complaints_pipeline.categoriser import current_version, models_dir

    version = current_version(settings)
    if version is None:
        return None
    models = {
        path.stem.removeprefix("critical-"): joblib.load(path)
        for path in sorted((models_dir(settings) / version).glob("critical-*.joblib"))
    }
    return (version, models) if models else None


def score_texts(con, settings: Settings, channels: list[str], days: list[dt.date], now: dt.datetime) -> int:
    """In the load's transaction: each current rule model's probability for each text these channels' days
    brought that no earlier load scored (raw.text_critical); returns the texts scored."""
    from complaints_pipeline.categoriser import day_texts, unseen

    models = current(settings)
    if models is None:
        return 0
    version, pipelines = models
    new = unseen(con, "raw.text_critical", day_texts(con, channels, days))
    if not new:
        return 0
    for rule, pipeline in pipelines.items():
        scores = probabilities(pipeline, [text for _, text in new])
        con.insert_rows(
            "raw.text_critical",
            ["text_hash", "critical_rule", "probability", "model_version", "scored_at"],
            [(key, rule, p, version, now) for (key, _), p in zip(new, scores, strict=True)],
            skip_existing=True,
        )
    return len(new)
