"""Suite files and the one Great Expectations context a process validates with."""

import gc
import json
import logging
import os
from functools import lru_cache
from pathlib import Path

from complaints_pipeline.config import TELEMETRY_OFF

ROW_ID = "_row"  # the column naming each row of a batch in GX's unexpected-index lists
# (expectation, column, failing value, reason)
Problem = tuple[str, str | None, str | None, str]

# GX reads these at import; this machine has no internet and a run must not print progress bars.
for _name, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_name, _value)
os.environ.setdefault("TQDM_DISABLE", "1")

log = logging.getLogger(__name__)
# GX logs one INFO line per public API function at import; nothing a reader of task logs needs.
logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)


def load_suite_document(path: Path) -> dict:
    """A suite file's JSON (the day suite is rebuilt per day, without what cannot be judged yet)."""
    return json.loads(path.read_text(encoding="utf-8"))


def load_suite(path: Path):
    import great_expectations as gx  # heavy: imported only when a batch is validated

    batch_definition()  # GX's context made, and the collector told to leave it be, before any data is read
    return gx.ExpectationSuite(**load_suite_document(path))


@lru_cache(maxsize=1)
def batch_definition():
    """One ephemeral GX context per process, reused for every chunk."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("complaints").add_dataframe_asset("batch")
    definition = asset.add_batch_definition_whole_dataframe("whole")
    # GX and its context are some million long-lived objects, which every full garbage collection would walk
    # again (rows.failing_rows collects after each large chunk): moved out of the collector's sight once, a
    # collection costs what the chunk made. Measured, 3 runs each interleaved: a phone extract of 80,000 records
    # in chunks of 20,000 took 12.4-13.0 s collecting per chunk, 11.3-11.4 s never collecting, 11.0-11.8 s so.
    gc.collect()
    gc.freeze()
    return definition
