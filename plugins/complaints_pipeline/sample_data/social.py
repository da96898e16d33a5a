"""Social posts: X API v2 pages and Weibo statuses, with reposts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from complaints_pipeline.sample_data.model import _Day
from complaints_pipeline.sample_data.parameters import _SNOWFLAKE_EPOCH_MS, SOCIAL_PAGE_SIZE, Rows
from complaints_pipeline.sample_data.texts import COMPANY_HANDLE
from complaints_pipeline.sample_data.writer import _Writer


class _SocialWriter(_Writer):
    channel = "social"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.pages = max(1, -(-total // SOCIAL_PAGE_SIZE))
        self.posts: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, str]] = {}
        self.last_post_id: str | None = None

    def page_path(self, page: int) -> Path:
        return self.dir / f"posts_{self.ctx.day.isoformat()}_{page}.json"

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        page, index = divmod(self.position - 1, SOCIAL_PAGE_SIZE)
        post = _social_post(rows, i, self.position)
        self.last_id = f"SO-{post['id']}"
        if kind == "repost":
            post["referenced_tweets"] = [{"type": "retweeted", "id": self.last_post_id or post["id"]}]
            post["text"] = "RT " + post["text"]
        else:
            self.last_post_id = post["id"]
        if kind == "empty_text":
            post["text"] = ""
        elif kind == "missing_created_at":
            del post["created_at"]
        self.posts.append(post)
        self.users.setdefault(
            post["author_id"],
            {
                "id": post["author_id"],
                "username": rows["username"][i],
                "name": rows["name"][i],
                "location": rows["region"][i].title(),
            },
        )
        if len(self.posts) == SOCIAL_PAGE_SIZE:
            self._flush(page + 1)
        return self.rel(self.page_path(page + 1)), f"{page + 1}:{index + 1}"

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """The author posting again in their complaint's conversation when it is reopened."""
        root = _social_post(rows, i, position)
        for _, at in events:
            self.position += 1
            page = (self.position - 1) // SOCIAL_PAGE_SIZE
            millis = at * 1000 + (self.position * 7) % 1000
            post_id = ((millis - _SNOWFLAKE_EPOCH_MS) << 22) | (self.position & 0x3FFFFF)
            text = f"{COMPANY_HANDLE} still not fixed: {rows['product'][i]} {root['text'].rsplit(' ', 1)[-1]}"
            created = np.datetime_as_string(np.datetime64(at, "s")) + ".000Z"
            self.posts.append(
                root
                | {"id": str(post_id), "text": text, "created_at": created}
                | {"conversation_id": root["id"], "in_reply_to_user_id": root["author_id"]}
            )
            if len(self.posts) == SOCIAL_PAGE_SIZE:
                self._flush(page + 1)
        return len(events)

    def close(self) -> None:
        if self.posts or self.position == 0:
            self._flush(self.position // SOCIAL_PAGE_SIZE + 1)

    def _flush(self, page: int) -> None:
        meta: dict[str, Any] = {"result_count": len(self.posts)}
        if self.posts:
            meta["newest_id"] = max(self.posts, key=lambda p: int(p["id"]))["id"]
            meta["oldest_id"] = min(self.posts, key=lambda p: int(p["id"]))["id"]
        if page < self.pages:
            meta["next_token"] = hashlib.sha1(f"{self.ctx.seed}/{self.ctx.day}/{page}".encode()).hexdigest()[:16]
        body = {"data": self.posts, "includes": {"users": list(self.users.values())}, "meta": meta}
        self.page_path(page).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        self.posts, self.users = [], {}


def _social_post(rows: Rows, i: int, seq: int) -> dict[str, Any]:
    # Snowflake-style id: time in the high bits, the day's sequence number in the low 22 bits.
    millis = rows["utc"][i] * 1000 + (seq * 7) % 1000
    post_id = ((millis - _SNOWFLAKE_EPOCH_MS) << 22) | (seq & 0x3FFFFF)
    # Each customer quotes their own order reference, so two posts are never exact copies by chance
    # (the pipeline folds exact copies into one signal). A letter first keeps it out of phone masking.
    reference = f"#R{post_id % 16**8:08X}"
    text = f"{COMPANY_HANDLE} {rows['opening'][i]}{rows['text'][i]} {reference}"
    retweets, replies, likes, quotes = rows["metrics"][i]
    return {
        "id": str(post_id),
        "text": text,
        "author_id": rows["author_id"][i],
        "created_at": rows["utc_iso"][i],
        "lang": rows["lang"][i],
        "public_metrics": {
            "retweet_count": retweets,
            "reply_count": replies,
            "like_count": likes,
            "quote_count": quotes,
        },
    }


# Only the call centre and the web form carry a ticket with handling fields.
