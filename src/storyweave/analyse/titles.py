"""A story's title as a reader sees it: a headline, never a lead paragraph cut mid-phrase or a site's name.

The story engine titles a story with the headline of one of its reports. Pasted texts (the seeds) carry
their lead paragraph on the first line, cut by the reader ("… in the face of, as he…"), and some pages
carry their site's name as title ("Sports News | Breaking & Latest Sports News"). The web UI, the feed
and the CLI show `story_headline` instead.
"""

from __future__ import annotations

from storyweave.analyse.statements import clean_title, wordset
from storyweave.analyse.text import first_statement, outlet_column, words
from storyweave.models import Article

HEADLINE_MAX_WORDS = 40
LEAD_SENTENCE_WORDS = 20
"""A title of more words than HEADLINE_MAX_WORDS, or of more than LEAD_SENTENCE_WORDS ending in a full
stop or cut ("…"), is a lead paragraph a pasted text put on its first line (the seeds), not a headline."""
TITLE_WORDS = 24
CLAUSE_MIN_WORDS = 8
_SITE_WORDS = wordset(
    "news breaking latest world international sport sports home headlines top stories today live online "
    "daily net the and of"
)


def _site_name(title: str, article: Article) -> bool:
    """A page title that only names the site or section ("Sports News | Breaking & Latest Sports News",
    "World news - RT International"): every word is a site word or part of the outlet's name."""
    own = set(words(outlet_column(article.source, article.url, article.id).replace(".", " ")))
    found = words(title)
    return bool(found) and all(w in _SITE_WORDS or w in own for w in found)


def _headline(title: str, article: Article) -> bool:
    """Whether `title` reads as a headline: not a lead paragraph, not the site's name, and not the tail of a
    headline cut by the page ("and 32 Small Ones": a headline opens with a capital where case exists)."""
    count = len(title.split())
    lead = count > HEADLINE_MAX_WORDS or (count > LEAD_SENTENCE_WORDS and title.rstrip().endswith((".", "…")))
    fragment = title[:1].islower()
    return count > 0 and not lead and not fragment and not _site_name(title, article)


def _shortened(sentence: str) -> str:
    """A first sentence as a title: whole when short, else up to a clause boundary, else cut with "…"."""
    tokens = sentence.rstrip(".").split()
    if len(tokens) <= TITLE_WORDS:
        return " ".join(tokens)
    for end in range(TITLE_WORDS + 6, CLAUSE_MIN_WORDS - 1, -1):
        if end < len(tokens) and tokens[end - 1].endswith((",", ";", ":")):
            return " ".join(tokens[:end]).rstrip(",;:")
    return " ".join(tokens[:TITLE_WORDS]) + "…"


def story_headline(title: str | None, articles: list[Article]) -> str | None:
    """The story's title as a reader sees it: its representative headline without the site's title bar
    ("… ::: Esportes ::: www.estadao.com.br"); when that is no headline — a pasted text's lead paragraph on
    its first line (the seeds), a site's own name — a report's headline, else the shortest first sentence
    of a report, else one cut at a clause; never a lead sentence cut mid-phrase."""
    originals = [a for a in articles if not a.duplicate_of] or articles
    if not originals:
        return title
    titles = [(clean_title(title), originals[0])] if title else []
    titles += [(clean_title(a.title or ""), a) for a in originals]
    for candidate, article in titles:
        if _headline(candidate, article):
            return candidate
    firsts = [found for a in originals if (found := first_statement(a.text or a.title or "", a.lang))]
    if not firsts:
        return title or originals[0].title
    whole = [s for s in firsts if len(s.split()) <= TITLE_WORDS]
    return _shortened(min(whole, key=len) if whole else firsts[0])
