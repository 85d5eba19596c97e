"""Lint for drafts: RULES.md section 6.

Every draft in the sheet is linted, the person's edited ones too. A finding is one sentence
for the row's Problems cell: which cell, what is wrong, and how to fix it, e.g.
``Draft message: says 'just checking in', which reads as pushy; ask for an update on the
timeline instead``. Pure functions: strings in, lists of strings out.

The rules, and which drafts they apply to:

=========================  ==========================================  =================
rule                       fails when                                  applies to
=========================  ==========================================  =================
placeholder                ``{{``, ``{%``, ``[Name]``, ``<company>``,  subject, message,
                           ``TODO``, ``TBD``, ``FIXME``, ``XXX``       LinkedIn note
generic salutation         ``Dear Hiring Manager`` (``Sir or Madam``,  message, LinkedIn
                           ``To whom it may concern``) while the row   note
                           names the person it is written to
call to action             no question and no request for an update,   message (not the
                           feedback, the timeline or the next steps    LinkedIn note)
limit                      more than ``max_words`` words; a LinkedIn   message, LinkedIn
                           note over ``linkedin_note_chars``           note
pushy phrasing             :data:`PUSHY` (case-insensitive, whole      subject, message,
                           words)                                      LinkedIn note
sign-off                   no closing line (``Best regards,``) with    email messages
                           the profile's name after it; with no        (not the call
                           profile name, the closing line is enough    script)
=========================  ==========================================  =================

A LinkedIn note is its own call to action (the connection request), and a call script is
spoken, so neither is held to the rules that only make sense for an email.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import cells, wording
from . import language as lang
from .lint_words import LINT_WORDS, LintWords, closing_line

if TYPE_CHECKING:
    from ..config import Config

SUBJECT, MESSAGE, NOTE = "Draft subject", "Draft message", "LinkedIn note"

_PLACEHOLDERS = (
    (re.compile(r"\{\{|\}\}|\{%|%\}"), "a template placeholder"),
    (re.compile(r"\[\s*[A-Za-z][A-Za-z .'_-]{0,30}\]"), "a placeholder in square brackets"),
    (re.compile(r"<\s*[A-Za-z][A-Za-z _-]{0,30}>"), "a placeholder in angle brackets"),
    (re.compile(r"\b(?:TODO|TBD|FIXME|XXX+)\b"), "a to-do marker"),
)
# For each of _PLACEHOLDERS, text that any match contains (case-sensitive, like the patterns):
# a draft without any of it cannot match, and a substring test costs far less than a search.
_PLACEHOLDER_NEEDLES = (("{", "}"), ("[",), ("<",), ("TODO", "TBD", "FIXME", "XXX"))

# Pushy or desperate phrasing, each with the better thing to write. Matched case-insensitively
# on whole words; a phrase ending in "?" must be followed by the question mark.
PUSHY: tuple[tuple[str, str, str], ...] = (
    (r"just checking in", "just checking in", "ask for an update on the timeline instead"),
    (r"just following up", "just following up", "say what you are following up on and ask for an update"),
    (r"asap", "ASAP", "ask when they expect to decide instead"),
    (
        r"(?:reply|respond|answer|hear back|get back to me|let me know|decide)\s+as soon as possible",
        "as soon as possible",
        "ask when they expect to decide instead",
    ),
    (r"urgent(?:ly)?", "urgent", "ask politely for an update on the timeline"),
    (
        r"why (?:haven't|have not|hasn't|has not|didn't|did not|don't|won't) you",
        "why haven't you",
        "ask politely for an update instead",
    ),
    (r"why (?:haven't|have not|hasn't|has not)", "why haven't", "ask politely for an update instead"),
    (r"any news\s*\?", "any news?", "ask about the status of your application and the next steps"),
    (
        r"i (?:really )?need (?:this|the|that) (?:job|role|position)",
        "I need this job",
        "say why you are a strong fit instead",
    ),
    (r"desperate(?:ly)?", "desperate", "restate your interest and fit instead"),
    (r"still waiting", "still waiting", "ask for an update on the timeline instead"),
    (r"(?:i've|i have) been waiting", "I have been waiting", "ask for an update on the timeline instead"),
    (
        r"waiting (?:for|on) (?:weeks|ages|so long|a long time)",
        "waiting for weeks",
        "ask for an update on the timeline instead",
    ),
    (
        r"(?:i|we) expect (?:a|an|your) (?:reply|answer|response|decision)",
        "I expect a reply",
        "ask politely when they expect to decide",
    ),
    (
        r"(?:respond|reply|answer) (?:immediately|right away|now)",
        "respond immediately",
        "ask when they expect to decide instead",
    ),
    (r"hurry(?: up)?", "hurry", "ask for an update on the timeline instead"),
    (r"last chance", "last chance", "thank them and ask for feedback instead"),
    (r"beg(?:ging)?", "begging", "restate your interest and fit instead"),
)
_PUSHY = tuple((re.compile(rf"(?<![\w']){p}(?![\w'])", re.I), label, fix) for p, label, fix in PUSHY)
# One pass over the text first: most drafts have none of the phrases, and a run lints thousands.
_ANY_PUSHY = re.compile(rf"(?<![\w'])(?:{'|'.join(f'(?:{p})' for p, _label, _fix in PUSHY)})(?![\w'])", re.I)


# Prefilters for the case-insensitive patterns: each needle list holds, in lower case, text
# that every match contains, so a draft whose folded text (_fold) holds none of it cannot
# match and is not searched. A search costs some 30 microseconds on a message; a substring
# test well under one. The needles are literal parts of the patterns, never across a \s.
_PUSHY_NEEDLES = (
    "just ",  # just checking in, just following up
    "asap",
    "as soon as possible",
    "urgent",
    "why ",
    "any news",
    "need th",  # need this/the/that job
    "desperate",
    "waiting",  # still waiting, been waiting, waiting for weeks
    "expect ",
    "immediately",  # respond immediately, ... right away, ... now
    "right away",
    " now",
    "hurry",
    "last chance",
    "beg",
)
# The start of each alternative of _CALL_TO_ACTION, so a match starts where one of these does.
_CALL_TO_ACTION_NEEDLES = (
    "update",
    "feedback",
    "next step",
    "timeline",
    "status",
    "refer",
    "let me know",
    "get back to me",
    "any further information",
    "happy to ",
    "glad to ",
)
# A generic salutation is a greeting, whitespace, then one of these words ('to whom' aside).
_GENERIC_GREETINGS = ("dear", "hello", "hi")
_GENERIC_WORDS = ("team", "hiring", "sir", "madam", "interviewer", "recruiter")

# What case-insensitive matching makes of the four non-ASCII letters that match an ASCII one
# (Kelvin sign, dotted and dotless i, long s); str.lower does the rest, one letter for one.
_FOLD_TABLE = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _fold(s: str) -> str:
    """``s`` in lower case, letter for letter, as a case-insensitive pattern sees it: where
    ``re.I`` matches a lower-case ASCII letter, ``_fold(s)`` has that letter."""
    return s.lower() if s.isascii() else s.translate(_FOLD_TABLE).lower()


def _has_any(folded: str, needles: tuple[str, ...]) -> bool:
    return any(needle in folded for needle in needles)


def _has_call_to_action(s: str, folded: str) -> bool:
    """Whether _CALL_TO_ACTION matches ``s``. Each of its alternatives starts with one of
    _CALL_TO_ACTION_NEEDLES, so a match can only start where one of them does: the pattern is
    tried there alone rather than searched for from every position."""
    for needle in _CALL_TO_ACTION_NEEDLES:
        i = folded.find(needle)
        while i != -1:
            if _CALL_TO_ACTION.match(s, i):
                return True
            i = folded.find(needle, i + 1)
    return False


def _maybe_generic(folded: str) -> bool:
    """False only when _GENERIC cannot match: no generic word comes right after a greeting
    and whitespace, and there is no 'whom'."""
    if "whom" in folded:
        return True
    for word in _GENERIC_WORDS:
        i = folded.find(word)
        while i != -1:
            j = i
            while j > 0 and folded[j - 1].isspace():
                j -= 1
            if j < i and folded.endswith(_GENERIC_GREETINGS, 0, j):
                return True
            i = folded.find(word, i + 1)
    return False


_GENERIC = re.compile(
    r"\b(?:dear|hello|hi)\s+(?:hiring\s+manager|hiring\s+team|sir\s+or\s+madam|sir/madam|madam\s+or\s+sir|"
    r"interviewer|recruiter|team)\b|\bto\s+whom\s+it\s+may\s+concern\b",
    re.I,
)

# A request for an update, feedback or the next steps (besides any question mark).
_CALL_TO_ACTION = re.compile(
    r"\b(?:update|updates|feedback|next steps?|timeline|status|referr?al|refer me|"
    r"let me know|get back to me|any further information|"
    r"happy to (?:provide|send|share)|glad to (?:provide|send|share))\b",
    re.I,
)

_SIGNOFF = re.compile(
    r"^\s*(?:best(?:\s+regards|\s+wishes)?|kind\s+regards|warm(?:est)?\s+regards|regards|sincerely(?:\s+yours)?|"
    r"yours\s+(?:sincerely|truly|faithfully)|many\s+thanks|thanks(?:\s+again)?|thank\s+you(?:\s+again)?|"
    r"with\s+(?:thanks|gratitude|appreciation)|all\s+the\s+best|respectfully|cheers)\s*[,.!]?\s*$",
    re.I | re.M,
)


def _placeholder(where: str, s: str) -> list[str]:
    for (rx, what), needles in zip(_PLACEHOLDERS, _PLACEHOLDER_NEEDLES, strict=True):
        if not _has_any(s, needles):
            continue
        m = rx.search(s)
        if m:
            return [f"{where}: has {what} ('{m.group(0)}'); replace it with the real text"]
    return []


def _pushy(where: str, s: str, folded: str | None = None) -> list[str]:
    if not _has_any(_fold(s) if folded is None else folded, _PUSHY_NEEDLES) or not _ANY_PUSHY.search(s):
        return []
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    for rx, _label, fix in _PUSHY:
        m = rx.search(s)
        # One finding per stretch of text: "I have been waiting for weeks" is one complaint.
        if m and not any(m.start() < end and start < m.end() for start, end in spans):
            spans.append(m.span())
            out.append(f"{where}: says '{m.group(0).strip()}', which reads as pushy; {fix}")
    return out


def _addressee(kind: str, row: Mapping[str, Any]) -> str:
    """Who the message is written to, as the row names them ('' when it does not)."""
    if kind == wording.OTHER_CONTACT:
        return _contact_name(cells.text(row.get("other_contact")))
    return _interviewer_names(cells.text(row.get("interviewer")))


@lru_cache(maxsize=1 << 14)
def _contact_name(cell: str) -> str:
    person = wording.parse_person(cell)
    return person.with_honorific if person else ""


@lru_cache(maxsize=1 << 14)
def _interviewer_names(cell: str) -> str:
    return wording.join_words([p.with_honorific for p in wording.parse_people(cell)])


def _generic(where: str, s: str, name: str, folded: str | None = None) -> list[str]:
    if not name or not _maybe_generic(_fold(s) if folded is None else folded):
        return []
    m = _GENERIC.search(s)
    if m:
        return [f"{where}: opens with '{m.group(0)}' although the row names {name}; address them by name"]
    return []


def _profile_name(config: Config) -> str:
    return cells.text(getattr(getattr(config, "profile", None), "name", ""))


def lint_draft(subject: str, message: str, *, kind: str, row: Mapping[str, Any], config: Config) -> list[str]:
    """What is wrong with one draft (subject and message) of the given kind; [] when nothing.

    ``kind`` is one of :data:`followsync.core.wording.KINDS`; ``row`` the tracker row (a frame row or
    any mapping with the frame's keys); ``config`` gives the profile and the limits.
    """
    subject, message = cells.text(subject), (message or "").strip()
    phrases = LINT_WORDS.get(_language(row, config))  # None for English
    findings: list[str] = []
    if subject:
        findings += _placeholder(SUBJECT, subject)
        findings += _pushy(SUBJECT, subject) + _pushy_in(SUBJECT, subject, phrases)
    if not message:
        return findings
    folded = _fold(message)
    findings += _placeholder(MESSAGE, message)
    if kind != wording.CALL_SCRIPT:
        findings += _generic(MESSAGE, message, _addressee(kind, row), folded)
        findings += _generic_in(MESSAGE, message, _addressee(kind, row), phrases)
    if (
        "?" not in message
        and not _has_call_to_action(message, folded)
        and not (phrases and phrases.call_to_action.search(message))
    ):
        findings.append(
            f"{MESSAGE}: has no call to action; ask for an update, the timeline or the next steps, "
            "and offer more information"
        )
    limit = config.rules.max_words
    words = wording.word_count(message)
    if words > limit:
        findings.append(
            f"{MESSAGE}: has {words} words, more than the {limit} allowed (max_words); shorten it"
        )
    findings += _pushy(MESSAGE, message, folded) + _pushy_in(MESSAGE, message, phrases)
    if kind != wording.CALL_SCRIPT:
        findings += _signoff(message, _profile_name(config), *_closings(config, phrases))
    return findings


def _language(row: Mapping[str, Any], config: Config) -> str:
    """The draft's language: the row's Language cell, else the ``language`` setting."""
    setting = lang.code(getattr(config, "language", lang.ENGLISH))
    cell = row.get("language")
    return lang.code(cell if isinstance(cell, str) else None, setting)


def _closings(config: Config, words: LintWords | None) -> tuple[re.Pattern[str], str]:
    """The closing lines to look for, and the one to suggest: the ``signoff`` setting (a custom
    template set's own), else the language's."""
    custom = cells.text(getattr(config, "signoff", ""))
    if custom:
        return closing_line(custom), custom
    if words is not None:
        return words.closings, words.signoff
    return _SIGNOFF, "Best regards,"


def _pushy_in(where: str, s: str, words: LintWords | None) -> list[str]:
    """Pushy phrasing in the draft's language (the English list is :func:`_pushy`)."""
    out = []
    for rx, fix in words.pushy if words else ():
        m = rx.search(s)
        if m:
            out.append(f"{where}: says '{m.group(0).strip()}', which reads as pushy; {fix}")
    return out


def _generic_in(where: str, s: str, name: str, words: LintWords | None) -> list[str]:
    m = words.generic.search(s) if words and name else None
    if m:
        return [f"{where}: opens with '{m.group(0)}' although the row names {name}; address them by name"]
    return []


def _signoff(message: str, name: str, closing: re.Pattern[str] | None = None, suggest: str = "Best regards,") -> list[str]:
    closings = list((closing or _SIGNOFF).finditer(message))
    if not closings:
        who = f" and your name ({name})" if name else ""
        return [f"{MESSAGE}: has no sign-off; end with '{suggest}'{who}"]
    if name:
        after = message[closings[-1].end() :]
        if name.casefold() not in " ".join(after.split()).casefold():
            return [
                f"{MESSAGE}: the sign-off does not give your name; put '{name}' under '{closings[-1].group(0).strip()}'"
            ]
    return []


def lint_linkedin(note: str, *, row: Mapping[str, Any], config: Config) -> list[str]:
    """What is wrong with a LinkedIn connection note; [] when nothing (or no note)."""
    note = (note or "").strip()
    if not note:
        return []
    folded = _fold(note)
    words = LINT_WORDS.get(_language(row, config))
    findings = _placeholder(NOTE, note)
    findings += _generic(NOTE, note, _addressee(wording.LINKEDIN_NOTE, row), folded)
    findings += _generic_in(NOTE, note, _addressee(wording.LINKEDIN_NOTE, row), words)
    limit = config.rules.linkedin_note_chars
    n = wording.linkedin_length(note)
    if n > limit:
        findings.append(
            f"{NOTE}: has {n} characters, more than LinkedIn's {limit} (linkedin_note_chars); shorten it"
        )
    findings += _pushy(NOTE, note, folded) + _pushy_in(NOTE, note, words)
    return findings


# The row cells lint reads (through _addressee).
ROW_KEYS = ("interviewer", "other_contact", "language")


def lint_frame(
    frame: pd.DataFrame, plan: pd.DataFrame, drafts_df: pd.DataFrame, config: Config
) -> dict[Any, list[str]]:
    """Lint the drafts that will be in the sheet, generated or edited.

    ``drafts_df`` holds ``draft_subject``, ``draft_message`` and ``linkedin_note`` per row (same
    index as ``frame``). The message's kind comes from the plan's rule and medium; a message on
    a row whose rule has no draft is linted as a follow-up. Returns {index: findings} for the
    rows with findings only.
    """
    out: dict[Any, list[str]] = {}
    # Plain dicts per row, of the columns lint reads: pandas' row access would cost more than
    # the linting itself.
    rows = cells.aligned_records(frame, ROW_KEYS, drafts_df.index)
    plans = cells.aligned_records(plan, ("rule", "medium"), drafts_df.index, default={})
    texts = cells.frame_records(drafts_df, ("draft_subject", "draft_message", "linkedin_note"))
    for idx, d, row, p in zip(drafts_df.index, texts, rows, plans, strict=True):
        subject, message = cells.text(d.get("draft_subject")), cells.text(d.get("draft_message"))
        note = cells.text(d.get("linkedin_note"))
        if not (subject or message or note):
            continue
        found = []
        if subject or message:
            rule = cells.as_count(p.get("rule", 0))
            kind = wording.kind_for(rule, cells.text(p.get("medium"))) or wording.FOLLOW_UP
            found = lint_draft(subject, message, kind=kind, row=row, config=config)
        found += lint_linkedin(note, row=row, config=config)
        if found:
            out[idx] = found
    return out
