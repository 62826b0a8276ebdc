"""Fetch: the one safe HTTP client (private-address refusal, size/time limits, checked redirects, robots)."""

from storyweave.fetch.client import DEFAULT_USER_AGENT, Fetcher, FetchError, FetchResult, is_public_address

__all__ = ["DEFAULT_USER_AGENT", "FetchError", "FetchResult", "Fetcher", "is_public_address"]
