"""The call centre's export: one CSV per day of the tickets created or changed that day."""

from __future__ import annotations

import csv
import datetime as dt
from typing import TextIO

from complaints_pipeline.sample_data.model import _Day
from complaints_pipeline.sample_data.parameters import PHONE_HEADER, Rows
from complaints_pipeline.sample_data.writer import _Writer


class _PhoneWriter(_Writer):
    channel = "phone"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.path = self.dir / f"calls_{ctx.day.isoformat()}.csv"
        # The call centre's export tool writes a BOM so spreadsheet programs read the Chinese right.
        self.handle: TextIO = self.path.open("w", encoding="utf-8-sig", newline="")
        self.csv = csv.writer(self.handle)
        self.csv.writerow(PHONE_HEADER)

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        self.last_id = f"PH-CC{self.ctx.ymd}{self.position:07d}"
        row = _phone_row(rows, i, self.last_id[3:])
        if kind == "bad_timestamp":
            row[1] = "not a date"
        elif kind == "satisfaction_out_of_range":
            row[10], row[13] = "closed", "9"
        elif kind == "resolved_before_received":
            received = dt.datetime.fromisoformat(rows["local"][i])
            row[10], row[12] = "resolved", str(received - dt.timedelta(hours=3))
        self.csv.writerow(row)
        return self.rel(self.path), str(self.position)

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """A ticket received earlier, as it stands at the export: one row, whatever changed."""
        self.position += 1
        self.csv.writerow(_phone_row(rows, i, f"CC{received.ymd}{position:07d}"))
        return 1

    def close(self) -> None:
        self.handle.close()


def _phone_row(rows: Rows, i: int, ticket: str) -> list[str]:
    lang = rows["lang"][i]
    notes = rows["opening"][i] + rows["text"][i]
    u0, u1, _ = rows["u"][i]
    if u0 < 0.2:  # agents often quote the caller, which exercises RFC 4180 quote doubling
        notes = f'Caller said: "{notes}"' if lang == "en" else f'来电称："{notes}"'
    if u1 < 0.15:  # and sometimes add a second line
        notes += "\nCallback requested." if lang == "en" else "\n客户要求回电。"
    account = rows["account"][i] if rows["picks"][i][4] % 100 >= 12 else ""
    sat = rows["satisfaction"][i]
    return [
        ticket,
        rows["local"][i],
        rows["name"][i],
        rows["phone"][i],
        account,
        rows["product"][i],
        rows["category"][i],
        str(rows["severity"][i]),
        rows["complexity"][i],
        rows["region"][i],
        rows["status"][i],
        rows["first_local"][i] or "",
        rows["resolved_local"][i] or "",
        "" if sat is None else str(sat),
        str(rows["escalation"][i]),
        f"{rows['compensation'][i]:.2f}",
        "" if rows["handle"][i] is None else f"{rows['handle'][i]:.1f}",
        rows["agent"][i],
        notes,
        rows["updated_local"][i] or "",
    ]
