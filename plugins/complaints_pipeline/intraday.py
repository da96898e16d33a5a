"""The intraday run's stages (dags/complaints_intraday.py): what landed today since the last run, loaded through the
daily run's parsers, contracts, quarantine and reconciliation; the fast lane; surges by this time of day.

Each run works as of its data interval's end (`as_of`): it reads the files landed by then (a file counts as
landed at its modification time), counts the complaints received by then, and judges them against what is
expected by then. So a rerun, or a replay of a past day (a backfill of this DAG), sees what a run at that time
would have seen, and alerts as it would have.

Nothing is loaded twice: a landing date's records are replaced as a whole by each load (loader.py), so the
daily run's load of the same date after midnight replaces what the intraday runs loaded, and the intraday
extract reads only the files it has not staged before (ingest.py). The alert logs are shared with the daily
run: a series alerted intraday is not alerted again by it, unless its level rose (alerts.py); a critical
complaint is emailed once by whichever run loads it first (critical.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from complaints_pipeline import alerts, critical, ingest, loader, transform
from complaints_pipeline.config import Settings, load_settings
from complaints_pipeline.reference import CHANNELS
from complaints_pipeline.staging import dates_with_new_files

log = logging.getLogger(__name__)

# What the intraday build runs: the fast lane's and the intraday surges' marts and what they read that a load
# changes (the incremental models rebuild only the dates loaded since their last build); not the seeds, which
# only the daily build loads (nor the dbt unit tests, which no production build runs: transform.PRODUCTION_ENV).
SELECTION = ("+complaint_surges_intraday", "+critical_complaints")
LEFT_OUT = ("resource_type:seed",)


@dataclass(frozen=True)
class AsOf:
    """The moment an intraday run works as of: its business date, and the time in UTC and local wall clock."""

    day: dt.date
    utc: dt.datetime
    local: dt.datetime  # naive, local wall clock: the intraday model's var

    @classmethod
    def at(cls, moment: dt.datetime, tz: str) -> AsOf:
        """As of a run's data interval end. A run ending at midnight closes the day before: it works as of the
        day's last second."""
        local = moment.astimezone(ZoneInfo(tz))
        if local.time() == dt.time(0):
            local -= dt.timedelta(seconds=1)
        return cls(local.date(), local.astimezone(dt.UTC), local.replace(tzinfo=None))


def new_channels(as_of: AsOf, settings: Settings | None = None) -> list[str]:
    """The channels with files landed for the day by the as-of time that the last intraday run did not stage
    (none when the daily run has staged the day)."""
    settings = settings or load_settings()
    found = []
    for channel in CHANNELS:
        if dates_with_new_files(
            settings.landing_dir, settings.staging_dir, channel, [as_of.day], as_of.utc.timestamp()
        ):
            found.append(channel)
    log.info("%s as of %s: new files for %s", as_of.day, as_of.local, ", ".join(found) or "no channel")
    return found


def extract(channel: str, as_of: AsOf, settings: Settings | None = None) -> dict:
    """Stage what landed for the channel since the last intraday run."""
    return ingest.extract(channel, [as_of.day], settings or load_settings(), landed_by=as_of.utc)


def load(channels: list[str], as_of: AsOf, run_id: str | None = None, settings: Settings | None = None) -> list[dict]:
    """Replace the day's records of these channels with what is staged now (one transaction)."""
    return loader.load(list(channels), [as_of.day], settings or load_settings(), run_id=run_id, landed_by=as_of.utc)


def detect(as_of: AsOf, settings: Settings | None = None) -> None:
    """dbt: the models the loads changed, the fast lane's mart, and the intraday surges as of the run's time."""
    settings = settings or load_settings()
    variables = json.dumps({"intraday_as_of": as_of.local.isoformat(sep=" ", timespec="seconds")})
    transform.run_dbt(settings, "build", "--select", *SELECTION, "--exclude", *LEFT_OUT, "--vars", variables)


def send_alerts(as_of: AsOf, run_id: str | None = None, settings: Settings | None = None) -> dict[str, list[str]]:
    """The fast lane first (each critical complaint loaded), then the intraday surges not alerted yet at their
    level. Both are tried before a failure of either is raised."""
    settings = settings or load_settings()
    sent: dict[str, list[str]] = {}
    failures = []
    try:
        sent["critical"] = critical.send(settings, run_id, alerted_by="intraday", now=as_of.utc)
    except alerts.AlertSendError as failed:
        failures.append(str(failed))
    try:
        sent["surges"] = [a.subject for a in alerts.send_intraday(settings, run_id=run_id)]
    except alerts.AlertSendError as failed:
        failures.append(str(failed))
    if failures:
        raise alerts.AlertSendError("\n".join(failures))
    return sent
