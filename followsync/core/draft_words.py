"""The language-dependent variables of a draft's context, for German, French and Spanish.

``drafts.context`` builds the English ones itself, as it always has; for another language it
takes the salutations, names and phrases from here, and adds the raw values (:func:`raw`) that
a template in any language can format itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from babel.dates import format_date, format_time

from . import language as lang
from .cells import as_date
from .wording import _EMAIL_RE, _people, memo, parse_person

if TYPE_CHECKING:
    from ..config import Config

RAW_VARIABLES = {
    "language": "the draft's language: 'en', 'de', 'fr' or 'es' (the row's Language, else the setting)",
    "interview_date": "the interview's date as a date, for {{ interview_date | date('EEEE d MMMM') }}, or None",
    "interview_time": "the interview's time in the language's form ('14:00', '2:00 PM'), or '' when none",
    "interview_weekday": "the interview's weekday in the language: 'Tuesday', 'Dienstag', 'mardi', 'martes'",
    "interview_long_date": "the interview's date in full: '3. November 2026', '3 novembre 2026'",
    "interviewer_honorific": "the first interviewer's honorific as written, canonical: 'Ms.', 'Mr.', 'Dr.', or ''",
    "interviewer_given": "the first interviewer's given names, e.g. 'Jane'",
    "interviewer_surname": "the first interviewer's surname, e.g. 'Jones'",
}

# (position with job and company, job only, company only, neither; team; team without company;
# about; about without company), each as the language's templates use it after a preposition.
PHRASES = {
    "de": ("die Stelle als {job} bei {company}", "die Stelle als {job}", "die Stelle bei {company}", "die Stelle",
           "das Team von {company}", "Ihr Team", "{company} und die Stelle", "die Stelle"),
    "fr": ("le poste de {job} chez {company}", "le poste de {job}", "le poste chez {company}", "le poste",
           "l'équipe de {company}", "votre équipe", "{company} et le poste", "le poste"),
    "es": ("el puesto de {job} en {company}", "el puesto de {job}", "el puesto en {company}", "el puesto",
           "su equipo en {company}", "su equipo", "{company} y el puesto", "el puesto"),
}  # fmt: skip


def phrases(job: str, company: str, language: str) -> dict[str, str]:
    """``position``, ``team`` and ``about`` in ``language``."""
    p = PHRASES[language]
    position = p[0] if job and company else p[1] if job else p[2] if company else p[3]
    return {
        "position": position.format(job=job, company=company),
        "team": p[4].format(company=company) if company else p[5],
        "about": p[6].format(company=company) if company else p[7],
    }


@memo
def interviewer_words(cell: str, language: str) -> tuple[str, str, str, str]:
    """(salutation, addressee, hello, interviewer_name) for an Interviewer cell in ``language``."""
    people = _people(cell)
    return (
        lang.salutation(people, language),
        lang.join_words([lang.formal(p, language) for p in people], language),
        lang.greeting(lang.formal(people[0], language), language) if people else lang.WORDS[language].hello,
        lang.join_words([lang.named(p, language) for p in people], language),
    )


@memo
def contact_words(cell: str, language: str) -> tuple[str, str, str]:
    """(contact, contact_salutation, contact_email) for an Other contact cell in ``language``."""
    contact = parse_person(cell) if cell else None
    email_match = _EMAIL_RE.search(cell)
    return (
        lang.named(contact, language) if contact else "",
        lang.salutation([contact] if contact else [], language, contact=True),
        email_match.group(0) if email_match else "",
    )


@memo
def raw(interview: Any, has_time: bool, interviewer: str, language: str) -> dict[str, Any]:
    """The raw values: the interview's date and time, and the interviewer's name parts.

    ``interview_date`` is a ``datetime.date`` (or None) for ``{{ interview_date | date('EEEE') }}``;
    ``interview_time`` is '14:00' in the language's form, '' when the cell has no time.
    """
    day = as_date(interview)
    stamp = interview if day is not None and isinstance(interview, dt.datetime) else None
    people = _people(interviewer)
    first = people[0] if people else None
    return {
        "language": language,
        "interview_date": day,
        "interview_time": format_time(stamp, "short", locale=language) if stamp is not None and has_time else "",
        "interview_weekday": format_date(day, "EEEE", locale=language) if day else "",
        "interview_long_date": lang.long_date(day, language) if day else "",
        "interviewer_honorific": first.honorific if first else "",
        "interviewer_given": first.given if first else "",
        "interviewer_surname": first.surname if first else "",
    }


def localized(
    ctx: dict[str, Any], row: Mapping[str, Any], other_contact: str, today: dt.date | None, language: str
) -> dict[str, Any]:
    """``drafts.context``'s English variables with the raw values added, and, for another
    language, the variables that are words replaced by that language's."""
    interview_at = row.get("interview_at")
    ctx.update(raw(interview_at, bool(row.get("interview_at_has_time")), ctx["interviewer"], language))
    if language != lang.ENGLISH:
        ctx.update(words_in(ctx, other_contact, as_date(interview_at), today, language))
    return ctx


def words_in(ctx: Mapping[str, Any], other_contact: str, interview, today, language: str) -> dict[str, Any]:
    """The variables that are words, in ``language`` (German, French or Spanish)."""
    salutation_, addressee, hello, interviewer_name = interviewer_words(ctx["interviewer"], language)
    contact, contact_salutation, contact_email = contact_words(other_contact, language)
    return dict(
        salutation=salutation_,
        addressee=addressee,
        hello=hello,
        interviewer_name=interviewer_name,
        contact=contact,
        contact_salutation=contact_salutation,
        contact_email=contact_email,
        day=lang.day_in_words(interview, today, language),
        **phrases(ctx["job_title"], ctx["company"], language),
    )


def row_language(row: Mapping[str, Any], config: Config) -> str:
    """The row's language: its Language cell, else the ``language`` setting."""
    setting = lang.code(getattr(config, "language", lang.ENGLISH))
    cell = row.get("language")
    return lang.code(cell if isinstance(cell, str) else None, setting)


def spaced(drafted: tuple[str, str], language: str) -> tuple[str, str]:
    """French puts a narrow no-break space before ? ! ; and : (tidy took the plain spaces out)."""
    if language != "fr":
        return drafted
    return lang.french_spacing(drafted[0]), lang.french_spacing(drafted[1])
