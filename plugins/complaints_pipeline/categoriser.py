"""A complaint-text classifier learnt from the complaints whose category a person set.

Phone agents and web forms set a complaint's category; a CFPB complaint's consumer picks an Issue, which
seed `cfpb_issue_categories` maps to a category. Those complaints train a classifier (TF-IDF over words
and over character 2- to 4-grams, which needs no Chinese word segmentation, into a logistic regression),
which then categorises the complaints nobody categorised (email, social), with its confidence.

- `train` (the weekly `complaints_categoriser` DAG) reads the labelled complaints from the warehouse, holds
  out a fifth to measure the model, fits it on all of them, and saves it as a versioned artifact:
  `$COMPLAINTS_HOME/models/categoriser/<version>/` with `model.joblib` and `model.json` (training rows per
  category, the held-out macro-F1 and accuracy), and `current.json` naming the version in use.
- `categorise_texts` (the load task) gives each new text of a loaded day the current model's category and
  confidence in `raw.text_categories`, keyed by the text's MD5: dbt's `int_complaints_categorised` uses it
  for complaints no person categorised and no keyword rule (the seed, matched on word boundaries)
  overrides. With no model yet (a new installation), the keyword rules alone categorise.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from complaints_pipeline import critical_model
from complaints_pipeline.config import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
# A prediction below this confidence leaves the complaint uncategorised.
MIN_CONFIDENCE = 0.3
# Fewer labelled complaints than this (or a category with fewer than MIN_PER_CATEGORY) trains no model.
MIN_TRAINING = 50
MIN_PER_CATEGORY = 5


def categories() -> list[str]:
    """The categories a complaint can have (seed category_causes), 'uncategorised' aside."""
    with (SEEDS / "category_causes.csv").open(encoding="utf-8") as handle:
        return [row["category"] for row in csv.DictReader(handle) if row["category"] != "uncategorised"]


def issue_categories() -> dict[str, str]:
    """CFPB Issue (lower case) -> category, from seed cfpb_issue_categories ('other': none of ours)."""
    with (SEEDS / "cfpb_issue_categories.csv").open(encoding="utf-8") as handle:
        return {row["issue"].strip().lower(): row["category"] for row in csv.DictReader(handle)}


def text_hash(text: str) -> str:
    """The key of a text's category: the MD5 of its UTF-8 bytes, as dbt's md5() computes it."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def make_model(seed: int = 0):
    """The classifier: word and character n-gram TF-IDF into a class-balanced logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000)),
            (
                "characters",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, max_features=300_000
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=5.0, max_iter=2000, class_weight="balanced", random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class Model:
    version: str
    pipeline: object
    classes: list[str]

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        """(category, confidence) per text; 'uncategorised' below MIN_CONFIDENCE."""
        if not texts:
            return []
        probabilities = self.pipeline.predict_proba(texts)
        out = []
        for row in probabilities:
            best = int(row.argmax())
            confidence = float(row[best])
            out.append((self.classes[best] if confidence >= MIN_CONFIDENCE else "uncategorised", confidence))
        return out


def models_dir(settings: Settings) -> Path:
    return settings.home / "models" / "categoriser"


def current_version(settings: Settings) -> str | None:
    """The version in use (current.json), or None before the first training."""
    pointer = models_dir(settings) / "current.json"
    return json.loads(pointer.read_text(encoding="utf-8"))["version"] if pointer.exists() else None


def current(settings: Settings) -> Model | None:
    """The model in use, or None before the first training."""
    import joblib

    version = current_version(settings)
    if version is None:
        return None
    pipeline = joblib.load(models_dir(settings) / version / "model.joblib")
    return Model(version, pipeline, list(pipeline.classes_))


def evaluate(texts: list[str], labels: list[str], seed: int = 0) -> dict:
    """Hold out a stratified fifth, fit on the rest: macro-F1, accuracy, per-category F1, uncategorised share."""
    from sklearn.model_selection import train_test_split

    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=seed
    )
    pipeline = make_model(seed).fit(train_x, train_y)
    model = Model("held-out", pipeline, list(pipeline.classes_))
    predicted = [category for category, _ in model.predict(test_x)]
    return score(test_y, predicted)


def score(truth: list[str], predicted: list[str]) -> dict:
    """macro-F1 over the true categories, accuracy, F1 per category, and the share left uncategorised."""
    from sklearn.metrics import accuracy_score, f1_score

    names = sorted(set(truth))
    per_category = f1_score(truth, predicted, labels=names, average=None, zero_division=0)
    return {
        "rows": len(truth),
        "macro_f1": float(f1_score(truth, predicted, labels=names, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "uncategorised_share": sum(p == "uncategorised" for p in predicted) / len(predicted) if predicted else 0.0,
        "f1": dict(zip(names, (float(f) for f in per_category), strict=True)),
    }


def training_rows(settings: Settings) -> list[tuple[str, str]]:
    """(text, category) of every complaint a person categorised, its latest text (warehouse raw tables)."""
    from complaints_pipeline.reference import CHANNELS
    from complaints_pipeline.warehouse import Connection

    known, issues = set(categories()), issue_categories()
    latest: dict[str, tuple] = {}
    with Connection(settings, read_only=True) as con:
        for channel in CHANNELS:
            rows = con.execute(
                f"""
                select complaint_id, version_at, complaint_text, category, record_source, extra
                from raw.{channel}_complaints
                where complaint_text is not null and (category is not null or record_source = 'cfpb')
                """
            ).fetchall()
            for complaint_id, version_at, text, category, source, extra in rows:
                if category not in known and source == "cfpb" and extra:
                    category = issues.get((json.loads(extra).get("issue") or "").strip().lower())
                if category in known and (complaint_id not in latest or version_at >= latest[complaint_id][0]):
                    latest[complaint_id] = (version_at, text, category)
    return [(text, category) for _, text, category in latest.values()]


def train(settings: Settings, now: dt.datetime | None = None) -> dict:
    """Fit a model on every complaint a person categorised and make it current; what was trained, or why not."""
    import joblib

    rows = training_rows(settings)
    counts: dict[str, int] = {}
    for _, category in rows:
        counts[category] = counts.get(category, 0) + 1
    usable = {c for c, n in counts.items() if n >= MIN_PER_CATEGORY}
    rows = [(t, c) for t, c in rows if c in usable]
    if len(rows) < MIN_TRAINING or len(usable) < 2:
        reason = f"{len(rows)} categorised complaints in {len(usable)} categories: too few to train on"
        log.warning("categoriser not trained: %s", reason)
        return {"trained": False, "reason": reason, "rows": len(rows)}
    texts, labels = [t for t, _ in rows], [c for _, c in rows]
    held_out = evaluate(texts, labels)
    pipeline = make_model().fit(texts, labels)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    digest = hashlib.sha256("\n".join(f"{c}\t{t}" for t, c in sorted(rows)).encode("utf-8")).hexdigest()[:8]
    version = f"{stamp}-{digest}"
    folder = models_dir(settings) / version
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, folder / "model.joblib")
    critical = critical_model.train(settings, folder)  # the fast lane's rules a person's choice labels
    info = {
        "trained": True,
        "version": version,
        "rows": len(rows),
        "per_category": dict(sorted(counts.items())),
        "held_out": held_out,
        "min_confidence": MIN_CONFIDENCE,
        "critical": critical,
    }
    (folder / "model.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    # Written last and whole: a load that starts now uses either the old model or the new one.
    pointer = models_dir(settings) / "current.json"
    temporary = pointer.with_suffix(".tmp")
    temporary.write_text(json.dumps({"version": version}), encoding="utf-8")
    temporary.replace(pointer)
    log.info(
        "categoriser %s trained on %d complaints, held-out macro-F1 %.3f", version, len(rows), held_out["macro_f1"]
    )
    return info


def categorise_texts(con, settings: Settings, channels: list[str], days: list[dt.date], now: dt.datetime) -> int:
    """In the load's transaction: the current model's category of each text these channels' days brought that
    no person categorised and no earlier load categorised (raw.text_categories); returns the texts added."""
    model = current(settings)
    if model is None:
        return 0
    new = unseen(con, "raw.text_categories", day_texts(con, channels, days, "category is null"))
    if not new:
        return 0
    predictions = model.predict([text for _, text in new])
    con.insert_rows(
        "raw.text_categories",
        ["text_hash", "category", "confidence", "model_version", "categorised_at"],
        [
            (key, category, confidence, model.version, now)
            for (key, _), (category, confidence) in zip(new, predictions, strict=True)
        ],
        skip_existing=True,
    )
    return len(new)


def day_texts(con, channels: list[str], days: list[dt.date], where: str = "true") -> dict[str, str]:
    """The distinct texts of these channels' days (raw tables) meeting `where`, by their text_hash."""
    texts: dict[str, str] = {}
    for channel in channels:
        for day in days:
            rows = con.execute(
                f"select distinct complaint_text from raw.{channel}_complaints"
                f" where partition_date = ? and complaint_text is not null and {where}",
                [day],
            ).fetchall()
            texts.update((text_hash(text), text) for (text,) in rows)
    return texts


def unseen(con, table: str, texts: dict[str, str]) -> list[tuple[str, str]]:
    """(text_hash, text) of the texts the table (keyed by text_hash) holds nothing for yet."""
    keys = sorted(texts)
    known: set[str] = set()
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        marks = ", ".join("?" for _ in chunk)
        known.update(
            key
            for (key,) in con.execute(
                f"select distinct text_hash from {table} where text_hash in ({marks})", chunk
            ).fetchall()
        )
    return [(key, text) for key, text in texts.items() if key not in known]
