"""What every channel's writer does: the base class of one writer per channel."""

from __future__ import annotations

from pathlib import Path

from complaints_pipeline.sample_data.model import _Day
from complaints_pipeline.sample_data.parameters import Rows


class _Writer:
    """Writes one channel's files for one day; ``write`` returns where the record landed."""

    channel = ""

    def __init__(self, ctx: _Day, total: int) -> None:
        self.ctx = ctx
        self.dir = ctx.channel_dir(self.channel)
        self.total = total  # records this writer will receive, bad ones included
        self.position = 0
        self.last_id = ""  # the complaint id the pipeline gives the record last written

    def rel(self, path: Path) -> str:
        return path.relative_to(self.ctx.out_dir).as_posix()

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        raise NotImplementedError

    def close(self) -> None:
        """Flush whatever is buffered."""
