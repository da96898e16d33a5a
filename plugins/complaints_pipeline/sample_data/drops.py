"""A generated day as it lands during the day, for intraday runs and their replays.

The generator writes a day's files whole. Here they become what lands while the day goes on: web form submissions
in a file per `every` minutes, social posts in a page per fetch every `every` minutes, each email as it arrives,
the call centre's export and the day's status events at the day's end. Each file's modification time is when it
lands (`lag` minutes after the last record in it), which is what an intraday run reads by (a file counts as
landed at its modification time): a replay of the day's intraday runs sees each file only from its landing on.

The records are the generator's, byte for byte; only the files they are in change, so the ground truth's counts
hold (not its bad records' file positions).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from complaints_pipeline.config import DEFAULT_TZ


def land_during_day(
    landing: Path, day: dt.date, every: int = 5, lag: int = 1, tz: str = DEFAULT_TZ
) -> list[tuple[dt.datetime, Path]]:
    """Split the day's generated web and social files into the drops that land during it, and give every file of
    the day its landing time. Returns (landing time, file) in landing order."""
    zone = ZoneInfo(tz)
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone) + dt.timedelta(minutes=lag)
    landed: list[tuple[dt.datetime, Path]] = []

    def drop_end(moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(zone)
        start = local.replace(minute=local.minute - local.minute % every, second=0, microsecond=0)
        return start + dt.timedelta(minutes=every)

    def land(path: Path, at: dt.datetime) -> None:
        os.utime(path, (at.timestamp(), at.timestamp()))
        landed.append((at, path))

    web = landing / "web" / day.isoformat()
    for path in sorted(web.glob("submissions_*.jsonl")):
        drops: dict[dt.datetime, list[str]] = defaultdict(list)
        current = dt.datetime.combine(day, dt.time(0), zone)
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            current = _moment(line, "submitted_at") or current  # a broken record lands with the one before it
            drops[drop_end(current)].append(line)
        path.unlink()
        for end, lines in sorted(drops.items()):
            target = web / f"{path.stem}_{end:%H%M}.jsonl"
            target.write_text("".join(lines), encoding="utf-8", newline="")
            land(target, end + dt.timedelta(minutes=lag))

    social = landing / "social" / day.isoformat()
    posts: dict[dt.datetime, list[dict[str, Any]]] = defaultdict(list)
    users: dict[str, dict[str, Any]] = {}
    current = dt.datetime.combine(day, dt.time(0), zone)
    for path in sorted(social.glob("posts_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1])):
        page = json.loads(path.read_text(encoding="utf-8"))
        users |= {user["id"]: user for user in page.get("includes", {}).get("users", [])}
        for post in page["data"]:
            created = post.get("created_at")
            current = dt.datetime.fromisoformat(created.replace("Z", "+00:00")) if created else current
            posts[drop_end(current)].append(post)
        path.unlink()
    for end, page_posts in sorted(posts.items()):
        authors = dict.fromkeys(p["author_id"] for p in page_posts)
        meta = {
            "result_count": len(page_posts),
            "newest_id": max(page_posts, key=lambda p: int(p["id"]))["id"],
            "oldest_id": min(page_posts, key=lambda p: int(p["id"]))["id"],
        }
        body = {"data": page_posts, "includes": {"users": [users[a] for a in authors if a in users]}, "meta": meta}
        target = social / f"posts_{day.isoformat()}_{end:%H%M}.json"
        target.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        land(target, end + dt.timedelta(minutes=lag))

    mail = landing / "email" / day.isoformat()
    current = dt.datetime.combine(day, dt.time(0), zone)
    for path in sorted(mail.glob("*.eml"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0):
        current = _mail_date(path) or current
        land(path, current + dt.timedelta(minutes=lag))
    for path in [*mail.glob("*.mbox"), *(landing / "phone" / day.isoformat()).glob("*"), *web.glob("status_*")]:
        land(path, day_end)
    return sorted(landed, key=lambda item: (item[0], str(item[1])))


def latest_received(path: Path) -> dt.datetime | None:
    """When the latest complaint in a landed web, social or email file was sent (None for other files): a file
    holding one received at or after a moment holds the first of what came from then."""
    if path.suffix == ".jsonl":
        moments = [_moment(line, "submitted_at") for line in path.read_text(encoding="utf-8").splitlines()]
    elif path.suffix == ".json":
        posts = json.loads(path.read_text(encoding="utf-8")).get("data") or []
        moments = [
            dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")) for p in posts if p.get("created_at")
        ]
    elif path.suffix == ".eml":
        moments = [_mail_date(path)]
    else:
        return None
    return max((m for m in moments if m is not None), default=None)


def _moment(line: str, key: str) -> dt.datetime | None:
    try:
        value = json.loads(line).get(key)
        return dt.datetime.fromisoformat(value) if value else None
    except (ValueError, AttributeError):
        return None


def _mail_date(path: Path) -> dt.datetime | None:
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                return None  # the end of the headers
            if raw[:5].lower() == b"date:":
                try:
                    return email.utils.parsedate_to_datetime(raw[5:].decode("ascii", "replace").strip())
                except (TypeError, ValueError):
                    return None
    return None
