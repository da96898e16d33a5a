"""The sentiment scorers (sentiment.py): the label rule, the Chinese lexicon's modifiers, the load's scoring."""

from __future__ import annotations

import datetime as dt

import pytest

from complaints_pipeline import sentiment
from complaints_pipeline.categoriser import text_hash
from complaints_pipeline.config import load_settings
from complaints_pipeline.warehouse import TABLE_DDL, Connection


@pytest.mark.parametrize(
    ("score", "label"),
    [(-0.05, "negative"), (-0.0499, "neutral"), (0.0, "neutral"), (0.0499, "neutral"), (0.05, "positive")],
)
def test_labels_at_vaders_thresholds(score: float, label: str) -> None:
    assert sentiment.label_of(score) == label


def test_english_is_vaders_compound_score() -> None:
    # VADER's own figure for this sentence (vaderSentiment 3.3.2): "rude" -0.5, "never" does not negate a noun.
    value, label, method = sentiment.score("My package never arrived and customer service was rude.", "en")
    assert (value, label, method) == (-0.4588, "negative", "vader")


def test_chinese_negation_flips_and_an_adverb_scales() -> None:
    words, adverbs, _, _ = sentiment._chinese_lexicon()
    good, very = words["好"], adverbs["很"]

    def squashed(x: float) -> float:
        return round(x / (x * x + sentiment.ALPHA) ** 0.5, 4)

    # 很好: 很 modifies 好 (an adverb before a sentiment word is no word of its own); 不是很好: negated too.
    assert sentiment.score("很好")[0] == squashed(good * very)
    assert sentiment.score("不是很好") == (squashed(-good * very), "negative", "lexicon-zh")
    # Alone, 好 is a sentiment word, not an adverb.
    assert sentiment.score("好")[0] == squashed(good)


def test_a_negation_does_not_reach_past_punctuation() -> None:
    # "不。好" : the negation ends its clause, so 好 stays positive.
    assert sentiment.score("不。好")[1] == "positive"


def test_languages_neither_scorer_reads_are_not_scored() -> None:
    assert sentiment.score("Bonjour, mon colis est arrivé cassé.", "fr") is None
    # A short text of undetermined language is read as English; one with Chinese characters as Chinese.
    assert sentiment.score("Terrible!", "und")[2] == "vader"
    assert sentiment.score("太差了 terrible", "en")[2] == "lexicon-zh"


def test_the_load_scores_each_new_text_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    con = Connection(load_settings())
    con.execute("create schema raw")
    con.execute(TABLE_DDL["raw.text_sentiment"])
    con.execute("create table raw.web_complaints (partition_date date, complaint_text varchar, language varchar)")
    day = dt.date(2026, 9, 1)
    texts = [("Awful service, I am furious.", "en"), ("Awful service, I am furious.", "en"), ("快递太慢了", "zh")]
    rows = [(day, text, language) for text, language in texts] + [(day, "Mon colis", "fr"), (day, None, None)]
    con.executemany("insert into raw.web_complaints values (?, ?, ?)", rows)
    now = dt.datetime(2026, 9, 1, 23)
    # Two distinct texts in a language read here; the French one and the empty one get no row.
    assert sentiment.score_texts(con, ["web"], [day], now) == 2
    scored = dict(con.execute("select text_hash, sentiment_label from raw.text_sentiment").fetchall())
    assert scored == {text_hash("Awful service, I am furious."): "negative", text_hash("快递太慢了"): "negative"}
    # A second load of the same day scores nothing again.
    assert sentiment.score_texts(con, ["web"], [day], now) == 0
