"""Social channel: X API v2 search response pages into canonical rows.

Nobody registered these complaints: category and severity are inferred later from the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from complaints_pipeline.sources.base import (
    FieldError,
    ParseContext,
    Reject,
    canonical_row,
    clean,
    find_product,
    parse_iso_time,
    row_or_reject,
)


def _to_row(post: dict, ctx: ParseContext, source_file: str, position: str, *, users: dict[str, dict]) -> dict:
    post_id = clean(post.get("id"))
    if post_id is None:
        raise FieldError("id", None, "the post has no id")
    author = users.get(str(post.get("author_id")), {})
    text = post.get("text")
    return canonical_row(
        ctx,
        source_record_id=post_id,
        source_file=source_file,
        source_position=position,
        identity=clean(post.get("author_id")),
        text=text,
        extra={"public_metrics": post.get("public_metrics"), "username_hashed": author.get("username") is not None},
        received_at=parse_iso_time(post.get("created_at"), "created_at"),
        product=find_product(text),
        region=(clean(author.get("location")) or "").lower() or None,
        language=clean(post.get("lang")),
    )


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    source_file = ctx.relative(path)
    raw_page = path.read_text(encoding="utf-8")
    try:
        page = json.loads(raw_page)
    except json.JSONDecodeError as error:
        yield Reject(source_file, "page", raw_page[:10_000], f"the page is not valid JSON ({error.msg})")
        return
    page_number = path.stem.rsplit("_", 1)[-1]
    users = {str(u.get("id")): u for u in (page.get("includes") or {}).get("users", [])}
    for index, post in enumerate(page.get("data") or [], start=1):
        position = f"{page_number}:{index}"
        raw = json.dumps(post, ensure_ascii=False)
        if not isinstance(post, dict):
            yield Reject(source_file, position, raw, f"post {index} is not a JSON object")
            continue
        yield row_or_reject(partial(_to_row, users=users), post, ctx, source_file, position, raw)
