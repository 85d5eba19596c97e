"""Message drafts: RULES.md section 5, rendered from Jinja2 templates.

:func:`render` takes the typed tracker frame and the plan (from ``rules.plan``) and returns,
per row, the Draft subject, Draft message and LinkedIn note. It is pure: the only I/O is
reading templates.

Templates live in ``followsync/sheet_templates/messages/``, one per message kind (see
:data:`TEMPLATES`). A file of the same name in the user's ``templates_dir`` overrides the
shipped one. A message template sets its subject with ``{% set subject %}...{% endset %}``;
its output is the message. Every template gets the variables of :data:`VARIABLES`, always
defined (blank as ``""``), so that ``{% if talking_points %}`` is how a template leaves out a
sentence whose cell is blank. Undefined names are errors (StrictUndefined), reported as a
:class:`TemplateError` naming the file and line.

Limits: a message is at most ``rules.max_words`` words (whitespace-separated tokens, counting
the salutation and sign-off, which is how a word processor counts). A LinkedIn note is at most
``rules.linkedin_note_chars`` characters counted as LinkedIn's web form counts them: its note
box is an HTML ``<textarea maxlength=...>``, and ``maxlength`` counts UTF-16 code units
(MDN, "HTML attribute: maxlength"), so an emoji or other character outside the Basic
Multilingual Plane counts 2. That is never less than the count of Unicode code points, so a
note within it fits whichever way a client counts. When a draft is too long, the optional
parts (Talking points, Highlights, Open questions) are shortened at word boundaries, then left
out, then a brief form of the template is used; a word is never cut.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import traceback
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from jinja2.utils import internalcode

from ..errors import ConfigError
from .cells import aligned_records, as_date, frame_records, text

# ----------------------------------------------------------------------------------------
# Kinds and templates

THANK_YOU = "thank_you"
FOLLOW_UP = "follow_up"
REMINDER = "reminder"
CALL_SCRIPT = "call_script"
OTHER_CONTACT = "other_contact"
FINAL_NOTE = "final_note"
REJECTION_REPLY = "rejection_reply"
LINKEDIN_NOTE = "linkedin_note"

KINDS = (THANK_YOU, FOLLOW_UP, REMINDER, CALL_SCRIPT, OTHER_CONTACT, FINAL_NOTE, REJECTION_REPLY)
TEMPLATES = {k: f"{k}.j2" for k in (*KINDS, LINKEDIN_NOTE)}
SIGNOFF_TEMPLATE = "_signoff.j2"  # included by the message templates; overridable too

# The plan's rules that get a draft (RULES.md section 5).
DRAFTED_RULES = (3, 7, 9, 10, 11, 12)
CLOSED_STATUSES = ("Closed", "Withdrawn")

VARIABLES = {
    "kind": "the message kind, e.g. 'thank_you'",
    "salutation": "'Dear Ms. Jones', 'Dear Jane Jones' or 'Dear Hiring Manager'",
    "addressee": "how the salutation names them: 'Ms. Jones', 'Jane Jones', or ''",
    "hello": "the LinkedIn greeting: 'Hi Jane' or 'Hello Dr. Lee'",
    "interviewer": "the Interviewer cell as written, e.g. 'Ms. Jane Jones'",
    "interviewer_name": "the interviewer's name without honorific, e.g. 'Jane Jones'",
    "interviewer_role": "the Interviewer role cell",
    "interviewer_phone": "the Interviewer phone cell, exactly as typed",
    "contact": "the Other contact's name, e.g. 'Ana Ruiz' (rule 11 by other contact)",
    "contact_salutation": "'Dear Ana Ruiz', or 'Dear Hiring Team' when only an address is given",
    "contact_email": "the Other contact's email address, when it has one",
    "company": "the Company cell",
    "job_title": "the Job title cell",
    "position": "'the Marketing Manager position at Acme' (adapts when either is blank)",
    "team": "'the team at Acme', or 'your team'",
    "about": "'Acme and the role', or 'the role'",
    "day": "the interview's day in words: 'today', 'yesterday', 'on Tuesday', 'on 3 November', or ''",
    "talking_points": "the Talking points as a phrase ('the CRM rollout and the team structure')",
    "talking_points_clause": "true when Talking points are full sentences ('We discussed ...')",
    "highlights": "the Highlights cell, else the profile's highlights, as a phrase",
    "highlights_clause": "true when the highlights are full sentences ('I have ...')",
    "open_questions": "the Open questions as a phrase, or as questions",
    "open_questions_are_questions": "true when the Open questions are questions to ask",
    "attempt": "which follow-up this is: 1 for the first after the thank-you note",
    "sender": "the profile: sender.name, sender.email, sender.phone",
    "brief": "true when the draft must be short to fit the word limit: leave out what you can",
}


class TemplateError(ConfigError):
    """A message template does not parse or does not render; the message names file and line."""


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
_memo = lru_cache(maxsize=1 << 14, typed=True)


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


@_memo
def day_in_words(day: dt.date | None, today: dt.date) -> str:
    """The interview's day as a message says it, relative to today.

    ``today``, ``yesterday``, ``on Tuesday`` within the last six days, else ``on 3 November``
    (with the year when it is not this year's).
    """
    if day is None:
        return ""
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if 2 <= delta <= 6:
        return f"on {WEEKDAY_NAMES[day.weekday()]}"
    year = f" {day.year}" if day.year != today.year else ""
    return f"on {day.day} {MONTH_NAMES[day.month - 1]}{year}"


HONORIFICS = {
    "mr": "Mr.",
    "ms": "Ms.",
    "mrs": "Mrs.",
    "mx": "Mx.",
    "miss": "Miss",
    "dr": "Dr.",
    "prof": "Prof.",
    "professor": "Prof.",
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


@_memo
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


@_memo
def _people(cell: str) -> tuple[Person, ...]:
    people = []
    for part in _PEOPLE_SPLIT_RE.split(cell):
        for chunk in _PERSON_COMMA_RE.split(part):
            p = parse_person(chunk)
            if p is not None:
                people.append(p)
    return tuple(people)


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


_ITEM_SPLIT_RE = re.compile(r"\s*(?:\n|;|•|·|\u2022)\s*")
_ITEM_MARK_RE = re.compile(r"^\s*(?:[-*–—]|\d+[.)])\s+")
_WORD_CHAR_RE = re.compile(r"\w")
_FIRST_WORD_RE = re.compile(r"[\w'’-]+")


@_memo
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


@_memo
def is_clause(cell: str) -> bool:
    """True when a cell reads as a sentence ('We discussed ...') rather than a phrase."""
    items = _items(cell)
    return bool(items) and _first_word(items[0]).lower() in _CLAUSE_STARTERS


@_memo
def as_phrase(cell: str) -> str:
    """A cell as a phrase to weave into a sentence: 'The CRM rollout; team structure.' ->
    'the CRM rollout and team structure'. Clauses come back as sentences without the final stop.
    """
    items = _items(cell)
    if not items:
        return ""
    if _first_word(items[0]).lower() in _CLAUSE_STARTERS:
        sentences = [_upper_start(i.rstrip(" .;,:!")) for i in items]
        return ". ".join(s for s in sentences if s)
    return join_words([_lower_start(i.rstrip(" .;,:!?")) for i in items])


@_memo
def is_question(cell: str) -> bool:
    """True when a cell holds questions to ask ('Is the role remote?')."""
    items = _items(cell)
    return bool(items) and any(i.endswith("?") or _first_word(i).lower() in _QUESTION_STARTERS for i in items)


@_memo
def as_questions(cell: str) -> str:
    """A cell of questions as sentences: 'is the role remote' -> 'Is the role remote?'."""
    out = []
    for item in _items(cell):
        item = item.rstrip(" .;,:!")
        q = item.endswith("?") or _first_word(item).lower() in _QUESTION_STARTERS
        out.append(_upper_start(item.rstrip("?")) + ("?" if q else "."))
    return " ".join(out)


# Words a shortened part must not end on: they promise more that was cut.
_DANGLING = {
    "a", "an", "the", "and", "or", "but", "of", "to", "with", "for", "in", "on", "at", "by", "from",
    "about", "as", "my", "your", "our", "their", "its", "his", "her", "that", "which", "who",
    "including", "such", "like", "is", "are", "was", "were", "be", "this", "these", "than", "into",
}  # fmt: skip


def _tidy_end(words: list[str]) -> list[str]:
    while words:
        words[-1] = words[-1].rstrip(",;:-–—(\"'“‘")
        if words[-1] and words[-1].lower() not in _DANGLING:
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


def shorten_words(s: str, n: int) -> str:
    """At most ``n`` words of ``s``, ending on a whole word that does not dangle."""
    words = s.split()
    if len(words) <= n:
        return s
    return " ".join(_tidy_end(_natural_cut(words[: max(n, 0)])))


def shorten_chars(s: str, n: int) -> str:
    """``s`` cut to at most ``n`` characters (LinkedIn's count) at a word boundary."""
    if linkedin_length(s) <= n:
        return s
    words, out, used = s.split(), [], 0
    for w in words:
        extra = linkedin_length(w) + (1 if out else 0)
        if used + extra > n:
            break
        out.append(w)
        used += extra
    return " ".join(_tidy_end(_natural_cut(out)))


# ----------------------------------------------------------------------------------------
# Templates


def _shipped_loader() -> jinja2.BaseLoader:
    return jinja2.PackageLoader("followsync", "sheet_templates/messages")


class _Environment(jinja2.Environment):
    """A Jinja environment that can pin templates for a run (:meth:`pinned`)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._local = threading.local()  # the pins, per thread

    @internalcode  # as Jinja's own: left out of the template tracebacks it rewrites
    def get_template(self, name, parent=None, globals=None):
        pins = getattr(self._local, "pins", None)
        if pins is None or globals is not None or not isinstance(name, str):
            return super().get_template(name, parent, globals)
        template = pins.get((name, parent))
        if template is None:
            template = pins[name, parent] = super().get_template(name, parent, globals)
        return template

    @contextmanager
    def pinned(self):
        """Within, each template is looked up (and its file checked for changes) once, and
        later look-ups get the same template: an ``{% include %}`` looks its template up on
        every render, which for a run of thousands of rows cost more than the include itself.
        """
        if getattr(self._local, "pins", None) is not None:  # already pinned further up
            yield
            return
        self._local.pins = {}
        try:
            yield
        finally:
            self._local.pins = None


@lru_cache(maxsize=8)
def environment(templates_dir: str | None) -> jinja2.Environment:
    """The Jinja environment: the user's folder first, then the shipped templates.

    Cached per folder, so each template is compiled once per process; Jinja itself reloads a
    user's template whose file changed.
    """
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(_shipped_loader())
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # plain-text messages, never HTML
    )
    # {% filter paragraph %} joins a block's lines into one paragraph, so a template can put
    # each optional sentence on its own line inside an {% if %}.
    env.filters["paragraph"] = paragraph
    return env


def paragraph(s: Any) -> str:
    """The ``paragraph`` filter: all whitespace runs become one space."""
    return " ".join(str(s).split())


def _where(exc: BaseException, fallback: str) -> tuple[str, int | None]:
    """The template file and line an exception came from (Jinja rewrites tracebacks so
    template frames carry the template's own file name and line)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or fallback, exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") or frame.filename.endswith(".jinja"):
            return frame.filename, frame.lineno
    return fallback, None


def _template_error(exc: BaseException, name: str) -> TemplateError:
    if isinstance(exc, jinja2.TemplateNotFound):
        return TemplateError(
            f"Message template {name}: it includes {exc.name!r}, which is neither in your templates_dir "
            "nor shipped with followsync.",
            hint="Fix the include, or delete your copy to use the shipped template.",
        )
    where, line = _where(exc, name)
    at = f", line {line}" if line else ""
    msg = getattr(exc, "message", None) or str(exc)
    return TemplateError(
        f"Message template {where}{at}: {msg}",
        hint=f"Fix the template (the variables are listed in followsync/drafts.py), or delete your "
        f"copy of {Path(where).name} to use the shipped one.",
    )


def load_template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """A compiled template; a syntax error becomes a :class:`TemplateError`."""
    try:
        return env.get_template(name)
    except jinja2.TemplateError as e:
        raise _template_error(e, name) from None


def render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """Render one template: (subject, tidied message)."""
    return _render(load_template(env, name), name, context)


def _render(template: jinja2.Template, name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """Render a loaded template: what ``template.make_module(context)`` does, the body and
    the exported ``subject``, without building the module object."""
    try:
        try:
            ctx = template.new_context(context)  # a new dict of its own, as make_module makes
            body = "".join(template.root_render_func(ctx))
            subject = str((ctx.vars["subject"] if "subject" in ctx.exported_vars else "") or "")
        except Exception:
            # Unlike render, this does not map the traceback onto template lines;
            # handle_exception re-raises the error with that mapping.
            template.environment.handle_exception()
    except Exception as e:  # anything a template raises is the template's problem
        raise _template_error(e, name) from None
    return tidy_line(subject), tidy(body)


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


# ----------------------------------------------------------------------------------------
# One row's context


OPTIONAL = ("talking_points", "highlights", "open_questions")
REQUIRED_TEXT = ("company", "job_title", "interviewer", "interviewer_role", "other_contact")
# In the last resort a huge required cell (a pasted job ad as Job title) is cut to this.
REQUIRED_CAP_WORDS = 8


def _position(job_title: str, company: str) -> str:
    if job_title and company:
        return f"the {job_title} position at {company}"
    if job_title:
        return f"the {job_title} position"
    if company:
        return f"the position at {company}"
    return "the position"


def context(
    row: Mapping[str, Any],
    *,
    kind: str,
    today: dt.date,
    profile: Any,
    cells: Mapping[str, str] | None = None,
    brief: bool = False,
) -> dict[str, Any]:
    """The template variables (:data:`VARIABLES`) for one row.

    ``cells`` overrides the row's text cells (the shortened optional parts).
    """
    cells = cells or {}

    def cell(key: str) -> str:
        return cells[key] if key in cells else text(row.get(key))

    company, job_title, interviewer = cell("company"), cell("job_title"), cell("interviewer")
    salutation_, addressee, hello, interviewer_name = _interviewer_words(interviewer)
    contact, contact_salutation, contact_email = _contact_words(cell("other_contact"))
    # cells["highlights"], when given, already holds the profile's default (and may have been
    # shortened to nothing on purpose); the row alone falls back to the profile here.
    highlights_cell = (
        cells["highlights"]
        if "highlights" in cells
        else (text(row.get("highlights")) or text(getattr(profile, "highlights", "")))
    )
    talking_points, talking_points_clause = _phrase_words(cell("talking_points"))
    highlights, highlights_clause = _phrase_words(highlights_cell)
    open_questions, open_questions_are_questions = _question_words(cell("open_questions"))
    attempt = row.get("follow_ups_sent")
    attempt = 0 if attempt is None or pd.isna(attempt) else int(attempt)
    last, interview = as_date(row.get("last_follow_up")), as_date(row.get("interview_at"))
    if last and interview and last < interview:
        attempt = 0  # follow-ups of an earlier round (RULES.md section 2)
    return {
        "kind": kind,
        "salutation": salutation_,
        "addressee": addressee,
        "hello": hello,
        "interviewer": interviewer,
        "interviewer_name": interviewer_name,
        "interviewer_role": cell("interviewer_role"),
        "interviewer_phone": text(row.get("interviewer_phone")),
        "contact": contact,
        "contact_salutation": contact_salutation,
        "contact_email": contact_email,
        "company": company,
        "job_title": job_title,
        "position": _position(job_title, company),
        "team": f"the team at {company}" if company else "your team",
        "about": f"{company} and the role" if company else "the role",
        "day": day_in_words(interview, today),
        "talking_points": talking_points,
        "talking_points_clause": talking_points_clause,
        "highlights": highlights,
        "highlights_clause": highlights_clause,
        "open_questions": open_questions,
        "open_questions_are_questions": open_questions_are_questions,
        "attempt": attempt + 1,
        "sender": {
            "name": text(getattr(profile, "name", "")),
            "email": text(getattr(profile, "email", "")),
            "phone": text(getattr(profile, "phone", "")),
        },
        "brief": brief,
    }


# What context() makes of a cell, one memoised look-up per cell.


@_memo
def _interviewer_words(cell: str) -> tuple[str, str, str, str]:
    """(salutation, addressee, hello, interviewer_name) for an Interviewer cell."""
    people = _people(cell)
    first = people[0] if people else None
    return (
        "Dear " + join_words([p.formal for p in people]) if people else "Dear Hiring Manager",
        join_words([p.formal for p in people]),
        (("Hello " if first.honorific else "Hi ") + first.casual) if first else "Hello",
        join_words([p.with_honorific for p in people]),
    )


@_memo
def _contact_words(cell: str) -> tuple[str, str, str]:
    """(contact, contact_salutation, contact_email) for an Other contact cell."""
    contact = parse_person(cell) if cell else None
    email_match = _EMAIL_RE.search(cell)
    return (
        contact.with_honorific if contact else "",
        f"Dear {contact.formal}" if contact else "Dear Hiring Team",
        email_match.group(0) if email_match else "",
    )


@_memo
def _phrase_words(cell: str) -> tuple[str, bool]:
    """(the phrase, whether it is a clause) for Talking points or Highlights."""
    return as_phrase(cell), is_clause(cell)


@_memo
def _question_words(cell: str) -> tuple[str, bool]:
    """(the phrase or questions, whether they are questions) for Open questions."""
    questions = is_question(cell)
    return (as_questions(cell) if questions else as_phrase(cell)), questions


def _initial_cells(row: Mapping[str, Any], profile: Any) -> dict[str, str]:
    """The text cells a draft uses; the optional parts already in the form they are woven in,
    so that shortening them keeps their list structure ('a, b and c')."""
    cells = {k: text(row.get(k)) for k in REQUIRED_TEXT}
    highlights = text(row.get("highlights")) or text(getattr(profile, "highlights", ""))
    questions = text(row.get("open_questions"))
    cells["talking_points"] = as_phrase(text(row.get("talking_points")))
    cells["highlights"] = as_phrase(highlights)
    cells["open_questions"] = as_questions(questions) if is_question(questions) else as_phrase(questions)
    return cells


def _water_level(sizes: list[int], total: int) -> int:
    """The largest cap c with sum(min(size, c)) <= total: shortening the longest parts first,
    to equal lengths, keeps a little of each rather than all of one."""
    lo, hi = 0, max(sizes, default=0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(n, mid) for n in sizes) <= total:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _fit(render_with, cells: dict[str, str], size, limit: int, shorten, minimum: int) -> tuple[str, str]:
    """Render, shortening the optional parts, then the brief form, then huge required cells,
    until ``size(message) <= limit``. Returns the last render even if it still does not fit
    (lint then says so). A part shortened below ``minimum`` is left out: a stub of two words
    reads worse than no sentence."""
    subject, message = render_with(cells, False)
    for _ in range(12):
        excess = size(message) - limit
        if excess <= 0:
            return subject, message
        # Only the parts this template shows count (a final note has no Talking points).
        used = [k for k in OPTIONAL if cells[k] and cells[k][:30] in message]
        if not used:
            break
        sizes = [size(cells[k]) for k in used]
        cap = _water_level(sizes, max(sum(sizes) - excess, 0))
        for k, n in zip(used, sizes, strict=True):
            if n > cap:
                short = shorten(cells[k], cap)
                cells[k] = short if size(short) >= minimum else ""
        subject, message = render_with(cells, False)
    subject, message = render_with(cells, True)
    if size(message) <= limit:
        return subject, message
    for k in REQUIRED_TEXT:
        cells[k] = shorten_words(cells[k], REQUIRED_CAP_WORDS)
    for k in OPTIONAL:
        cells[k] = ""
    return render_with(cells, True)


def render_row(
    row: Mapping[str, Any],
    *,
    kind: str | None,
    linkedin: bool,
    today: dt.date,
    config: Any,
) -> tuple[str, str, str]:
    """(Draft subject, Draft message, LinkedIn note) for one row; '' where there is none."""
    return _render_row(row, kind, linkedin, today, config, _environment_for(config))


def _environment_for(config: Any) -> jinja2.Environment:
    return environment(str(config.templates_dir) if config.templates_dir else None)


def _render_row(
    row: Mapping[str, Any],
    kind: str | None,
    linkedin: bool,
    today: dt.date,
    config: Any,
    env: jinja2.Environment,
) -> tuple[str, str, str]:
    profile = config.profile
    subject = message = note = ""
    if kind:
        limit = config.rules.max_words
        cells = _initial_cells(row, profile)
        name = TEMPLATES[kind]

        def render_message(c, brief):
            ctx = context(row, kind=kind, today=today, profile=profile, cells=c, brief=brief)
            return _render(load_template(env, name), name, ctx)

        subject, message = _fit(render_message, cells, word_count, limit, shorten_words, 3)
    if linkedin:
        limit = config.rules.linkedin_note_chars
        cells = _initial_cells(row, profile)
        name = TEMPLATES[LINKEDIN_NOTE]

        def render_note(c, brief):
            ctx = context(row, kind=LINKEDIN_NOTE, today=today, profile=profile, cells=c, brief=brief)
            _, body = _render(load_template(env, name), name, ctx)
            return "", " ".join(body.split())  # one paragraph: LinkedIn's box is small

        _, note = _fit(render_note, cells, linkedin_length, limit, shorten_chars, 12)
        if linkedin_length(note) > limit:  # only a huge profile name can get here
            note = shorten_chars(note, limit)
    return subject, message, note


# The frame columns a row's drafts depend on (context, _initial_cells, wants_linkedin_note).
ROW_KEYS = (
    *REQUIRED_TEXT,
    *OPTIONAL,
    "interviewer_phone",
    "interview_at",
    "follow_ups_sent",
    "last_follow_up",
    "linkedin",
)
NO_DRAFTS = ("", "", "")
DRAFT_COLUMNS = ("draft_subject", "draft_message", "linkedin_note")


def wants_linkedin_note(row: Mapping[str, Any], status: str, today: dt.date) -> bool:
    """RULES.md section 5: I <= today, a named Interviewer, a blank LinkedIn cell, not closed."""
    day = as_date(row.get("interview_at"))
    linkedin = row.get("linkedin")
    return (
        day is not None
        and day <= today
        and bool(_people(text(row.get("interviewer"))))
        and isinstance(linkedin, str)
        and not linkedin.strip()
        and status not in CLOSED_STATUSES
    )


def render(frame: pd.DataFrame, plan: pd.DataFrame, now: dt.datetime, config: Any) -> pd.DataFrame:
    """The drafts for every row: columns ``draft_subject``, ``draft_message``, ``linkedin_note``.

    ``frame`` is the typed tracker frame, ``plan`` the output of ``rules.plan`` (same index;
    uses ``rule``, ``medium`` and ``status``). Blank (``""``) where the row needs no draft.
    Raises :class:`TemplateError` when a template is broken.
    """
    today = now.date()
    env = _environment_for(config)
    # One list per column, not a tuple per row: fewer objects for the garbage collector.
    columns: tuple[list[str], list[str], list[str]] = ([], [], [])
    # Plain dicts per row: pandas' row access would cost more than the rendering itself. Only
    # the columns a draft reads (ROW_KEYS): converting the whole frame took longer than that.
    plans = aligned_records(plan, ("rule", "medium", "status"), frame.index)
    rows = frame_records(frame, ROW_KEYS)
    with env.pinned():  # each template looked up once for the run, not once per row
        for row, p in zip(rows, plans, strict=True):
            rule = int(p["rule"]) if not pd.isna(p["rule"]) else 0
            kind = kind_for(rule, text(p.get("medium"))) if rule in DRAFTED_RULES else None
            linkedin = wants_linkedin_note(row, text(p.get("status")), today)
            drafted = _render_row(row, kind, linkedin, today, config, env) if kind or linkedin else NO_DRAFTS
            for column, value in zip(columns, drafted, strict=True):
                column.append(value)
    return pd.DataFrame(
        dict(zip(DRAFT_COLUMNS, columns, strict=True)),
        index=frame.index,
        columns=list(DRAFT_COLUMNS),
        dtype="object",
    )
