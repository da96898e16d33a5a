"""The web form: JSON-lines submissions and their status events."""

from __future__ import annotations

import json
from typing import Any, TextIO

import numpy as np

from complaints_pipeline.sample_data.model import _Day, _local_texts
from complaints_pipeline.sample_data.parameters import Rows
from complaints_pipeline.sample_data.writer import _Writer


class _WebWriter(_Writer):
    channel = "web"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.path = self.dir / f"submissions_{ctx.day.isoformat()}.jsonl"
        self.handle: TextIO = self.path.open("w", encoding="utf-8", newline="\n")
        self.events: TextIO | None = None

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        self.last_id = f"WB-S{self.ctx.ymd}{self.position:07d}"
        record = _web_record(rows, i, self.last_id[3:])
        if kind == "missing_submitted_at":
            del record["submitted_at"]
        elif kind == "satisfaction_out_of_range":
            record["ticket"]["status"], record["ticket"]["csat"] = "closed", 0
        line = json.dumps(record, ensure_ascii=False)
        if kind == "malformed_json":
            line = line[: len(line) // 2]  # an export cut off mid-record
        self.handle.write(line + "\n")
        return self.rel(self.path), str(self.position)

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """A status event per change: the ticket right after it (rows hold the state at each event in turn)."""
        if self.events is None:
            self.events = (self.dir / f"status_events_{self.ctx.day.isoformat()}.jsonl").open(
                "w", encoding="utf-8", newline="\n"
            )
        for state, (_, at) in zip(rows, events, strict=True):
            record = {
                "submission_id": f"S{received.ymd}{position:07d}",
                "submitted_at": state["iso"][i],
                "event_at": _local_texts(np.array([at]), np.array([True]), self.ctx.clock, "T")[0],
                "ticket": _web_record(state, i, "")["ticket"],
            }
            self.events.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(events)

    def close(self) -> None:
        self.handle.close()
        if self.events is not None:
            self.events.close()


_DEVICES = ("desktop", "mobile", "tablet")


def _web_record(rows: Rows, i: int, submission_id: str) -> dict[str, Any]:
    u0, u1, _ = rows["u"][i]
    keep = rows["picks"][i][4] % 100
    return {
        "submission_id": submission_id,
        "submitted_at": rows["iso"][i],
        "name": rows["name"][i],
        "email": rows["email"][i],
        "phone": rows["phone"][i] if keep % 3 else None,
        "account_no": rows["account"][i] if keep >= 15 else None,
        "product": rows["product"][i],
        "category": rows["category"][i],
        "severity": rows["severity"][i],
        "region": rows["region"][i],
        "description": rows["opening"][i] + rows["text"][i],
        "form": {
            "form_id": "complaint_v3",
            "page": "/support/complaint" if u0 < 0.7 else "/app/feedback",
            "device": _DEVICES[int(u1 * len(_DEVICES))],
            "locale": "zh-CN" if rows["lang"][i] == "zh" else "en-US",
        },
        "ticket": {
            "status": rows["status"][i],
            "complexity": rows["complexity"][i],
            "first_response_at": rows["first_iso"][i],
            "resolved_at": rows["resolved_iso"][i],
            "csat": rows["satisfaction"][i],
            "escalation_level": rows["escalation"][i],
            "compensation": rows["compensation"][i],
            "handle_minutes": rows["handle"][i],
        },
    }
