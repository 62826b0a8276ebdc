"""Counted nouns for messages people read: "1 outlet", "2 outlets", "1 summary", "3 summaries"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for exactly one (`plural` for irregular nouns, default noun + "s")."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
