"""Copies of one text: near-duplicate complaint texts linked into copy groups, for finding copy campaigns.

Each text of at least MIN_CHARACTERS (normalised: markup and case dropped, spaces collapsed; a Chinese character
counts as CJK_WEIGHT, as it carries about a word) is reduced to a MinHash of its character SHINGLE-grams;
locality-sensitive hashing finds the earlier texts of the last WINDOW_DAYS landing days (every channel) whose
estimated Jaccard similarity is SIMILARITY or more, and the new text joins their copy group (the smallest group id
among them), or starts one named by its own MD5. Exact copies share an MD5 and so a row. `link_texts` (the load
task) writes each new text's group once into `raw.text_copies`.

Shorter texts are alike by chance ("See attached file(s)", "My phone is broken after only two weeks. Thanks."), so
they are never linked: a campaign is a letter. On the real comments of tests/fixtures/real/copies the campaign is
found the same with a floor anywhere from 150 to 300 characters; 300 is above the longest ordinary text the sample
generator writes (220), whose sentences many customers share.

Whether a copy group is a campaign (enough different customers at once) is dbt's: int_complaints_screened.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable

from complaints_pipeline.reference import CHANNELS

MIN_CHARACTERS = 300
CJK_WEIGHT = 3
SHINGLE = 5
SIMILARITY = 0.7
NUM_PERM = 128
WINDOW_DAYS = 7

_MARKUP = re.compile(r"<[^>]{0,200}>")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The text as compared: entities decoded (twice: exports escape them again), tags dropped, lower case,
    spaces collapsed."""
    text = html.unescape(html.unescape(text))
    return _SPACE.sub(" ", _MARKUP.sub(" ", text)).strip().lower()


def is_linkable(text: str) -> bool:
    normal = normalise(text)
    return len(normal) + (CJK_WEIGHT - 1) * len(_CJK.findall(normal)) >= MIN_CHARACTERS


def _shingles(text: str) -> list[bytes]:
    normal = normalise(text)
    return sorted({normal[i : i + SHINGLE].encode("utf-8") for i in range(len(normal) - SHINGLE + 1)})


def link(new: dict[str, str], known: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Each new text's copy group: new is text_hash -> text, known is text_hash -> (text, its group). Texts too
    short to link are left out."""
    from datasketch import MinHash, MinHashLSH

    new = {key: text for key, text in new.items() if is_linkable(text) and key not in known}
    if not new:
        return {}
    keys = sorted(known) + sorted(new)
    texts = [known[key][0] if key in known else new[key] for key in keys]
    signatures = dict(zip(keys, MinHash.bulk([_shingles(t) for t in texts], num_perm=NUM_PERM), strict=True))
    index = MinHashLSH(threshold=SIMILARITY, num_perm=NUM_PERM)
    for key in keys:
        index.insert(key, signatures[key])
    # Union-find over the new texts and the known ones they match.
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for key in sorted(new):
        for other in index.query(signatures[key]):
            if other != key and signatures[key].jaccard(signatures[other]) >= SIMILARITY:
                parent[root(key)] = root(other)
    members: dict[str, list[str]] = {}
    for key in list(parent) + sorted(new):
        members.setdefault(root(key), []).append(key)
    groups: dict[str, str] = {}
    for component in members.values():
        known_groups = sorted(known[key][1] for key in component if key in known)
        group = known_groups[0] if known_groups else min(key for key in component if key in new)
        groups.update((key, group) for key in component if key in new)
    return groups


def link_texts(con, channels: Iterable[str], days: list[dt.date], now: dt.datetime) -> int:
    """In the load's transaction: the copy group of each long text these channels' days brought that no earlier
    load linked (raw.text_copies), against the texts of every channel's last WINDOW_DAYS landing days; returns
    the texts linked."""
    from complaints_pipeline.categoriser import text_hash

    if not days:
        return 0
    new: dict[str, str] = {}
    for channel in channels:
        for day in days:
            rows = con.execute(
                f"select distinct complaint_text from raw.{channel}_complaints"
                " where partition_date = ? and length(complaint_text) >= ?",
                [day, MIN_CHARACTERS // CJK_WEIGHT],
            ).fetchall()
            new.update((text_hash(text), text) for (text,) in rows)
    if not new:
        return 0
    since = min(days) - dt.timedelta(days=WINDOW_DAYS)
    known: dict[str, tuple[str, str]] = {}
    for channel in CHANNELS:
        rows = con.execute(
            f"select distinct copies.text_hash, complaints.complaint_text, copies.copy_group"
            f" from raw.{channel}_complaints as complaints"
            " inner join raw.text_copies as copies on md5(complaints.complaint_text) = copies.text_hash"
            " where complaints.partition_date between ? and ?",
            [since, max(days)],
        ).fetchall()
        known.update((key, (text, group)) for key, text, group in rows)
    groups = link(new, known)
    if groups:
        con.insert_rows(
            "raw.text_copies",
            ["text_hash", "copy_group", "linked_at"],
            [(key, group, now) for key, group in sorted(groups.items())],
            skip_existing=True,
        )
    return len(groups)
