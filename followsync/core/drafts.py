"""Message drafts: RULES.md section 5, rendered from Jinja2 templates.

:func:`render` takes the typed tracker frame and the plan (from ``rules.plan``) and returns,
per row, the Draft subject, Draft message and LinkedIn note. It is pure: the only I/O is
reading templates.

Templates live in ``sheet_templates/messages/``, one per message kind (see
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
import threading
import traceback
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jinja2
import pandas as pd
from babel.dates import format_date
from jinja2.utils import internalcode

from ..errors import ConfigError
from . import draft_inputs, draft_memo, draft_words, shipped
from .cells import aligned_records, as_count, as_date, frame_records, text  # noqa: F401 (drafts.aligned_records: tests)
from .draft_fit import (
    CELL_CHARS,
    OPTIONAL,
    REQUIRED_TEXT,
    fit,
    fit_cell,
)
from .language import ENGLISH
from .language import code as lang_code
from .sandbox import BudgetedEnvironment
from .sends import follow_ups_this_round

if TYPE_CHECKING:
    from ..config import Config, Profile

from .wording import (
    _EMAIL_RE,
    KINDS,
    LINKEDIN_NOTE,
    _people,
    as_phrase,
    as_questions,
    day_in_words,
    is_clause,
    is_question,
    join_words,
    kind_for,
    linkedin_length,
    memo,
    parse_person,
    said_on,
    shorten_chars,
    shorten_words,
    tidy,
    tidy_line,
    word_count,
)

# ----------------------------------------------------------------------------------------
# Templates and kinds

TEMPLATES = {k: f"{k}.j2" for k in (*KINDS, LINKEDIN_NOTE)}
SIGNOFF_TEMPLATE = "_signoff.j2"  # included by the message templates; overridable too

# The plan's rules that get a draft (RULES.md section 5).
DRAFTED_RULES = (3, 7, 9, 10, 11, 12)
CLOSED_STATUSES = draft_inputs.CLOSED_STATUSES

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
    "day": "the interview's day: 'on 3 November'; 'today' or 'yesterday' on the day it is due (then it changes anyway), or ''",
    "talking_points": "the Talking points as a phrase ('the CRM rollout and the team structure')",
    "talking_points_clause": "true when Talking points are full sentences ('We discussed ...')",
    "highlights": "the Highlights cell, else the profile's highlights, as a phrase",
    "highlights_clause": "true when the highlights are full sentences ('I have ...')",
    "open_questions": "the Open questions as a phrase, or as questions",
    "open_questions_are_questions": "true when the Open questions are questions to ask",
    "attempt": "which follow-up this is: 1 for the first after the thank-you note",
    "sender": "the profile: sender.name, sender.email, sender.phone",
    "brief": "true when the draft must be short to fit the word limit: leave out what you can",
    **draft_words.RAW_VARIABLES,  # the raw values, for a template in any language
}


class TemplateError(ConfigError):
    """A message template does not parse or does not render; the message names file and line."""


# ----------------------------------------------------------------------------------------
# Templates


def _shipped_loader(language: str = ENGLISH) -> jinja2.BaseLoader:
    """The shipped set: ``messages/`` for English, ``messages/de/`` (fr, es) for the others."""
    folder = shipped.root().joinpath(shipped.MESSAGES)
    return jinja2.FileSystemLoader(str(folder if language == ENGLISH else folder.joinpath(language)))


class _Environment(BudgetedEnvironment):
    """The sandboxed Jinja environment (:mod:`.sandbox`), which can pin templates for a run
    (:meth:`pinned`)."""

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


@lru_cache(maxsize=16)
def environment(templates_dir: str | None, language: str = ENGLISH) -> _Environment:
    """The Jinja environment: the user's folder first, then the shipped templates of ``language``.

    Cached per folder, so each template is compiled once per process; Jinja itself reloads a
    user's template whose file changed.
    """
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(_shipped_loader(language))
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
    # {{ interview_date | date("EEEE d MMMM") }}: a date in the language's words (Babel patterns).
    env.filters["date"] = lambda d, pattern="long": format_date(d, pattern, locale=language) if d else ""
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
            # a new dict of its own, as make_module makes (any Mapping will do, whatever the stub says)
            ctx = template.new_context(cast(dict[str, Any], context))
            env = template.environment
            if isinstance(env, BudgetedEnvironment):
                with env.budget():
                    body = env.render_chunks(template.root_render_func(ctx))
            else:
                body = "".join(template.root_render_func(ctx))
            subject = str((ctx.vars["subject"] if "subject" in ctx.exported_vars else "") or "")
        except Exception:
            # Unlike render, this does not map the traceback onto template lines;
            # handle_exception re-raises the error with that mapping.
            template.environment.handle_exception()
    except Exception as e:  # anything a template raises is the template's problem
        raise _template_error(e, name) from None
    return tidy_line(subject), tidy(body)


# ----------------------------------------------------------------------------------------
# One row's context


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
    today: dt.date | None,
    profile: Profile | None,
    cells: Mapping[str, str] | None = None,
    brief: bool = False,
    language: str = ENGLISH,
) -> dict[str, Any]:
    """The template variables (:data:`VARIABLES`) for one row, in ``language``; ``cells`` overrides
    the row's text cells (the shortened parts); ``today`` None for dates (``wording.said_on``)."""
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
    talking_points, talking_points_clause = _phrase_words(cell("talking_points"), language)
    highlights, highlights_clause = _phrase_words(highlights_cell, language)
    open_questions, open_questions_are_questions = _question_words(cell("open_questions"), language)
    interview_at = row.get("interview_at")
    ctx = {  # in English; draft_words.localized adds the raw values and another language's words
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
        "day": day_in_words(as_date(interview_at), today),
        "talking_points": talking_points,
        "talking_points_clause": talking_points_clause,
        "highlights": highlights,
        "highlights_clause": highlights_clause,
        "open_questions": open_questions,
        "open_questions_are_questions": open_questions_are_questions,
        "attempt": follow_ups_this_round(row) + 1,
        "sender": _sender(profile),
        "brief": brief,
    }
    return draft_words.localized(ctx, row, cell("other_contact"), today, language)


def _sender(profile: Profile | None) -> dict[str, str]:
    """The profile as templates see it: ``sender.name``, ``sender.email``, ``sender.phone``."""
    return {
        "name": text(getattr(profile, "name", "")),
        "email": text(getattr(profile, "email", "")),
        "phone": text(getattr(profile, "phone", "")),
    }


# What context() makes of a cell, one memoised look-up per cell.


@memo
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


@memo
def _contact_words(cell: str) -> tuple[str, str, str]:
    """(contact, contact_salutation, contact_email) for an Other contact cell."""
    contact = parse_person(cell) if cell else None
    email_match = _EMAIL_RE.search(cell)
    return (
        contact.with_honorific if contact else "",
        f"Dear {contact.formal}" if contact else "Dear Hiring Team",
        email_match.group(0) if email_match else "",
    )


@memo
def _phrase_words(cell: str, language: str = ENGLISH) -> tuple[str, bool]:
    """(the phrase, whether it is a clause) for Talking points or Highlights."""
    return as_phrase(cell, language), is_clause(cell, language)


@memo
def _question_words(cell: str, language: str = ENGLISH) -> tuple[str, bool]:
    """(the phrase or questions, whether they are questions) for Open questions."""
    questions = is_question(cell, language)
    return (as_questions(cell, language) if questions else as_phrase(cell, language)), questions


def _initial_cells(row: Mapping[str, Any], profile: Profile | None, language: str = ENGLISH) -> dict[str, str]:
    """The text cells a draft uses; the optional parts already in the form they are woven in,
    so that shortening them keeps their list structure ('a, b and c')."""
    cells = {k: text(row.get(k)) for k in REQUIRED_TEXT}
    highlights = text(row.get("highlights")) or text(getattr(profile, "highlights", ""))
    questions = text(row.get("open_questions"))
    cells["talking_points"] = as_phrase(text(row.get("talking_points")), language)
    cells["highlights"] = as_phrase(highlights, language)
    cells["open_questions"] = (
        as_questions(questions, language) if is_question(questions, language) else as_phrase(questions, language)
    )
    return cells


def render_row(
    row: Mapping[str, Any],
    *,
    kind: str | None,
    linkedin: bool,
    today: dt.date | None,
    config: Config,
) -> tuple[str, str, str]:
    """(Draft subject, Draft message, LinkedIn note) for one row; '' where there is none."""
    language = draft_words.row_language(row, config)
    return _render_row(row, kind, linkedin, today, config, _environment_for(config, language), language)[:3]


def _environment_for(config: Config, language: str = ENGLISH) -> _Environment:
    return environment(str(config.templates_dir) if config.templates_dir else None, language)


def _render_row(
    row: Mapping[str, Any],
    kind: str | None,
    linkedin: bool,
    today: dt.date | None,
    config: Config,
    env: jinja2.Environment,
    language: str = ENGLISH,
) -> tuple[str, str, str, str]:
    profile = config.profile
    subject = message = note = overlong = ""
    if kind:
        limit = config.rules.max_words
        cells = _initial_cells(row, profile, language)
        name = TEMPLATES[kind]

        def render_message(c, brief):
            ctx = context(row, kind=kind, today=today, profile=profile, cells=c, brief=brief, language=language)
            return draft_words.spaced(_render(load_template(env, name), name, ctx), language)

        shorten = shorten_words if language == ENGLISH else partial(shorten_words, language=language)
        subject, message = fit(render_message, cells, word_count, limit, shorten, 3)
        if len(message) > CELL_CHARS or len(subject) > CELL_CHARS:
            subject, message, overlong = fit_cell(render_message, _initial_cells(row, profile, language))
    if linkedin:
        limit = config.rules.linkedin_note_chars
        cells = _initial_cells(row, profile, language)
        name = TEMPLATES[LINKEDIN_NOTE]

        def render_note(c, brief):
            ctx = context(row, kind=LINKEDIN_NOTE, today=today, profile=profile, cells=c, brief=brief, language=language)
            _, body = _render(load_template(env, name), name, ctx)
            return draft_words.spaced(("", " ".join(body.split())), language)  # one paragraph: LinkedIn's box is small

        cut = shorten_chars if language == ENGLISH else partial(shorten_chars, language=language)
        _, note = fit(render_note, cells, linkedin_length, limit, cut, 12)
        if linkedin_length(note) > limit:  # only a huge profile name can get here
            note = cut(note, limit)
    return subject, message, note, overlong


# The frame columns a row's drafts depend on (context, _initial_cells, wants_linkedin_note).
ROW_KEYS = (
    *REQUIRED_TEXT,
    *OPTIONAL,
    "interviewer_phone",
    "interview_at",
    "follow_ups_sent",
    "last_follow_up",
    "linkedin",
    "language",
    "interview_at_has_time",
)
NO_DRAFTS = ("", "", "")
DRAFT_COLUMNS = ("draft_subject", "draft_message", "linkedin_note")


def wants_linkedin_note(row: Mapping[str, Any], status: str, today: dt.date) -> bool:
    """RULES.md section 5: I <= today, a named Interviewer, a blank LinkedIn cell, not closed
    (one row's; ``draft_inputs.linkedin_notes`` says it of a whole frame's)."""
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


# What a row's fingerprint reads besides ROW_KEYS (draft_memo): the Mail link's address.
MEMO_KEYS = (*ROW_KEYS, "interviewer_email")
SHEET_COLUMNS = (*DRAFT_COLUMNS, "mail_link")  # the cells a memo covers, as the frame has them


def render(
    frame: pd.DataFrame,
    plan: pd.DataFrame,
    now: dt.datetime,
    config: Config,
    reuse: draft_memo.Reuse | None = None,
) -> pd.DataFrame:
    """The drafts for every row: ``draft_subject``, ``draft_message``, ``linkedin_note``; and in
    ``attrs["rendered"]`` (:class:`draft_memo.Rendered`) per row, the key of an input too long for
    the message to fit a cell, or "", whether it was reused and its fingerprint.

    ``frame`` is the typed tracker frame, ``plan`` the output of ``rules.plan`` (same index;
    uses ``rule``, ``medium``, ``status``, ``due`` and ``next_action``). Blank (``""``) where the
    row needs no draft. Raises :class:`TemplateError` when a template is broken. With ``reuse`` (per row, the Next action and memo of its Draft state, or None), a row whose
    memo matches its cells and inputs (:mod:`.draft_memo`) is not rendered: its drafts are the cells.
    """
    today, n = now.date(), len(frame)
    # What decides a row's drafts, read a column at a time (draft_inputs): its kind and LinkedIn
    # note; the rows with either (``wanted``) get a language, a day and, with memos, a fingerprint.
    p = draft_inputs.aligned(plan, ("rule", "medium", "status", "next_action"), frame.index, dates=("due",))
    interview = draft_inputs.days(frame, "interview_at")
    who, cells = draft_inputs.values(frame, "interviewer"), draft_inputs.values(frame, "linkedin")
    linkedin = draft_inputs.linkedin_notes(interview, who, cells, [text(s) for s in p["status"]], today)
    kinds = [
        kind_for(rule, text(medium)) if rule in DRAFTED_RULES else None
        for rule, medium in zip(map(as_count, p["rule"]), p["medium"], strict=True)
    ]
    wanted = [i for i in range(n) if kinds[i] or linkedin[i]]
    sheet = draft_memo.sheet_cells(frame, SHEET_COLUMNS) if reuse is not None else None
    prints = draft_inputs.Fingerprints(frame, MEMO_KEYS, wanted) if sheet is not None else None
    # One list per column, not a tuple per row: fewer objects for the garbage collector.
    columns: tuple[list[str], list[str], list[str], list[str]] = ([""] * n, [""] * n, [""] * n, [""] * n)
    reused, fingerprints = [False] * n, cast(list[str | None], [None] * n)  # per row, for draft_memo
    setting = lang_code(getattr(config, "language", ENGLISH))
    languages = draft_inputs.values(frame, "language")
    envs: dict[str, tuple[_Environment, str | None]] = {}
    todo: list[tuple[int, str | None, bool, dt.date | None, str]] = []  # the rows to render
    with ExitStack() as pins:
        for j, i in enumerate(wanted):
            cell = languages[i]
            language = lang_code(cell, setting) if isinstance(cell, str) else setting
            if language not in envs:
                envs[language] = _pinned_environment(config, language, pins, memo=sheet is not None)
            settings, said = envs[language][1], said_on(interview[i], p["due"][i], today)
            if settings is not None and prints is not None:
                extra = (kinds[i], linkedin[i], said, language, p["medium"][i])
                fp = fingerprints[i] = prints.of(settings, j, extra)
                state = reuse[i] if reuse else None
                drafted = draft_memo.from_sheet(fp, sheet, i, state, text(p["next_action"][i]))
                if drafted is not None:
                    reused[i] = True
                    _put(columns, i, drafted)
                    continue
            todo.append((i, kinds[i], linkedin[i], said, language))
        keys = MEMO_KEYS if reuse is not None else ROW_KEYS
        for (i, kind, note, said, language), row in zip(todo, _records(frame, keys, todo), strict=True):
            _put(columns, i, _render_row(row, kind, note, said, config, envs[language][0], language))
    out = pd.DataFrame(dict(zip(DRAFT_COLUMNS, columns[:3], strict=True)), index=frame.index, dtype="object")
    out.attrs["rendered"] = draft_memo.Rendered(columns[3], reused, fingerprints)
    return out


def _put(columns: tuple[list[str], ...], i: int, drafted: tuple[str, ...]) -> None:
    """Row ``i``'s drafts (and its too-long key) into the columns."""
    for column, value in zip(columns, drafted, strict=True):
        column[i] = value


def _records(
    frame: pd.DataFrame, keys: tuple[str, ...], todo: list[tuple[Any, ...]]
) -> Iterator[dict[str, Any]]:
    """The values of ``keys`` (``frame_records``) of the rows ``todo`` names by position, one
    dict at a time: only those rows' values are boxed (a date as a Timestamp)."""
    if len(todo) == len(frame):
        return frame_records(frame, keys)
    return frame_records(frame.iloc[[t[0] for t in todo]], keys)


def _pinned_environment(
    config: Config, language: str, pins: ExitStack, *, memo: bool
) -> tuple[_Environment, str | None]:
    """The environment of ``language`` with its templates pinned until ``pins`` closes (each
    looked up once for the run, not once per row), and, with ``memo``, the fingerprint of the
    settings and templates its drafts depend on (:func:`draft_memo.config_fingerprint`)."""
    env = _environment_for(config, language)
    pins.enter_context(env.pinned())
    return env, draft_memo.config_fingerprint(config, env, language) if memo else None
