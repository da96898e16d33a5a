"""Social channel: X API v2 response pages and Weibo-style status objects into canonical rows.

Nobody registered these complaints: category and severity are inferred later from the text. A
repost is part of its original's signal, counted, not loaded (exact copies are folded in ingest).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

from complaints_pipeline.sources import base
from complaints_pipeline.sources.base import FieldError, ParseContext, Reject, Skip

# Weibo users write their location in Chinese ("北京 海淀"); the regions this pipeline reports on.
CHINESE_REGIONS = {
    "北京": "beijing",
    "上海": "shanghai",
    "广州": "guangzhou",
    "深圳": "shenzhen",
    "成都": "chengdu",
    "武汉": "wuhan",
    "西安": "xian",
    "杭州": "hangzhou",
}


def region_of(location: object) -> str | None:
    text = base.clean(location)
    if text is None:
        return None
    for name, region in CHINESE_REGIONS.items():
        if name in text:
            return region
    return text.lower()


def _weibo_time(value: object, column: str) -> dt.datetime | None:
    """Weibo's 'Tue May 31 17:46:55 +0800 2011', or ISO 8601."""
    text = base.clean(value)
    if text is None:
        return None
    try:
        parsed = dt.datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return base.parse_iso_time(text, column)
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


def _names(user: dict, handle_key: str, name_key: str) -> tuple[str | None, ...]:
    """The author's handle (as @handle) and display name, masked wherever the post's text holds them."""
    handle, name = user.get(handle_key), user.get(name_key)
    return (f"@{handle}" if isinstance(handle, str) and handle else None, name if isinstance(name, str) else None)


def _x_row(post: dict, ctx: ParseContext, source_file: str, position: str, *, users: dict[str, dict]) -> dict:
    post_id = base.clean(post.get("id"))
    if post_id is None:
        raise FieldError("id", None, "the post has no id")
    author = users.get(str(post.get("author_id")), {})
    text = post.get("text")
    created_at = base.parse_iso_time(post.get("created_at"), "created_at")
    # The author posting again in the conversation their complaint started: a version of that complaint.
    conversation = base.clean(post.get("conversation_id"))
    follows = (
        conversation is not None
        and conversation != post_id
        and post.get("in_reply_to_user_id") is not None
        and str(post.get("in_reply_to_user_id")) == str(post.get("author_id"))
    )
    return base.canonical_row(
        ctx,
        source_file,
        position,
        source_record_id=conversation if follows else post_id,
        identity=base.clean(post.get("author_id")),
        known=_names(author, "username", "name"),
        text=text,
        extra={"platform": "x", "public_metrics": post.get("public_metrics"), "post_id": post_id, **_links(post)},
        received_at=None if follows else created_at,
        version_at=created_at if follows else None,
        version_kind="customer_reply" if follows else None,
        product=base.find_product(text),
        region=region_of(author.get("location")),
        language=base.clean(post.get("lang")),
    )


def _weibo_row(status: dict, ctx: ParseContext, source_file: str, position: str) -> dict:
    status_id = base.clean(status.get("idstr") or status.get("id") or status.get("mid"))
    if status_id is None:
        raise FieldError("id", None, "the post has no id")
    user = status.get("user") if isinstance(status.get("user"), dict) else {}
    text = status.get("text")
    return base.canonical_row(
        ctx,
        source_file,
        position,
        source_record_id=f"WB{status_id}",
        identity=base.clean(user.get("idstr") or user.get("id")),
        known=_names(user, "screen_name", "name"),
        text=text,
        extra={
            "platform": "weibo",
            "reposts_count": status.get("reposts_count"),
            "comments_count": status.get("comments_count"),
        },
        received_at=_weibo_time(status.get("created_at"), "created_at"),
        product=base.find_product(text),
        region=region_of(user.get("location")),
    )


def _landed(post: dict, is_weibo: bool) -> dict[str, str | None]:
    """The fields expectations/social.json (the raw contract) judges: JSON texts, the text's type."""
    post_id = post.get("idstr") or post.get("id") or post.get("mid") if is_weibo else post.get("id")
    return {
        "format": "weibo" if is_weibo else "x",
        "id": base.json_text(post_id),
        "created_at": base.json_text(post.get("created_at")),
        "text type": base.json_type(post.get("text")),
    }


# A retweet as older API tiers and many exports deliver it: the text "RT @user: ..." and no reference.
_RETWEET_TEXT = re.compile(r"^\s*RT @\w{1,15}:")


def _links(post: dict) -> dict[str, str]:
    """What a post quotes and replies to, as the complaint ids those posts have here ('quotes',
    'replies_to'): a quoted complaint is linked, not folded, since the quoting post says something of its
    own."""
    links = {}
    for reference in post.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("id") is not None:
            kind = {"quoted": "quotes", "replied_to": "replies_to"}.get(str(reference.get("type")))
            if kind:
                links[kind] = f"SO-{reference['id']}"
    return links


def _repost_of(post: dict) -> str | None:
    """The id of the post a repost shares, for X (referenced_tweets) and Weibo (retweeted_status)."""
    for reference in post.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "retweeted":
            return f"SO-{reference.get('id')}"
    original = post.get("retweeted_status")
    if isinstance(original, dict):
        return f"SO-WB{original.get('idstr') or original.get('id')}"
    return None


def _posts(document: object) -> tuple[list, dict[str, dict], bool] | None:
    """(posts, X users by id, is_weibo) of a page, or None when it is neither format."""
    if isinstance(document, dict) and ("data" in document or "meta" in document):
        users = {str(u.get("id")): u for u in (document.get("includes") or {}).get("users", []) if isinstance(u, dict)}
        data = document.get("data") or []
        return (data, users, False) if isinstance(data, list) else None
    if isinstance(document, dict) and isinstance(document.get("statuses"), list):
        return document["statuses"], {}, True
    if isinstance(document, list):
        return document, {}, True
    return None


_POST_TEXT = re.compile(r'"(?:text|full_text)"\s*:')


def _lost_page(reject: Reject, path: Path) -> Reject:
    """A page that cannot be read weighs as the posts it held (about: a post has a "text" field)."""
    held = len(_POST_TEXT.findall(path.read_text(encoding="utf-8", errors="replace")))
    if held <= 1:
        return reject
    return replace(reject, reason=f"{reject.reason}; it held about {held} posts, all quarantined with it", holds=held)


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject | Skip]:
    source_file = ctx.relative(path)
    document = base.load_json_document(path, source_file)
    if document is None:
        return
    if isinstance(document, Reject):
        yield _lost_page(document, path)
        return
    found = _posts(document)
    if found is None:
        raw = json.dumps(document, ensure_ascii=False)[:10_000]
        yield _lost_page(Reject(source_file, "page", raw, "the JSON is neither an X API v2 page nor Weibo posts"), path)
        return
    posts, users, is_weibo = found
    promised = (document.get("meta") or {}).get("result_count") if isinstance(document, dict) else None
    if not is_weibo and not posts and isinstance(promised, int) and promised > 0:
        # X leaves "data" out of an empty page; one whose meta counts posts has lost them (a damaged key).
        raw = json.dumps(document, ensure_ascii=False)[:10_000]
        reason = f'the page counts {promised} posts (meta.result_count) but holds no "data" array of them'
        yield _lost_page(Reject(source_file, "page", raw, reason), path)
        return
    page_number = path.stem.rsplit("_", 1)[-1]
    to_row = _weibo_row if is_weibo else partial(_x_row, users=users)
    for index, post in enumerate(posts, start=1):
        position = f"{page_number}:{index}"
        raw = json.dumps(post, ensure_ascii=False)
        if not isinstance(post, dict):
            yield Reject(source_file, position, raw, f"post {index} is not a JSON object")
            continue
        original = _repost_of(post)
        if original is not None:
            yield Skip(source_file, position, "repost", f"a repost of {original}: one complaint signal", original)
            continue
        if not is_weibo and isinstance(post.get("text"), str) and _RETWEET_TEXT.match(post["text"]):
            yield Skip(source_file, position, "repost", 'a retweet ("RT @user:"): one complaint signal')
            continue
        yield base.row_or_reject(to_row, post, ctx, source_file, position, raw, _landed(post, is_weibo))
