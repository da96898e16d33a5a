"""The learned categoriser on real complaints, through the pipeline's own stages and dbt.

Real CFPB narratives with their consumer's Issue (tests/fixtures/real/narratives; SOURCES.md says where each
came from and how seed cfpb_issue_categories maps an Issue to a category, a rule written before any
classifier ran). Four in five go in as a CFPB export (the web channel): their Issue sets their category,
a person's, so they train the classifier. The fifth comes in as email (the test wraps each narrative in a
mail message, From a made-up address): nobody categorised those, so the classifier does, once trained.

Ground truth for the emails: the category their Issue maps to (rows whose Issue maps to `other` are left
out). Chance, for five categories, is about 0.2.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.message
import email.utils
import json

import pytest
from helpers import REPO_ROOT, query
from homes import settings_in

from complaints_pipeline import categoriser, ingest, loader, transform
from complaints_pipeline.sources.email import complaint_id_for

pytestmark = pytest.mark.e2e

NARRATIVES = REPO_ROOT / "tests" / "fixtures" / "real" / "narratives" / "cfpb_narratives.csv"
EXPORT_DAY = dt.date(2026, 10, 12)
MAIL_DAY = dt.date(2026, 10, 13)
CFPB_HEADER = [
    "Date received", "Product", "Sub-product", "Issue", "Sub-issue", "Consumer complaint narrative",
    "Company public response", "Company", "State", "ZIP code", "Tags", "Consumer consent provided?",
    "Submitted via", "Date sent to company", "Company response to consumer", "Timely response?",
    "Consumer disputed?", "Complaint ID",
]  # fmt: skip


def _labelled() -> list[dict]:
    issues = categoriser.issue_categories()
    with NARRATIVES.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{**r, "category": issues[r["issue"].strip().lower()]} for r in rows]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    home = tmp_path_factory.mktemp("categoriser")
    with settings_in(home, holiday_country="US", local_tz="America/New_York", max_quarantined_share="1") as settings:
        rows = _labelled()
        exported = [r for r in rows if int(r["complaint_id"]) % 5 != 0]
        mailed = [r for r in rows if int(r["complaint_id"]) % 5 == 0 and r["category"] != "other"]

        folder = settings.landing_dir / "web" / EXPORT_DAY.isoformat()
        folder.mkdir(parents=True)
        with (folder / "cfpb_export.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CFPB_HEADER)
            for r in exported:
                record = dict.fromkeys(CFPB_HEADER, "")
                record.update({
                    "Date received": r["date_received"], "Product": r["product"], "Issue": r["issue"],
                    "Sub-issue": r["sub_issue"], "Consumer complaint narrative": r["narrative"],
                    "Submitted via": "Web", "Company response to consumer": "Closed with explanation",
                    "Complaint ID": r["complaint_id"],
                })  # fmt: skip
                writer.writerow([record[c] for c in CFPB_HEADER])
        folder = settings.landing_dir / "email" / MAIL_DAY.isoformat()
        folder.mkdir(parents=True)
        sent = dt.datetime.combine(MAIL_DAY, dt.time(15), tzinfo=dt.UTC)
        for n, r in enumerate(mailed):
            message = email.message.EmailMessage()
            message["From"] = f"customer{n}@example.net"
            message["To"] = "complaints@acme.example.com"
            message["Subject"] = "My complaint"
            message["Date"] = email.utils.format_datetime(sent + dt.timedelta(seconds=n))
            message["Message-ID"] = f"<cfpb-{r['complaint_id']}@example.net>"
            message.set_content(r["narrative"])
            (folder / f"{n}.eml").write_bytes(bytes(message))

        ingest.extract("web", [EXPORT_DAY], settings)
        loader.load(["web"], [EXPORT_DAY], settings)
        trained = categoriser.train(settings)
        ingest.extract("email", [MAIL_DAY], settings)
        loader.load(["email"], [MAIL_DAY], settings)
        transform.build(settings)
        yield settings, trained, exported, mailed


def test_the_complaints_a_person_categorised_train_a_versioned_model(pipeline) -> None:
    settings, trained, exported, _ = pipeline
    # Every exported narrative whose Issue maps to one of the five categories.
    expected = {}
    for r in exported:
        if r["category"] != "other":
            expected[r["category"]] = expected.get(r["category"], 0) + 1
    assert trained["trained"] and trained["per_category"] == dict(sorted(expected.items()))
    folder = categoriser.models_dir(settings) / trained["version"]
    assert json.loads((folder / "model.json").read_text())["rows"] == sum(expected.values())
    assert json.loads((categoriser.models_dir(settings) / "current.json").read_text()) == {
        "version": trained["version"]
    }
    # Held out a fifth while training: well above chance, below what docs/warehouse.md quotes as the goal (0.7).
    assert 0.35 < trained["held_out"]["macro_f1"] < 0.8
    # The export's complaints are categorised by their consumers' Issues, in the marts too; those whose Issue
    # fits none of the categories by the keyword rules, if any matches (no model existed at their load).
    methods = dict(
        query(settings, "select category_method, count(*) from marts.complaints where channel = 'web' group by 1")
    )
    assert methods["person"] == sum(expected.values())
    assert methods.get("keyword", 0) + methods.get("none", 0) == len(exported) - sum(expected.values())
    assert "model" not in methods


def test_mail_nobody_categorised_is_categorised_by_the_model_with_its_version(pipeline) -> None:
    settings, trained, _, mailed = pipeline
    truth = {complaint_id_for(f"<cfpb-{r['complaint_id']}@example.net>"): r["category"] for r in mailed}
    rows = query(
        settings,
        "select complaint_id, complaint_category, category_method, category_confidence, category_model_version"
        " from marts.complaints where channel = 'email'",
    )
    assert len(rows) == len(mailed)
    by_method: dict[str, int] = {}
    for _, _, method, confidence, version in rows:
        by_method[method] = by_method.get(method, 0) + 1
        assert (version == trained["version"]) == (method == "model")
        assert (confidence is not None) == (method == "model")
    assert by_method.get("model", 0) > 0.6 * len(rows)  # the rest: keyword overrides, or too unsure
    assert by_method.get("none", 0) <= 0.1 * len(rows)
    model_rows = [(truth[sid], category) for sid, category, method, _, _ in rows if method == "model"]
    accuracy = sum(t == c for t, c in model_rows) / len(model_rows)
    assert accuracy > 0.35, accuracy


def test_the_fast_lanes_legal_classifier_learns_from_the_consumers_choice_and_flags_unseen_mail(pipeline) -> None:
    """The rule, written before any model (critical_model.LABELS): a CFPB complaint is labelled legal when its
    Issue or Sub-issue names legal action. The keyword rules find that label at precision 0.07 on these texts
    (docs/measurements.md). The model learnt from the export's labels, judged on the mail it never saw."""
    from complaints_pipeline import critical_model

    settings, trained, exported, mailed = pipeline
    legal = trained["critical"]["legal"]
    labelled = [critical_model.label(r["issue"], r["sub_issue"])["legal"] for r in exported]
    assert legal["trained"] and (legal["rows"], legal["positives"]) == (len(exported), sum(labelled))
    folder = categoriser.models_dir(settings) / trained["version"]
    assert (folder / "critical-legal.joblib").exists()
    assert legal["held_out"]["precision"] > 0.3  # on a fifth of the export, held out while training

    # Every mailed text was scored once, by this version; the mart's legal rule counts those at 0.5 or more.
    truth = {
        complaint_id_for(f"<cfpb-{r['complaint_id']}@example.net>"): critical_model.label(r["issue"], r["sub_issue"])[
            "legal"
        ]
        for r in mailed
    }
    scored = query(settings, "select count(*), min(model_version), max(model_version) from raw.text_critical")
    assert scored == [(len({r["narrative"] for r in mailed}), trained["version"], trained["version"])]
    flagged = query(
        settings,
        "select complaint_id, matched_keyword from marts.critical_complaints"
        " where channel = 'email' and critical_rules like '%legal%' and model_probability >= 0.5",
    )
    by_model = [cid for cid, keyword in flagged if keyword is None]
    hits = sum(truth[cid] for cid, _ in flagged)
    print(
        f"mail: {len(truth)} narratives, {sum(truth.values())} labelled legal; the model flags {len(flagged)}"
        f" ({len(by_model)} no keyword found), {hits} of them labelled legal"
    )
    assert by_model  # the model finds what no keyword does
    assert hits / len(flagged) > 0.3
