"""Extract: the article (text, title, date, author, site, language) from a page or plain text, sans chrome."""

from storyweave.extract.chrome import strip_chrome
from storyweave.extract.decode import ExtractionError, decode_bytes
from storyweave.extract.language import detect_language
from storyweave.extract.page import ExtractedPage, article_from_page, article_from_text, extract_page

__all__ = [
    "ExtractedPage",
    "ExtractionError",
    "article_from_page",
    "article_from_text",
    "decode_bytes",
    "detect_language",
    "extract_page",
    "strip_chrome",
]
