"""Standard JSON only: a 400-digit figure in an article parses to `inf`, which `json.dumps` would write as the
non-standard `Infinity` (and Starlette refuses with a 500)."""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 200


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
