"""Masking free text: what is masked, what is kept (pii.mask_text), the columnar parsers' pre-filter, the
language of a text and the charset of bytes."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from complaints_pipeline import pii
from complaints_pipeline.sources.base import detect_encoding, language_of


@pytest.mark.parametrize(
    ("text", "known", "masked"),
    [
        # The generator's sign-off, and the sender's name wherever else it stands.
        ("Router broken.\n\nRegards,\nPaul Clark\n", ("Paul Clark",), "Router broken.\n\nRegards,\n[name]\n"),
        (
            "Paul Clark here: my router is broken. Ask Paul.",
            ("Paul Clark",),
            "[name] here: my router is broken. Ask [name].",
        ),
        # A sign-off naming someone the record does not know is masked by its shape.
        # (Up to three short lines without digits: a job title goes with the name.)
        (
            "Router broken.\n\nBest wishes,\nSarah Moore\nSenior Engineer\n",
            (),
            "Router broken.\n\nBest wishes,\n[name]\n[name]\n",
        ),
        ("Thanks, Kevin\n", (), "Thanks, [name]\n"),
        ("快递丢了。\n\n此致\n王娜\n", (), "快递丢了。\n\n此致\n[name]\n"),
        ("快递丢了。\n\n此致\n敬礼\n王小明\n", (), "快递丢了。\n\n此致\n敬礼\n[name]\n"),
        # A Chinese name: whole, and its given name of two characters; never one character.
        ("王小明说小明的快递丢了，王先生很生气", ("王小明",), "[name]说[name]的快递丢了，[name]先生很生气"),
        # A name that is also a word is masked only as a name is written.
        ("The green light blinks. Green said no.", ("Sarah Green",), "The green light blinks. [name] said no."),
        # Titles, introductions.
        (
            "Mr Smith and Dr. Lewis said no. My name is Grace Hill.",
            (),
            "Mr [name] and Dr. [name] said no. My name is [name].",
        ),
        ("我叫李雷，联系人：韩梅梅", (), "我叫[name]，联系人：[name]"),
        # A form's name field ends at the next label (a real CFPB narrative's form).
        ("Account name : XXXX Account number : XXXX", (), "Account name : [name] Account number : XXXX"),
        # Handles: every one but the service's own; the author's handle without its @ too.
        (
            "@AcmeCare RT @jane_doe: ask @bob99 or jane_doe",
            ("@jane_doe",),
            "@AcmeCare RT [handle]: ask [handle] or [handle]",
        ),
        # Contacts and accounts.
        ("call 138-1234-5678 or +44 20 7946 0958, mail a.b@x.co.uk", (), "call [phone] or [phone], mail [email]"),
        ("account 87654321 and 账号：62220212345678", (), "account [account] and 账号：[account]"),
        ("my own 998877 account", ("998877",), "my own [account] account"),
        # Street addresses.
        ("I live at 221B Baker Street, London.", (), "I live at [address], London."),
        # Chinese has no spaces: up to ten characters before the road's name go with it ("寄到" here).
        ("寄到建国路88号3栋1201室了", (), "[address]了"),
    ],
)
def test_what_is_masked(text: str, known: tuple[str, ...], masked: str) -> None:
    assert pii.mask_text(text, known, keep_handles=("@AcmeCare",)) == masked


@pytest.mark.parametrize(
    "text",
    [
        # Dates and times the service-level clocks and the analysis need.
        "It broke on 2026-11-02 14:30 and again on 02-11-2026.",
        "Delivered 2026-11-02T10:00:00, billed 2026/11/02.",
        # Amounts, and order, ticket and reference numbers after their label.
        "I paid $1 234 567 and ¥12345678, refund 1,299.00 CNY.",
        "Order 12345678, ticket no. 99887766, ref #55667788, 订单号 20261102001, #R0A1B2C3D.",
        # Ordinary words and short numbers.
        "My router (model 4500) lost 3 days; the best support is none. Thank you for nothing.",
        "Best before 12 Nov. 路由器坏了三天。",
        # Real CFPB narratives' forms (tests/fixtures/real/narratives): no title but a name's, no field label,
        # no statute, no rate written with an @.
        "Dear Sir/Madam In XX/XX/XXXX, Miss Payment As you know",
        "Which under the 15 U.S.C 1681-2 1 ( a ) and 15 USC 1681 602 A states",
        "Interest@30.5 % compounded and $ XXXX@22.99 % which",
    ],
)
def test_what_is_kept(text: str) -> None:
    assert pii.mask_text(text) == text


def test_the_columnar_prefilter_passes_every_text_that_masking_changes() -> None:
    """A columnar parser calls mask_text() only where MAY_NEED_MASKING matches (or the row's identities
    appear): on any text it does not match, mask_text() must change nothing. Checked on 20,000 texts
    made of the pieces masking reacts to and ordinary words."""
    pieces = [
        "router", "broken", "again", "Regards,", "\n", "\n\n", "Thanks", "Best,", "此致", "王娜", "Mr",
        "Smith", "Dr.", "Lee", "my name is", "Anna", "@bob", "@AcmeCare", "a@b.cn", "138-1234-5678",
        "12345678", "2026-11-02", "221", "Baker", "Street", "建国路", "88号", "order", "account", "先生",
        "我叫", "李雷", "Hi,", "1", "$", "。", "Kind regards", "Paul Clark", "-", " ",
    ]  # fmt: skip
    rng = random.Random(7)
    texts = [" ".join(rng.choices(pieces, k=rng.randint(1, 12))) for _ in range(20_000)]
    flagged = pc.match_substring_regex(pa.array(texts), pii.MAY_NEED_MASKING).to_pylist()
    changed_unflagged = [t for t, f in zip(texts, flagged, strict=True) if not f and pii.mask_text(t) != t]
    assert changed_unflagged == []
    assert 0 < sum(flagged) < len(texts)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("My router has been broken for a week and nobody answers the phone.", "en"),
        # English mail signed with a Chinese name is English.
        ("My router has been broken for a week and nobody answers.\n\nRegards,\n王娜", "en"),
        ("快递延迟了一周，电话也没人接，请尽快处理。", "zh"),
        ("Mon colis est perdu depuis une semaine et personne ne répond.", "fr"),
        ("Mein Router ist seit einer Woche kaputt und niemand antwortet.", "de"),
        ("test", "und"),  # one word: the model cannot tell
        ("", "en"),
    ],
)
def test_language_per_text(text: str, language: str) -> None:
    assert language_of(text) == language


@pytest.mark.parametrize(
    ("text", "encoding", "declared"),
    [
        ("快递延迟了一周，电话没人接，请尽快处理。", "gb18030", None),
        ("我的路由器壞了，一直無人回覆，請儘快處理。", "big5hkscs", None),
        ("Café résumé naïve – “quoted” déjà vu", "cp1252", "utf-8"),  # labelled wrongly
        ("My router is broken, nobody answers.", "utf-16-le", None),  # no byte-order mark
        ("快递延迟了一周，电话没人接。", "utf-32-le", None),
        ("My router is broken", "utf-16", None),
    ],
)
def test_charsets_are_detected_where_the_label_is_missing_or_wrong(text: str, encoding: str, declared) -> None:
    data = text.encode(encoding)
    found = detect_encoding(data, declared)
    assert found is not None and data.decode(found) == text


def test_real_cfpb_narratives_lose_nothing_but_names_already_redacted() -> None:
    """3,882 real CFPB narratives (tests/fixtures/real/narratives): the CFPB has already replaced names,
    contacts and account numbers by XXXX, so a [phone], [email], [account], [handle] or [address] there
    is false masking. Measured: 148 narratives (3.8 %) change, each by a [name] where a sign-off, an
    introduction or a title stood (mostly before XXXX; "Mr. Cooper", a mortgage servicer, is one of them)."""
    import csv
    from pathlib import Path

    path = Path(__file__).parents[1] / "fixtures" / "real" / "narratives" / "cfpb_narratives.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        narratives = [row["narrative"] for row in csv.DictReader(handle)]
    masked = [pii.mask_text(text) for text in narratives]
    changed = [m for t, m in zip(narratives, masked, strict=True) if m != t]
    assert len(narratives) == 3882
    assert len(changed) <= 0.04 * len(narratives)
    for tag in ("[phone]", "[email]", "[account]", "[handle]", "[address]"):
        assert not [m for m in changed if tag in m], tag
