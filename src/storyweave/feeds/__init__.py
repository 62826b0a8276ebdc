"""Feeds stage: follow outlets' RSS/Atom/JSON feeds, fetch new items' pages, add them through the pipeline."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from storyweave.cluster import StoryEngine
from storyweave.feeds.parse import FeedItem, FeedParseError, ParsedFeed, parse_feed
from storyweave.feeds.poller import ItemStages, Poller, PollingHandle, PollReport, PollSettings
from storyweave.feeds.sources import (
    Feed,
    FeedListError,
    FeedState,
    add_feed,
    add_feeds,
    get_feed_state,
    list_feeds,
    read_feed_list,
    read_opml,
    remove_feed,
)
from storyweave.fetch import Fetcher
from storyweave.pipeline import Pipeline
from storyweave.store import Store

log = logging.getLogger("storyweave.feeds")


def default_pipeline(store: Store) -> Pipeline:
    """The write path polled articles take: store + story engine."""
    return Pipeline(store, StoryEngine(store))


def start_polling(
    store: Store,
    feeds_file: Path | None = None,
    *,
    pipeline: Pipeline | None = None,
    fetcher: Fetcher | None = None,
    settings: PollSettings | None = None,
    write_lock: threading.Lock | None = None,
    stages: ItemStages | None = None,
) -> PollingHandle:
    """Follow the feeds of `feeds_file` (OPML or URL list); poll all followed feeds in a background thread.

    Never raises for a bad feeds file or an unreachable feed: those are logged and the caller (the web server)
    keeps serving. Pass the server's own `pipeline` and the lock it adds under, so that API and poller share
    one story engine and never call it at the same time. `stages`: where items are fetched and embedded
    (default: the poller's threads).
    """
    if feeds_file is not None:
        try:
            new = add_feeds(store, read_feed_list(Path(feeds_file)))
            log.info("following %d feeds from %s (%d new)", len(list_feeds(store)), feeds_file, len(new))
        except FeedListError as exc:
            log.error("%s; polling the feeds already in the store", exc)
    poller = Poller(
        store,
        pipeline or default_pipeline(store),
        fetcher or Fetcher(),
        settings,
        write_lock=write_lock,
        stages=stages,
    )
    return poller.start()


__all__ = [
    "Feed",
    "FeedItem",
    "FeedListError",
    "FeedParseError",
    "FeedState",
    "ItemStages",
    "ParsedFeed",
    "PollReport",
    "PollSettings",
    "Poller",
    "PollingHandle",
    "add_feed",
    "add_feeds",
    "default_pipeline",
    "get_feed_state",
    "list_feeds",
    "parse_feed",
    "read_feed_list",
    "read_opml",
    "remove_feed",
    "start_polling",
]
