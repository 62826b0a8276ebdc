"""Safe JSON in and out. Out: standard JSON only (a 400-digit figure in an article parses to `inf`, which
`json.dumps` writes as the non-standard `Infinity`, and Starlette refuses with a 500). In: nesting is checked
before parsing, since `json.loads` recurses once per level."""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 200
MAX_JSON_DEPTH = 64
"""Articles and feeds are shallow documents; deeper nesting is refused before `json.loads` recurses on it."""


def json_safe(value: Any, _depth: int = 0) -> Any:
    """`value` with every non-finite float replaced by None (dicts, lists and tuples walked; deeper than
    `MAX_DEPTH` is cut to None rather than recursing without bound)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {k: json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, _depth + 1) for v in value]
    return value


def json_depth_ok(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """False when brackets nest deeper than `limit` (a cheap scan: brackets inside strings count too, which
    only ever over-estimates)."""
    depth = 0
    for byte in raw.translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return False
    return True


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
