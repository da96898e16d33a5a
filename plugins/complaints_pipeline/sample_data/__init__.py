"""Write synthetic complaint files for the four channels, in the landing formats of docs/contract.md.

Deterministic for a seed; injects surges, floods and copy campaigns (`suspects`) and bad records and writes them
down as ground truth for tests. A
development tool (the demo, the tests, the benchmarks), not part of a production run. One module per job:
`parameters` and `texts` (what is drawn), `model` (volume, surges, each complaint's life), one writer per
channel (`phone`, `web`, `mail`, `social`), `days` (a channel's day, days and ranges), `cli`.
"""

from complaints_pipeline.sample_data.cli import main
from complaints_pipeline.sample_data.days import count_day, generate, generate_day
from complaints_pipeline.sample_data.model import (
    ChannelCount,
    DaySummary,
    GenerationSummary,
    Surge,
    choose_surges,
    day_factor,
    expected_volume,
)
from complaints_pipeline.sample_data.parameters import PHONE_HEADER
from complaints_pipeline.sample_data.suspects import Suspect, choose_suspects
from complaints_pipeline.sample_data.texts import CATEGORY_KEYWORDS, complaint_text

__all__ = [
    "CATEGORY_KEYWORDS",
    "PHONE_HEADER",
    "ChannelCount",
    "DaySummary",
    "GenerationSummary",
    "Surge",
    "Suspect",
    "choose_surges",
    "choose_suspects",
    "complaint_text",
    "count_day",
    "day_factor",
    "expected_volume",
    "generate",
    "generate_day",
    "main",
]
