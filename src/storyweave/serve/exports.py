"""Story exports per query: JSON, CSV (spreadsheet-safe) and an Atom feed a feed reader can subscribe to."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from storyweave.models import utcnow
from storyweave.serve.api import get_store
from storyweave.serve.views import StoryCard, StoryFilter, card, story_filter
from storyweave.store import Store
from storyweave.words import counted

router = APIRouter(prefix="/export", tags=["exports"])
ATOM = "http://www.w3.org/2005/Atom"


def _link(request: Request, name: str, **params: str) -> str:
    """The server's public URL (`serve --public-url`) plus the path; just the path without one. Never the
    request's `Host` header: a client could make every exported link point at its own site."""
    return (request.app.state.public_url or "") + request.app.url_path_for(name, **params)


def _atom_id(request: Request, link: str, fallback: str) -> str:
    """Atom ids must be absolute IRIs: the public link when there is a public URL, else a URN."""
    return link if request.app.state.public_url else f"urn:storyweave:{fallback}"


def _cards(f: StoryFilter, store: Store) -> list[StoryCard]:
    return [card(store, s) for s in f.stories(store)]  # exports are fresh, never from the query cache


@router.get("/stories.json", summary="Stories as a JSON document")
def export_json(f: StoryFilter = Depends(story_filter), store: Store = Depends(get_store)) -> Response:
    body = json.dumps({"stories": [c.to_dict() for c in _cards(f, store)]}, ensure_ascii=False, indent=1)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="stories.json"'},
    )


def _cell(value: object) -> str:
    """Text that a spreadsheet will not run as a formula (titles come from the web)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/stories.csv", summary="Stories as CSV, one row per story")
def export_csv(
    request: Request, f: StoryFilter = Depends(story_filter), store: Store = Depends(get_store)
) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "title", "size", "first_seen", "last_seen", "outlets", "languages", "thread_id", "url"]
    )
    for c in _cards(f, store):
        d = c.to_dict()
        writer.writerow(
            [
                _cell(v)
                for v in (
                    d["id"],
                    d["title"],
                    d["size"],
                    d["first_seen"],
                    d["last_seen"],
                    "; ".join(o["name"] for o in d["outlets"]),
                    "; ".join(x["lang"] for x in d["languages"]),
                    d["thread_id"],
                    _link(request, "story_page", story_id=c.id),
                )
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="stories.csv"'},
    )


@router.get("/stories.atom", summary="Stories as an Atom feed")
def export_atom(
    request: Request, f: StoryFilter = Depends(story_filter), store: Store = Depends(get_store)
) -> Response:
    """Each story is an entry, updated whenever a new report joins it."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    query = urlencode(f.params())
    self_url = _link(request, "export_atom") + (f"?{query}" if query else "")
    cards = _cards(f, store)
    title = "storyweave stories" + (f": {f.text_query}" if f.text_query else "")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = _atom_id(request, self_url, f"stories?{query}")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=_link(request, "front_page"))
    updated = max((c.story.last_seen for c in cards if c.story.last_seen), default=utcnow())
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "storyweave"
    for c in cards:
        url = _link(request, "story_page", story_id=c.id)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = c.title
        ET.SubElement(entry, f"{{{ATOM}}}id").text = _atom_id(request, url, f"story:{c.id}")
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = (c.story.last_seen or updated).isoformat()
        if c.story.first_seen:
            ET.SubElement(entry, f"{{{ATOM}}}published").text = c.story.first_seen.isoformat()
        outlets = ", ".join(name for name, _ in c.outlets[:8])
        summary = f"{counted(c.story.size, 'report')} from {counted(len(c.outlets), 'outlet')} ({outlets})."
        if c.lead:
            summary += f" {c.lead}"
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
