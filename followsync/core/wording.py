"""The words of a message: people's names, salutations, phrases, and the limits' counting.

Pure helpers that turn a tracker cell into words a message can use (:func:`parse_person`,
:func:`salutation`, :func:`as_phrase`, :func:`day_in_words`, :func:`said_on`), shorten a part at word
boundaries (:func:`shorten_words`, :func:`shorten_chars`), and count a draft as its limits are
defined (:func:`word_count`, :func:`linkedin_length`; see ``drafts``' module docstring). Both
``drafts`` and ``lint`` use them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from . import language as lang

# ----------------------------------------------------------------------------------------
# Message kinds

THANK_YOU = "thank_you"
FOLLOW_UP = "follow_up"
REMINDER = "reminder"
CALL_SCRIPT = "call_script"
OTHER_CONTACT = "other_contact"
FINAL_NOTE = "final_note"
REJECTION_REPLY = "rejection_reply"
LINKEDIN_NOTE = "linkedin_note"

KINDS = (THANK_YOU, FOLLOW_UP, REMINDER, CALL_SCRIPT, OTHER_CONTACT, FINAL_NOTE, REJECTION_REPLY)


def kind_for(rule: int, medium: str = "") -> str | None:
    """The message kind a plan row's rule (and, for rule 11, medium) calls for, or None."""
    if rule == 3:
        return REJECTION_REPLY
    if rule == 7:
        return THANK_YOU
    if rule == 9:
        return FOLLOW_UP
    if rule == 10:
        return REMINDER
    if rule == 11:
        return {"phone": CALL_SCRIPT, "other_contact": OTHER_CONTACT}.get(medium, REMINDER)
    if rule == 12:
        return FINAL_NOTE
    return None


# ----------------------------------------------------------------------------------------
# Counting, as the limits are defined


def word_count(text: str) -> int:
    """Words as a word processor counts them: whitespace-separated tokens."""
    return len(text.split())


def linkedin_length(text: str) -> int:
    """Characters as LinkedIn's note box counts them: UTF-16 code units (see module doc).

    A line break counts 1 (HTML counts a textarea's line break as one character).
    """
    text = text.replace("\r\n", "\n")
    return len(text.encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------------------
# Cells to words

# The pure helpers below that turn a cell into words are memoised on their arguments: a
# tracker repeats interviewers, talking points and days on many rows, and a row's cells go
# through several of them. Bounded, so a long-running process does not grow without end.
memo = lru_cache(maxsize=1 << 14, typed=True)


MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@memo
def day_in_words(day: dt.date | None, today: dt.date | None) -> str:
    """The interview's day as a message says it, relative to today.

    ``today``, ``yesterday``, ``on Tuesday`` within the last six days, else ``on 3 November``
    (with the year when it is not this year's). With ``today`` None (a stored draft that may be
    sent on any day: see :func:`said_on`), always the date, ``on 3 November``.
    """
    if day is None:
        return ""
    if today is None:
        return f"on {day.day} {MONTH_NAMES[day.month - 1]}"
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if 2 <= delta <= 6:
        return f"on {WEEKDAY_NAMES[day.weekday()]}"
    year = f" {day.year}" if day.year != today.year else ""
    return f"on {day.day} {MONTH_NAMES[day.month - 1]}{year}"


def said_on(interview: dt.date | None, due: dt.date | None, today: dt.date) -> dt.date | None:
    """The day a stored draft's words may count from ('yesterday', 'today'), or None for none.

    A draft sits in the tracker and is written again only when its text changes, so words that
    count from today would change every morning with nothing else changing (issue 19). They
    count from today only on the days the row's urgency changes the next morning anyway: when
    its action is due today (tomorrow it is overdue), and on the interview's day when the action
    is due tomorrow (a thank-you note: tomorrow it is due today). Any other day the draft names
    the date, which stays true whenever it is sent.
    """
    if due is not None and (due == today or (interview == today and (due - today).days == 1)):
        return today
    return None


HONORIFICS = {
    "mr": "Mr.",
    "ms": "Ms.",
    "mrs": "Mrs.",
    "mx": "Mx.",
    "miss": "Miss",
    "dr": "Dr.",
    "prof": "Prof.",
    "professor": "Prof.",
    **lang.FOREIGN_HONORIFICS,  # "Frau Jones", "Mme Dubois", "Sra. Ruiz"
}
# Lower-case particles that belong to a surname: "Ms. Anna van der Berg" -> "Ms. van der Berg".
SURNAME_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "di",
    "da",
    "du",
    "la",
    "le",
    "ter",
    "ten",
}
NAME_SUFFIXES = {"phd", "mba", "md", "jr", "sr", "ii", "iii", "esq", "cpa"}


@dataclass(frozen=True)
class Person:
    """A name as written in a cell: honorific (canonical, e.g. 'Ms.'), given names, surname."""

    honorific: str
    given: str
    surname: str

    @property
    def full(self) -> str:
        """'Jane Jones' (no honorific)."""
        return " ".join(p for p in (self.given, self.surname) if p)

    @property
    def formal(self) -> str:
        """'Ms. Jones' with an honorific, else the full name."""
        return f"{self.honorific} {self.surname}" if self.honorific and self.surname else self.full

    @property
    def with_honorific(self) -> str:
        """'Ms. Jane Jones'."""
        return " ".join(p for p in (self.honorific, self.full) if p)

    @property
    def casual(self) -> str:
        """'Jane' when no honorific is given, else 'Ms. Jones' (their choice of formality)."""
        if self.honorific:
            return self.formal
        return self.given.split()[0] if self.given else self.surname


_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_BRACKETED_RE = re.compile(r"<[^>]*>|\([^)]*\)")
_NAME_SPLIT_RE = re.compile(r"[\s,]+")
_PEOPLE_SPLIT_RE = re.compile(r"\s*(?:;|/|&|\band\b|\n)\s*")
# A comma separates people unless what follows is a suffix ("Jane Jones, PhD").
_PERSON_COMMA_RE = re.compile(r",\s*(?!(?:phd|mba|md|jr|sr|esq|cpa)\b)", re.I)


@memo
def parse_person(cell: str) -> Person | None:
    """One person's name from a cell like 'Ms. Jane Jones', 'Dr. Lee' or 'Ana Ruiz <ana@x.com>'."""
    s = _BRACKETED_RE.sub(" ", cell)
    s = _EMAIL_RE.sub(" ", s)
    words = [w for w in _NAME_SPLIT_RE.split(s) if w]
    while words and words[-1].lower().strip(".") in NAME_SUFFIXES:
        words.pop()
    if not words:
        return None
    honorific = ""
    key = words[0].lower().rstrip(".")
    if key in HONORIFICS:
        honorific = HONORIFICS[key]
        words = words[1:]
    if not words:
        return None
    # The surname is the last word plus any particles before it ("van der Berg").
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in SURNAME_PARTICLES:
        cut -= 1
    if len(words) == 1:
        return Person(honorific, "", words[0]) if honorific else Person("", words[0], "")
    return Person(honorific, " ".join(words[:cut]), " ".join(words[cut:]))


def parse_people(cell: str) -> list[Person]:
    """Everyone a cell names: 'Ms. Jane Jones and Dr. Lee' is two people."""
    return list(_people(cell))


@memo
def _people(cell: str) -> tuple[Person, ...]:
    people = []
    for part in _PEOPLE_SPLIT_RE.split(cell):
        for chunk in _PERSON_COMMA_RE.split(part):
            p = parse_person(chunk)
            if p is not None:
                people.append(p)
    return tuple(people)


def join_words(items: list[str], language: str = lang.ENGLISH) -> str:
    """'a', 'a and b', 'a, b and c' (in ``language``: 'a, b und c')."""
    return lang.join_words(items, language)


def salutation(interviewer: str) -> str:
    """'Dear Ms. Jones' (honorific given), 'Dear Jane Jones' (none), 'Dear Hiring Manager' (no name)."""
    people = _people(interviewer)
    if not people:
        return "Dear Hiring Manager"
    return "Dear " + join_words([p.formal for p in people])


# Words that start a clause, not a noun phrase: "We discussed ..." is a sentence of its own.
_CLAUSE_STARTERS = {
    "i", "i'm", "i've", "we", "we're", "we've", "you", "you're", "they", "they're", "he", "she",
    "it", "it's", "there", "my", "having", "as",
}  # fmt: skip
# Common words that may start a phrase with a capital only because they start the cell; they
# are lower-cased so the phrase reads well mid-sentence. Anything else (names, acronyms) stays.
_LOWERABLE = {
    "the", "a", "an", "your", "their", "our", "his", "her", "its", "this", "that", "these",
    "those", "how", "what", "why", "when", "where", "which", "who", "team", "teams", "company",
    "role", "product", "products", "plans", "plan", "culture", "vision", "strategy", "goals",
    "growth", "new", "upcoming", "current", "future", "recent", "next", "expanding", "building",
    "working", "hiring", "launching", "moving", "scaling", "managing", "leading", "remote",
    "hybrid", "relocation", "salary", "start", "travel", "experience", "years", "eight", "five",
    "three", "ten", "two", "four", "six", "seven", "nine", "strong", "proven", "deep", "hands-on",
    "expertise", "skills", "background", "knowledge", "a record", "record", "timeline",
    "onboarding", "benefits", "budget", "my", "lack", "concerns", "questions", "is", "are",
}  # fmt: skip
_QUESTION_STARTERS = {
    "is", "are", "do", "does", "did", "can", "could", "will", "would", "what", "when", "where",
    "who", "whom", "whose", "which", "how", "why", "should", "may", "might", "shall", "has", "have",
}  # fmt: skip


# The same lists for the other languages: what starts a sentence, and what starts a question.
_CLAUSE_STARTERS_BY = {
    "de": {"ich", "wir", "es", "man", "dabei"},
    "fr": {"je", "j'ai", "j’ai", "nous", "on", "c'est", "c’est", "il", "elle"},
    "es": {"yo", "tengo", "he", "hemos", "hablamos", "nosotros", "me", "nos"},
}
_QUESTION_STARTERS_BY = {
    "de": {"wie", "was", "wann", "wo", "welche", "welcher", "welches", "gibt", "ist", "sind", "kann", "wer", "warum"},
    "fr": {"comment", "quel", "quelle", "quels", "quelles", "quand", "est-ce", "combien", "pourquoi", "qui", "où"},
    "es": {"cómo", "qué", "cuándo", "cuál", "cuáles", "dónde", "hay", "puede", "quién"},
}  # fmt: skip


def _starts_clause(word: str, language: str) -> bool:
    return word.lower() in (_CLAUSE_STARTERS if language == lang.ENGLISH else _CLAUSE_STARTERS_BY[language])


def _starts_question(word: str, language: str) -> bool:
    return word.lower() in (_QUESTION_STARTERS if language == lang.ENGLISH else _QUESTION_STARTERS_BY[language])


_ITEM_SPLIT_RE = re.compile(r"\s*(?:\n|;|•|·|\u2022)\s*")
_ITEM_MARK_RE = re.compile(r"^\s*(?:[-*–—]|\d+[.)])\s+")
_WORD_CHAR_RE = re.compile(r"\w")
_FIRST_WORD_RE = re.compile(r"[\w'’-]+")


@memo
def _items(cell: str) -> tuple[str, ...]:
    """A free-text cell split into items: lines, semicolons or bullets."""
    out = []
    for item in _ITEM_SPLIT_RE.split(cell):
        item = _ITEM_MARK_RE.sub("", item).strip()
        item = " ".join(item.split())
        if item and _WORD_CHAR_RE.search(item):
            out.append(item)
    return tuple(out)


def _first_word(s: str) -> str:
    m = _FIRST_WORD_RE.match(s)
    return m.group(0) if m else ""


def _lower_start(s: str) -> str:
    first = _first_word(s)
    if first and first[0].isupper() and first[1:] == first[1:].lower() and first.lower() in _LOWERABLE:
        return s[0].lower() + s[1:]
    return s


def _upper_start(s: str) -> str:
    return s[:1].upper() + s[1:]


@memo
def is_clause(cell: str, language: str = lang.ENGLISH) -> bool:
    """True when a cell reads as a sentence ('We discussed ...') rather than a phrase."""
    items = _items(cell)
    return bool(items) and _starts_clause(_first_word(items[0]), language)


@memo
def as_phrase(cell: str, language: str = lang.ENGLISH) -> str:
    """A cell as a phrase to weave into a sentence: 'The CRM rollout; team structure.' ->
    'the CRM rollout and team structure'. Clauses come back as sentences without the final stop.
    Only English words are lower-cased (a German noun keeps its capital).
    """
    items = _items(cell)
    if not items:
        return ""
    if _starts_clause(_first_word(items[0]), language):
        sentences = [_upper_start(i.rstrip(" .;,:!")) for i in items]
        return ". ".join(s for s in sentences if s)
    lower = _lower_start if language == lang.ENGLISH else str
    return join_words([lower(i.rstrip(" .;,:!?")) for i in items], language)


@memo
def is_question(cell: str, language: str = lang.ENGLISH) -> bool:
    """True when a cell holds questions to ask ('Is the role remote?')."""
    items = _items(cell)
    return bool(items) and any(i.endswith("?") or _starts_question(_first_word(i), language) for i in items)


@memo
def as_questions(cell: str, language: str = lang.ENGLISH) -> str:
    """A cell of questions as sentences: 'is the role remote' -> 'Is the role remote?'."""
    out = []
    for item in _items(cell):
        item = item.rstrip(" .;,:!")
        q = item.endswith("?") or _starts_question(_first_word(item), language)
        out.append(_upper_start(item.rstrip("?")) + ("?" if q else "."))
    return " ".join(out)


# Words a shortened part must not end on: they promise more that was cut.
_DANGLING = {
    "a", "an", "the", "and", "or", "but", "of", "to", "with", "for", "in", "on", "at", "by", "from",
    "about", "as", "my", "your", "our", "their", "its", "his", "her", "that", "which", "who",
    "including", "such", "like", "is", "are", "was", "were", "be", "this", "these", "than", "into",
}  # fmt: skip


def _tidy_end(words: list[str], language: str = lang.ENGLISH) -> list[str]:
    dangling = _DANGLING if language == lang.ENGLISH else lang.DANGLING[language]
    while words:
        words[-1] = words[-1].rstrip(",;:-–—(\"'“‘«")
        if words[-1] and words[-1].lower() not in dangling:
            break
        words.pop()
    return words


def _natural_cut(words: list[str]) -> list[str]:
    """Prefer ending where an item or sentence ends ('..., the team structure,') when that
    keeps at least half of the words."""
    for i in range(len(words) - 1, len(words) // 2 - 1, -1):
        if words[i].endswith((",", ";", ".", "?", "!")) and i > 0:
            return words[: i + 1]
    return words


def shorten_words(s: str, n: int, language: str = lang.ENGLISH) -> str:
    """At most ``n`` words of ``s``, ending on a whole word that does not dangle (in ``language``)."""
    words = s.split()
    if len(words) <= n:
        return s
    return " ".join(_tidy_end(_natural_cut(words[: max(n, 0)]), language))


def shorten_chars(s: str, n: int, language: str = lang.ENGLISH) -> str:
    """``s`` cut to at most ``n`` characters (LinkedIn's count) at a word boundary."""
    if linkedin_length(s) <= n:
        return s
    words, used = s.split(), 0
    out: list[str] = []
    for w in words:
        extra = linkedin_length(w) + (1 if out else 0)
        if used + extra > n:
            break
        out.append(w)
        used += extra
    return " ".join(_tidy_end(_natural_cut(out), language))


# Whitespace a rendered draft is left with by blank cells.

_SPACE_PUNCT_RE = re.compile(r"\s+([,.;:?!])")
_BLANKS_RE = re.compile(r"[ \t]+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r" ([,.;:?!])")
_DOUBLE_STOP_RE = re.compile(r"([.?!])\.")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_SPACE_BEFORE_PUNCT = (" ,", " .", " ;", " :", " ?", " !")  # what _SPACE_BEFORE_PUNCT_RE matches
_DOUBLE_STOPS = ("..", "?.", "!.")  # what _DOUBLE_STOP_RE matches


def tidy_line(s: str) -> str:
    """One line: single spaces, no space before punctuation."""
    s = " ".join(s.split())
    return _SPACE_PUNCT_RE.sub(r"\1", s)


def tidy(s: str) -> str:
    """Clean whitespace left by blank cells: no double spaces, no ' ,', at most one blank line.

    Line by line: runs of spaces and tabs become one space, the line is stripped, a space
    before punctuation goes, and so does a stop after a stop ("remote?." from a cell ending in
    punctuation). None of these patterns spans a line break, so each runs once over the whole
    text, and only when the text has what it matches (a substring test is far cheaper).
    """
    s = s.replace("\r\n", "\n")
    if "  " in s or "\t" in s:
        s = _BLANKS_RE.sub(" ", s)
    out = "\n".join([line.strip() for line in s.split("\n")])
    if any(p in out for p in _SPACE_BEFORE_PUNCT):
        out = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", out)
    if any(p in out for p in _DOUBLE_STOPS):
        out = _DOUBLE_STOP_RE.sub(r"\1", out)
    if "\n\n\n" in out:
        out = _BLANK_LINES_RE.sub("\n\n", out)
    return out.strip()
