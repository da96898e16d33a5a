"""CPython's email test corpus (48 real messages, tests/fixtures/real/mail/SOURCES.md) through extract and
load: every message's outcome, by the rule written down in SOURCES.md before the table was filled."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from homes import settings_in

from complaints_pipeline import ingest, loader

CORPUS = Path(__file__).parents[1] / "fixtures" / "real" / "mail" / "cpython"
DAY = dt.date(2026, 10, 12)

# message -> (outcome, detail): loaded with its language; skipped with its kind; quarantined with a
# fragment of its reason.
EXPECTED = {
    "msg_01": ("quarantined", "appears more than once"),
    "msg_02": ("loaded", "en"),
    "msg_03": ("skipped", "duplicate_version"),
    "msg_04": ("loaded", "en"),
    "msg_05": ("skipped", "bounce"),
    "msg_06": ("quarantined", "text is empty"),
    "msg_07": ("loaded", "en"),
    "msg_08": ("quarantined", "text is empty"),
    "msg_09": ("quarantined", "text is empty"),
    "msg_10": ("loaded", "en"),
    "msg_11": ("quarantined", "no Date header"),
    "msg_12": ("quarantined", "text is empty"),
    "msg_12a": ("quarantined", "text is empty"),
    "msg_13": ("loaded", "en"),
    "msg_14": ("quarantined", "appears more than once"),
    "msg_15": ("quarantined", "no Date header"),
    "msg_16": ("skipped", "bounce"),
    "msg_17": ("loaded", "en"),
    "msg_18": ("quarantined", "no Date header"),
    "msg_19": ("quarantined", "no Date header"),
    "msg_20": ("skipped", "duplicate_version"),
    "msg_21": ("quarantined", "no Date header"),
    "msg_22": ("loaded", "und"),
    "msg_23": ("quarantined", "no Date header"),
    "msg_24": ("quarantined", "no Date header"),
    "msg_25": ("skipped", "bounce"),
    "msg_26": ("loaded", "en"),
    "msg_27": ("loaded", "und"),
    "msg_28": ("quarantined", "no Date header"),
    "msg_29": ("skipped", "duplicate_version"),
    "msg_30": ("quarantined", "no Date header"),
    "msg_31": ("quarantined", "no Date header"),
    "msg_32": ("loaded", "und"),
    "msg_33": ("loaded", "und"),
    "msg_34": ("quarantined", "no Date header"),
    "msg_35": ("quarantined", "no Date header"),
    "msg_36": ("quarantined", "before 2000"),
    "msg_37": ("quarantined", "no Date header"),
    "msg_38": ("quarantined", "no Date header"),
    "msg_39": ("quarantined", "no Date header"),
    "msg_40": ("quarantined", "no Date header"),
    "msg_41": ("loaded", "und"),
    "msg_42": ("quarantined", "no Date header"),
    "msg_43": ("skipped", "bounce"),
    "msg_44": ("skipped", "duplicate_version"),
    "msg_45": ("quarantined", "no Date header"),
    "msg_46": ("loaded", "en"),
    "msg_47": ("loaded", "und"),
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def outcomes(home: Path) -> dict[str, tuple]:
    with settings_in(home, max_quarantined_share="1") as settings:  # a corpus of oddities, not a day of mail
        folder = settings.landing_dir / "email" / DAY.isoformat()
        folder.mkdir(parents=True)
        for message in sorted(CORPUS.glob("msg_*.txt")):
            shutil.copy(message, folder / f"{message.stem}.eml")
        ingest.extract("email", [DAY], settings)
        loader.load(["email"], [DAY], settings)
    found: dict[str, tuple] = {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        sql = "select source_file, 'loaded', language, complaint_text, extra from raw.email_complaints"
        for source_file, outcome, language, text, extra in con.sql(sql).fetchall():
            found.setdefault(Path(source_file).stem, (outcome, language, text, extra))
        for source_file, reason in con.sql("select source_file, reason from raw.quarantine").fetchall():
            found.setdefault(Path(source_file).stem, ("quarantined", reason))
        for source_file, kind in con.sql("select source_file, kind from raw.skipped").fetchall():
            found.setdefault(Path(source_file).stem, ("skipped", kind))
    return found


def test_the_corpus_is_all_there() -> None:
    assert len(list(CORPUS.glob("msg_*.txt"))) == len(EXPECTED) == 48


@pytest.mark.parametrize("message", sorted(EXPECTED))
def test_every_message_has_its_expected_outcome(outcomes: dict[str, tuple], message: str) -> None:
    outcome, detail = EXPECTED[message]
    got = outcomes[message]
    assert got[0] == outcome, got
    if outcome == "quarantined":
        assert detail in got[1], got[1]
    else:
        assert got[1] == detail, got


def test_what_real_mail_gives(outcomes: dict[str, tuple]) -> None:
    """The corpus's particular messages, read as a person reads them."""
    text = {name: got[2] for name, got in outcomes.items() if got[0] == "loaded"}
    # A multipart whose boundary never appears (msg_41: multipart/alternative, no boundary lines) is text.
    assert text["msg_41"] == "Blah blah blah"
    # Every text part, in order (msg_13: a text/plain part, then a nested message's text).
    assert text["msg_13"].startswith("A text/plain part\n\nHi there,")
    # Quoted-printable and 7bit parts of one message, both kept (msg_10).
    assert "This is a 7bit encoded message." in text["msg_10"] and "Quoted Printable" in text["msg_10"]
    # A folded subject is one line (msg_27); its 140-digit run is masked like any long number.
    assert '"subject": "bug demonstration [phone] more text"' in outcomes["msg_27"][3]
    # A digest's addresses are masked (msg_02: list submissions and owner addresses).
    assert "@" not in text["msg_02"]
    # Four delivery-status reports are bounces, none an auto-reply; two list replies (Precedence: bulk) load.
    bounces = sorted(name for name, got in outcomes.items() if got == ("skipped", "bounce"))
    assert bounces == ["msg_05", "msg_16", "msg_25", "msg_43"]
    assert outcomes["msg_32"][0] == outcomes["msg_33"][0] == "loaded"


def test_no_sender_of_the_corpus_is_named_in_what_it_loaded(outcomes: dict[str, tuple], home: Path) -> None:
    """The privacy scanner's search, on real mail: the corpus's senders (names and addresses from its From
    headers) appear in no loaded text or subject."""
    from complaints_pipeline import privacy_scan

    identities = privacy_scan.landed_identities(home / "landing")
    assert len(identities.names) == 10 and len(identities.emails) == 17
    report = privacy_scan.Report()
    for name, got in outcomes.items():
        if got[0] == "loaded":
            report.check(name, got[2], identities)
            report.check(name, got[3], identities)
    assert dict(report.findings) == {}
