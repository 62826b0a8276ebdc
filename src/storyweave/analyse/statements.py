"""Which sentences are the article's own statements, and which are page furniture.

Extracted article text still carries what the page put around the story: photo captions and credits
("Reuters North Korean leader … in this undated photo", "Image copyright Getty Images"), datelines and
time stamps ("Esportes Dom, 14 Nov - 14h08"), bylines, navigation and title bars ("… ::: Esportes :::
www.estadao.com.br"), share and comment prompts, section labels glued to a headline ("Technology Former
Facebook and Google workers …"). None of it is a fact an outlet reports, a quote or a summary sentence.
`is_statement` is the one test facts, quotes, summaries and story-card leads use; its word lists cover the
supported languages (en, es, de, fr, pt, it, ar).

Every pattern here runs on untrusted text, so none has nested or overlapping quantifiers, and sentences
longer than MAX_STATEMENT_CHARS are refused before any pattern runs.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_STATEMENT_WORDS = 4
"""Fragments shorter than this (bylines, captions, 'Read more') are not statements of fact."""
MAX_STATEMENT_WORDS = 120
MAX_STATEMENT_CHARS = 1200
"""A 'sentence' longer than this is a run-on list, a table or a hostile input, not one statement."""
MAX_UPPER_SHARE = 0.6
"""Sentences whose letters are mostly capitals are labels, headlines or shouting, not reported facts."""

_WORD = re.compile(r"\w+")


def wordset(text: str) -> frozenset[str]:
    """The space-separated words of a word-list constant (long lists read better as one string)."""
    return frozenset(text.split())


AGENCIES = (
    "Reuters", "AP", "Associated Press", "AFP", "EPA", "KCNA", "KNS", "KCNS", "Getty", "Shutterstock",
    "Alamy", "PA", "Rex", "Xinhua", "Yonhap", "Anadolu", "dpa", "ANSA", "EFE", "Bloomberg",
)  # fmt: skip
"""News and picture agencies as they sign photo credits ("REUTERS/Issei Kato", "(KCNS via KNS/AFP/Getty
Images)") and datelines ("(AP) —"): the one list every credit and dateline rule here reads."""
_SPELLINGS = sorted({spelling for a in AGENCIES for spelling in (a, a.upper())}, key=len, reverse=True)
_AGENCIES = "|".join(map(re.escape, _SPELLINGS))  # "Reuters" and "REUTERS", longest first
# A caption opens with a picture credit and goes straight on with a capitalised caption ("Reuters North
# Korean leader …", "A KCNA / Reuters The North …"); "Reuters reported …" (lower case) is a statement.
_CREDIT_OPENING = re.compile(
    rf"^(?:An? )?(?:{_AGENCIES})(?: ?/ ?(?:{_AGENCIES}))* (?:The |A )?[A-Z]"
)
_NAMED_CREDIT = re.compile(rf"^(?:[A-Z][\w.'’-]* ){{1,3}}/ ?(?:{_AGENCIES})\b")
"""A photographer's credit glued before the text: "Andrew Kelly / Reuters The United Nations …"."""
_FURNITURE_ANYWHERE = re.compile(
    r":::|\|\s|www\.|https?://|\bundated (?:photo|picture|image|handout)|\b(?:file|handout|this) photo\b"
    r"|\bphoto (?:released|taken|provided|distributed) by\b|\bImage (?:copyright|caption)\b"
    r"|\b(?:Photo|Picture|Foto|Image|Bild|Imagen|Immagine) ?(?:credit|:)|\[Photo|\(Photo"
    r"|\bPhotograph(?:er)?: |\bMedia (?:playback|caption)\b|\bA post shared by\b|\bvia Getty Images\b"
    rf"|\b(?:{_AGENCIES})/[A-Z]|\w/(?:{_AGENCIES})\b"
    r"|\b(?:toggle|Hide) [Cc]aption\b|\bEnlarge this image\b|\bReplay More Videos\b|\bJUST WATCHED\b"
    r"|\bMUST WATCH\b|\(@\w|\bmade available by\b|\bvia AP\)|\bis not responsible for the content\b"
    r"|\bFind out what's happening in the world\b|\bplease refresh your browser\b"
    r"|\bthe story id may be invalid\b|\bcontinue to encounter difficulties\b"
    rf"|\b(?:{_AGENCIES})(?: Images)? - (?:Contributor|{_AGENCIES})\b"  # "Getty - Contributor Russia …"
    # subscription widgets, in every supported language ("Newsletter Sign Up … verify you're not a robot")
    r"|(?i:\bnot a robot\b|\bcontinue reading the main story\b"
    r"|\bthank(?:s| you) for (?:subscribing|signing up)\b"
    r"|\byour (?:e-?mail )?inbox\b|\benter (?:your|an|a valid) e-?mail\b|\be-?mail address is invalid\b"
    r"|\binvalid e-?mail\b|\balready subscribed\b|\bcould not subscribe\b|\byou agree to receive\b"
    r"|\bwith your social account\b|\bforgot your password\b"
    r"|\binscreva-se\b|\bcadastre-se\b|\bsuscr[ií]bete\b|\bjetzt abonnieren\b|\bnewsletter abonnieren\b"
    r"|\binscrivez-vous\b|\babonnez-vous\b|\biscriviti\b|اشترك في النشرة)",
)
_OPENING_PROMPTS = (
    # English
    "read more", "read also", "see also", "related:", "share this", "share on", "click here", "sign up",
    "subscribe", "follow us", "leave a comment", "join the conversation", "advertisement", "watch:",
    "reporting by", "editing by", "additional reporting", "writing by", "copyright", "all rights",
    "updated:", "published:", "last updated", "posted on", "photo:", "image:", "caption:", "email this",
    # Spanish
    "lea también", "leer más", "lee también", "ver también", "comparte", "compártelo", "suscríbete",
    "síguenos", "publicidad", "actualizado:", "publicado:",
    # German
    "lesen sie auch", "mehr zum thema", "weiterlesen", "anzeige", "aktualisiert:", "veröffentlicht:",
    # French
    "lire aussi", "lire la suite", "à lire aussi", "voir aussi", "partager", "suivez-nous", "publicité",
    "mis à jour", "publié le",
    # Portuguese
    "leia mais", "leia também", "veja também", "saiba mais", "compartilhe", "siga-nos", "publicidade",
    "atualizado em", "publicado em",
    # Italian
    "leggi anche", "leggi di più", "condividi", "seguici", "pubblicità", "aggiornato:", "pubblicato:",
    # Arabic
    "اقرأ أيضا", "اقرأ أيضاً", "شارك", "تابعونا", "إعلان",
    # a subscription or error widget's messages and a picture's courtesy credit, in every language
    "an error has occurred", "an error occurred", "please try again", "try again later", "please enter",
    "please verify", "you must select", "view all", "courtesy of", "(courtesy of", "get daily updates",
    "ocorreu um erro", "tente novamente", "cortesia de", "(cortesia de", "se ha producido un error",
    "ha ocurrido un error", "inténtelo de nuevo", "cortesía de", "(cortesía de", "ein fehler ist aufgetreten",
    "bitte versuchen sie es", "une erreur s'est produite", "une erreur est survenue", "veuillez réessayer",
    "si è verificato un errore", "riprova più tardi", "حدث خطأ", "يرجى المحاولة",
)  # fmt: skip
"""Openings of share/comment prompts, credits, time stamps and widget messages. A short line (≤
PROMPT_MAX_WORDS) opening with one is furniture; a long sentence may open the same way and still state
something."""
_CAPTION_OPENINGS = (
    "photos:", "photo:", "pictures:", "gallery:", "video:", "watch:", "listen:", "fotos:", "foto:", "vídeo:",
    "galería:", "galeria:", "bilder:", "bildergalerie:", "diaporama:", "chat with us", "external links",
    "destaques", "highlights", "top stories", "most read", "mais lidas", "más leídas", "comunicar erros",
    "newsletter sign up", "sign up", "about us /",
)  # fmt: skip
"""Openings of gallery and video captions and of page prompts ("Photos: North Korea launches rocket The …",
CNN's "Chat with us in Facebook Messenger."): furniture at any length."""
_NEWSLETTER_WORDS = wordset("newsletter newsletters boletín boletim informativo")
_READER_WORDS = wordset(
    "you your get subscribe sign usted suscríbete você inscreva vous votre abonnez sie ihr ihre voi iscriviti"
)
"""A newsletter named to the reader ("The Bits newsletter will keep you updated …", "You must select a
newsletter to subscribe to.") is the page's advertisement for itself, not the article's statement."""
_HAND_OFFS = ("has more.", "have more.", "has the story.", "has the details.", "has details.", "reports.")
HAND_OFF_MAX_WORDS = 6
"""A video's hand-off to its presenter ("Ed Schultz has more.", "Veuer's Lindsey Granger has more.")."""
_PICTURE_WORDS = wordset("image photo picture photograph screenshot handout still")
_PICTURE_OPENERS = wordset("a an this the in")
_PICTURE_OPENINGS = _PICTURE_OPENERS | _PICTURE_WORDS
_BYLINE = re.compile(r"^(?:By|BY|Por|POR|Von|Par|Di|Da|بقلم) [A-Z\u0600-\u06ff]")
BYLINE_MAX_WORDS = 7
_CLOSE_BUTTON = re.compile(r"^CLOSE [A-Z]")
"""A video player's 'CLOSE' button glued to its caption (USA Today pages)."""
PROMPT_MAX_WORDS = 12
_SECTIONS = wordset(
    "technology politics entertainment opinion sport sports lifestyle "
    "esportes esporte política economia tecnologia deportes deporte economía sociedad tecnología "
    "politik wirtschaft panorama ausland inland politique société cronaca esteri"
)
"""Section labels that pages glue in front of a headline ("Technology Former Facebook … workers …"); only
words that seldom open a name ("World Health Organization", "US President", "Health Secretary" stay)."""
_WEEKDAYS_MONTHS = wordset(
    "mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday "
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august "
    "september october november december "
    "seg ter qua qui sex sáb sab dom segunda terça quarta quinta sexta sábado domingo "
    "lun mar mié jue vie lunes martes miércoles jueves viernes ene abr ago dic enero febrero marzo abril "
    "mayo junio julio agosto septiembre octubre noviembre diciembre "
    "jan fev abr mai jun jul ago set out nov dez janeiro fevereiro março maio junho julho setembro outubro "
    "novembro dezembro "
    "mo di mi do fr sa so montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz "
    "mai juni juli oktober dezember "
    "lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril juin juillet août "
    "septembre octobre novembre décembre "
    "lunedì martedì mercoledì giovedì venerdì sabato domenica gennaio febbraio aprile maggio giugno luglio "
    "settembre ottobre novembre dicembre am pm h min gmt utc bst est edt cet"
)
_CLOCK = re.compile(r"\b\d{1,2}(?:h|:)\d{2}\b")


def _words(sentence: str) -> list[str]:
    return _WORD.findall(sentence.casefold())


def _mostly_capitals(sentence: str) -> bool:
    letters = [c for c in sentence if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return len(letters) >= 12 and upper / len(letters) > MAX_UPPER_SHARE


def _is_timestamp(tokens: list[str], sentence: str) -> bool:
    """A line made of dates, times and a label ("Esportes Dom, 14 Nov - 14h08", "Updated 10:32 GMT")."""
    dated = sum(t.isdigit() or t in _WEEKDAYS_MONTHS or bool(_CLOCK.fullmatch(t)) for t in tokens)
    return len(tokens) <= 10 and (dated * 2 >= len(tokens) or (_CLOCK.search(sentence) is not None
                                                               and len(tokens) <= 7))


def _all_names(text: str) -> bool:
    """Every word capitalised but for joiners: a list of names ("John Smith and Ana Díaz, Reuters")."""
    joiners = {"and", "y", "e", "und", "et", "de", "da", "do", "dos", "del", "van", "von", "in"}
    return all(w[:1].isupper() or w.casefold() in joiners for w in text.replace(",", " ").split())


def _section_label(sentence: str, tokens: list[str]) -> bool:
    """A section word glued before a capitalised headline: "Technology Former Facebook and Google …"."""
    first, _, rest = sentence.partition(" ")
    return (
        len(tokens) > 2
        and first.casefold() in _SECTIONS
        and first[:1].isupper()
        and rest[:1].isupper()
        and not rest.split(" ", 1)[0].isupper()
    )


def _picture_caption(tokens: list[str]) -> bool:
    """ "An image from North Korea's official news agency shows …", "This Dec. 28, 2017 photo … shows …": one
    picture that "shows" something, named in the opening words, is a caption ("The photos released by SpaceX
    show …" reports on pictures and stays)."""
    opening = tokens[:16]
    if "shows" not in opening or opening[0] not in _PICTURE_OPENINGS:
        return False
    return any(t in _PICTURE_WORDS for t in opening[: opening.index("shows")])


@lru_cache(maxsize=65536)
def is_statement(sentence: str, lang: str | None = None) -> bool:
    """True when `sentence` is something the article states, not page furniture (see module docstring).

    `lang` (ISO 639-1) is accepted for callers that know it; the word lists cover every supported language
    at once, because pages mix them (an English article on a Portuguese page keeps its "Leia mais").
    """
    del lang  # the lists are language-independent; kept in the signature for callers and future rules
    text = sentence.strip()
    if not text or len(text) > MAX_STATEMENT_CHARS:
        return False
    tokens = _words(text)
    if not MIN_STATEMENT_WORDS <= len(tokens) <= MAX_STATEMENT_WORDS:
        return False
    if _mostly_capitals(text) or _CREDIT_OPENING.match(text) or _NAMED_CREDIT.match(text):
        return False
    if _FURNITURE_ANYWHERE.search(text):
        return False
    folded = text.casefold()
    if _CLOSE_BUTTON.match(text) or folded.startswith(_CAPTION_OPENINGS) or (
        len(tokens) <= PROMPT_MAX_WORDS and folded.startswith(_OPENING_PROMPTS)
    ):
        return False
    if _NEWSLETTER_WORDS.intersection(tokens) and _READER_WORDS.intersection(tokens):
        return False
    if len(tokens) <= HAND_OFF_MAX_WORDS and folded.endswith(_HAND_OFFS):
        return False
    if _picture_caption(tokens) or (text.startswith("[") and text.endswith("]")):
        return False  # a caption, or a bracketed link to another story ("[North Korea announces plan …]")
    if len(tokens) <= BYLINE_MAX_WORDS and _BYLINE.match(text) and _all_names(text.split(" ", 1)[1]):
        return False
    return not (_is_timestamp(tokens, text) or _section_label(text, tokens))


_DATELINE_CAPS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ .,'-/")
"""Characters of a capitalised place; "/" joins two ("TOKYO/SEOUL -", "SEOUL/WASHINGTON (Reuters) -")."""
_DATELINE_AGENCIES = tuple(f"({agency})" for agency in (*AGENCIES, "CNN"))
"""CNN signs datelines like an agency, but no pictures ("CNN/ORC poll" is no credit)."""
_DASHES = "—–-"
_MONTHS = wordset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec "
    "january february march april june july august september october november december"
)
"""Months a dated dateline names after its place ("BEIJING, Dec. 29 (Xinhuanet) --")."""
MAX_TITLED_PLACE_WORDS = 3


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _word_end(text: str, i: int, accept) -> int:
    """End of the run of characters from i that `accept` takes (at most MAX_DATELINE of them)."""
    end = i
    while end < len(text) and end - i < MAX_DATELINE and accept(text[end]):
        end += 1
    return end


def _dated(text: str, k: int) -> int:
    """End of a date after a place at k (", Dec. 29", ", Dec. 22, 2004", ", Oct 19"), else k."""
    if not text.startswith(", ", k):
        return k
    month_end = _word_end(text, k + 2, str.isalpha)
    if text[k + 2 : month_end].casefold() not in _MONTHS:
        return k
    day = _skip(text, month_end, ". ")
    day_end = _word_end(text, day, str.isdigit)
    if not 0 < day_end - day <= 2 or day == month_end:
        return k
    year_end = _word_end(text, day_end + 2, str.isdigit) if text.startswith(", ", day_end) else day_end
    return year_end if year_end - day_end == 6 else day_end


def _after_dash(text: str, k: int) -> int:
    """End of "[, date] (Agency) — " at k (date and agency optional), or -1 when no dash follows."""
    dated = _dated(text, k)
    k = dated + 1 if dated > k and text.startswith(" (", dated) else dated
    if k < len(text) and text[k] == "(":
        close = k + 1
        while close < len(text) and close - k <= MAX_DATELINE and (text[close].isascii() and (
            text[close].isalpha() or text[close] in " ./")):  # fmt: skip
            close += 1
        if close < len(text) and text[close] == ")" and close > k + 1:
            k = close + 1
    spaced = _skip(text, k, " \t")
    dashes = _skip(text, spaced, _DASHES)
    end = _skip(text, dashes, " \t")
    hyphen_in_word = text[spaced:dashes] == "-" and spaced == k and end == dashes  # "STS-101"
    return end if dashes > spaced and not hyphen_in_word else -1


MAX_DATELINE = 41
"""Characters of a capitalised dateline ("SEOUL/WASHINGTON (Reuters) —" has 16 before the agency)."""


def dateline_length(text: str) -> int:
    """Characters a dateline opening `text` takes ("SEOUL, South Korea —", "(Reuters) -"), 0 when none.

    A capitalised place of 3 to MAX_DATELINE characters (capitals, spaces, . , ' - and / between places),
    an optional date and "(Agency)", then dashes; or "(AP)", "(Reuters)" … with optional dashes; or a
    title-case place of 1 to 3 words, a spaced dash and a capital ("São Paulo - Foi libertada …"; not
    "Obama — who …"). Bounded loops, no regex."""
    start = _skip(text, 0, " \t\n")
    for agency in _DATELINE_AGENCIES:
        if text.startswith(agency, start):
            end = _skip(text, start + len(agency), " \t")
            return _skip(text, _skip(text, end, _DASHES), " \t")
    if start >= len(text) or not text[start].isupper():
        return 0
    if not ("A" <= text[start] <= "Z") or text.startswith("A ", start):  # "A FIRE - BOMB attack …"
        return _titled_place(text, start)
    run = start + 1
    while run < len(text) and run - start < MAX_DATELINE and text[run] in _DATELINE_CAPS:
        run += 1
    for k in range(run, start + 2, -1):  # longest place first, as a greedy pattern would
        end = _after_dash(text, k)
        if end >= 0:
            return end
    return _region_dateline(text, start, run) or _titled_place(text, start)


def _titled_place(text: str, start: int) -> int:
    """ "São Paulo - Foi libertada …", "Wien - Nach der Wiederwahl …": 1 to MAX_TITLED_PLACE_WORDS words,
    each a capital then small letters, a dash between spaces and a capital after it."""
    i = start
    for _ in range(MAX_TITLED_PLACE_WORDS):
        end = _word_end(text, i, str.isalpha)
        if end - i < 2 or not text[i].isupper() or not text[i + 1 : end].islower():
            return 0
        if text.startswith(" ", end) and end + 1 < len(text) and text[end + 1] in _DASHES:
            dashes = _skip(text, end + 1, _DASHES)
            after = dashes + 1
            ok = text.startswith(" ", dashes) and after < len(text) and text[after].isupper()
            return after if ok else 0
        if not text.startswith(" ", end):
            return 0
        i = end + 1
    return 0


def _region_dateline(text: str, start: int, run: int) -> int:
    """A capitalised place, a comma and a title-case region before the dash: "SEOUL, South Korea —",
    "LOS ANGELES, Calif. (Reuters) -". The place needs two capitals, every region word a capital."""
    comma = text.find(", ", start, run)
    if comma < start + 2 or not text[start:comma].replace(" ", "").replace(".", "").isupper():
        return 0
    region = comma + 2
    stop = region
    while stop < len(text) and stop - start < MAX_DATELINE and (text[stop].isalpha() or text[stop] in " ."):
        stop += 1
    for k in range(stop, region + 1, -1):
        if all(word[:1].isupper() for word in text[region:k].split()):
            end = _after_dash(text, k)
            if end >= 0:
                return end
    return 0


_CREDIT_WORDS = wordset(" ".join(AGENCIES).casefold()) | wordset("images photo")
CREDIT_MAX_WORDS = 10
CREDIT_MAX_CHARS = 90


def caption_paragraph(paragraph: str) -> bool:
    """A paragraph that ends with a picture credit in brackets is a photo caption, every sentence of it:
    "… is seen from the Chinese border city of Dandong on Feb. 7. (Reuters)", "… (KCNS via KNS/AFP/Getty
    Images)", "… (SpaceX via AP) (Associated Press)". A credit names an agency, and is a "via"/"/" credit or
    follows a full stop or another credit, so "… the Korean Central News Agency (KCNA)" stays. A paragraph
    under a video player's CLOSE button is its caption too."""
    text = paragraph.strip()
    if _CLOSE_BUTTON.match(text):
        return True  # a video player's caption ("CLOSE CEO of Tesla … Josh King has the story …")
    open_at = text.rfind("(", max(0, len(text) - CREDIT_MAX_CHARS))
    if not text.endswith(")") or open_at < 0:
        return False
    inside = text[open_at + 1 : -1]
    tokens = _words(inside)
    if not 0 < len(tokens) <= CREDIT_MAX_WORDS or not any(t in _CREDIT_WORDS for t in tokens):
        return False
    return "via" in tokens or "/" in inside or text[:open_at].rstrip().endswith((".", ")"))


_AD_LABELS = wordset("Publicidade Publicidad Advertisement Anzeige Werbung Publicité Pubblicità")
_DASH_TOKENS = wordset("- -- — – ---")
GLUE_MAX_WORDS = 8
"""Words a glued time stamp or heading may take at a sentence's start."""


def _stamp(token: str) -> bool:
    """A dash, or a date or time written with separators ("17/12/2004", "08h29", "10:32")."""
    if token in _DASH_TOKENS:
        return True
    digits = sum(c.isdigit() for c in token)
    return digits > 0 and ("/" in token or ":" in token or (
        "h" in token and digits == len(token) - 1 and token[0].isdigit()))  # fmt: skip


_SOCIAL = (["Twitter"], ["Instagram"], ["Facebook"], ["YouTube"], ["TikTok"])
"""Sites a picture is credited to with its poster's handle ("Twitter / @ForIamPJ Zoo directors …")."""


def clean_statement(sentence: str) -> str:
    """`sentence` without what the page glued to it: a social picture credit ("Twitter / @ForIamPJ …"), a
    leading time stamp or dash ("17/12/2004 - 08h29 …",
    "— SpaceX's hot new rocket …"), a leading all-caps heading ("FALCON HEAVY LAUNCH If all goes …") and a
    trailing ad label ("… mãe do jogador Robinho Publicidade"). Bounded loops over words, no regex."""
    tokens = sentence.split()
    credited = tokens[:1] in _SOCIAL and tokens[1:2] == ["/"] and tokens[2:3] and tokens[2][:1] == "@"
    start = 3 if credited else 0
    while start < min(len(tokens), GLUE_MAX_WORDS) and _stamp(tokens[start]):
        start += 1
    run = start
    while run < min(len(tokens), start + GLUE_MAX_WORDS) and len(tokens[run]) >= 3 and (
        tokens[run].isalpha() and tokens[run].isupper()):  # fmt: skip
        run += 1
    if run - start >= 2 and run < len(tokens) and tokens[run][:1].isupper() and not tokens[run].isupper():
        start = run
    end = len(tokens)
    if end - start > 1 and tokens[-1] in _AD_LABELS:
        end -= 1
    return sentence if (start, end) == (0, len(tokens)) else " ".join(tokens[start:end])


_TITLE_BARS = (" ::: ", " | ", " || ")
TITLE_MIN_WORDS = 3


def clean_title(title: str) -> str:
    """A page title without the site's bar: "Mãe de Robinho é libertada ::: Esportes ::: www.estadao.com.br"
    → "Mãe de Robinho é libertada" (the first part of at least TITLE_MIN_WORDS words; unchanged when none)."""
    for bar in _TITLE_BARS:
        if bar in title:
            parts = [p.strip() for p in title.split(bar)]
            return next((p for p in parts if len(p.split()) >= TITLE_MIN_WORDS), title)
    return title
