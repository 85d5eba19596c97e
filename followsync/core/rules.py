"""RULES.md sections 2-4, vectorised: a typed frame and ``now`` in, a plan frame out.

:func:`plan` walks the table of section 3 in order over whole columns. A row whose deciding
rule needs a cell that did not parse cannot be computed: it gets rule 0, no action, and the
``problem`` colour (section 4). :func:`check` finds the data that contradicts itself
(section 6, last paragraph). Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Rules
from . import language as lang
from .cells import Phrase
from .language import ENGLISH
from .schema import Problem
from .wording import parse_people

# Next action labels (RULES.md section 3), by rule number.
LABELS = {
    3: "Reply to the rejection",
    6: "Prepare: ask about the timeline",
    7: "Send thank-you note",
    9: "Follow up",
    10: "Send a friendly reminder",
    11: "Call or try another contact",
    12: "Send a final note and move on",
}
# Rules whose action produces a message draft (RULES.md section 5).
DRAFTED = frozenset({3, 7, 9, 10, 11, 12})
FOLLOW_UP_RULES = frozenset({9, 10, 11, 12})

PLAN_COLUMNS = ("rule", "next_action", "due", "colour", "reminder", "medium", "status")


def today_of(now: dt.datetime) -> pd.Timestamp:
    return pd.Timestamp(now.date())


def _dates(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame[key].dt.normalize()


def _bad(frame: pd.DataFrame, key: str) -> np.ndarray:
    col = f"{key}_bad"
    return frame[col].to_numpy(dtype=bool) if col in frame else np.zeros(len(frame), bool)


def _text(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame[key].fillna("").astype(str).str.strip()


def _skip_weekend(due: pd.Series) -> pd.Series:
    wd = due.dt.day_of_week
    shift = np.where(wd == 5, 2, np.where(wd == 6, 1, 0))
    return due + pd.to_timedelta(shift, unit="D")


def _skip_days_off(due: pd.Series, rules: Rules) -> pd.Series:
    """Move each due past weekends (when ``skip_weekends``) and ``[rules] holidays``, to a working day."""
    if not rules.holidays:
        return _skip_weekend(due) if rules.skip_weekends else due
    years = {int(y) for y in due.dropna().dt.year.unique()}
    off = rules.holiday_dates(years | {y + 1 for y in years})
    if not off:
        return _skip_weekend(due) if rules.skip_weekends else due
    days = np.array(sorted(off), dtype="datetime64[D]")
    out = due.copy()
    for _ in range(len(days) + 3):  # each pass moves a day by one; runs of days off are short
        d = out.dropna()
        stuck = np.isin(d.to_numpy().astype("datetime64[D]"), days)
        if rules.skip_weekends:
            stuck |= d.dt.day_of_week.to_numpy() >= 5
        if not stuck.any():
            break
        out.loc[d.index[stuck]] = d[stuck] + pd.Timedelta(days=1)
    return out


def interview_ahead(frame: pd.DataFrame, now: dt.datetime) -> np.ndarray:
    """Rule 6: Interview at has a time later than ``now``, or is a date alone after today.

    On the interview's own day the row says Prepare until the interview's time, so nobody is
    asked for a thank-you note (or drafted one) for an interview that has not happened yet.
    """
    at = frame["interview_at"]
    # ``now`` is in the profile's zone and cells are that zone's wall-clock time.
    local_now = pd.Timestamp(now.replace(tzinfo=None))
    timed = (
        frame["interview_at_has_time"]
        if "interview_at_has_time" in frame
        else pd.Series(False, index=frame.index)
    )
    timed = timed.fillna(False).to_numpy(dtype=bool)
    later = (at > local_now).to_numpy(dtype=bool)
    after_today = (at.dt.normalize() > today_of(now)).to_numpy(dtype=bool)
    return np.where(timed, later, after_today)


def expected_dates(frame: pd.DataFrame) -> pd.Series:
    """Expected response by as dates: phrases resolved against the interview date."""
    values = frame["expected_response_by"].tolist()
    # The interview days only where a phrase needs one, from numpy at once: iterating the
    # datetime column made a Timestamp per row (issue 17). numpy floors to the day, as .date() does.
    interview = _days(_dates(frame, "interview_at")) if any(isinstance(e, Phrase) for e in values) else []
    at, stamps = [], []  # the rows with a date, and it: most rows have none
    for k, e in enumerate(values):
        if e is None:
            continue  # most rows
        if isinstance(e, Phrase):
            day = interview[k]
            if day is not None:
                at.append(k)
                stamps.append(pd.Timestamp(e.resolve(day)))
        elif isinstance(e, dt.date):
            at.append(k)
            stamps.append(pd.Timestamp(e))
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[at] = pd.Series(pd.to_datetime(stamps), dtype="datetime64[ns]").to_numpy()
    return pd.Series(out, index=frame.index)


def _days(column: pd.Series) -> list[dt.date | None]:
    """A datetime column's days (None for NaT), made by numpy, not a Timestamp per row (numpy
    floors to the day, as .date() does); a column with a time zone, each day as .date() says."""
    if isinstance(column.dtype, np.dtype):
        return column.to_numpy().astype("datetime64[D]").tolist()
    return [None if pd.isna(t) else t.date() for t in column]


@dataclass
class _Facts:
    """The columns the rules read, each once, with follow-ups of an earlier round set aside."""

    status: np.ndarray
    interview: pd.Series
    thanked: pd.Series
    last: pd.Series
    response: pd.Series
    rejection_reply: pd.Series
    count: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Facts:
        interview = _dates(frame, "interview_at")
        last = _dates(frame, "last_follow_up")
        count = frame["follow_ups_sent"].fillna(0).astype("int64").to_numpy()
        # Follow-ups before the latest interview belong to an earlier round (section 2).
        earlier_round = (last < interview).to_numpy(dtype=bool)
        return cls(
            status=frame["status"].fillna("").astype(str).to_numpy(),
            interview=interview,
            thanked=_dates(frame, "thank_you_sent"),
            last=last.mask(earlier_round),
            response=_dates(frame, "response_on"),
            rejection_reply=_dates(frame, "rejection_reply_sent"),
            count=np.where(earlier_round, 0, count),
        )


def plan(
    frame: pd.DataFrame, now: dt.datetime, rules: Rules | None = None, language: str = ENGLISH
) -> pd.DataFrame:
    """Next action, due date, colour, Reminder and medium for every row (RULES.md 2-4); the
    Reminder in the row's Language, else ``language``."""
    rules = rules or Rules()
    today = today_of(now)
    facts = _Facts.of(frame)
    step = _rules(frame, facts, now, rules)
    due = _due(frame, facts, step, today, rules)
    rule = another_contact_after_bounce(frame, step)
    interview, status = facts.interview, facts.status
    inferred = np.where(
        interview.isna().to_numpy(),
        "Applied",
        np.where((interview > today).to_numpy(), "Interview scheduled", "Interviewed"),
    )
    out = pd.DataFrame(
        {
            "rule": rule,
            "next_action": [LABELS.get(r, "") for r in rule],
            "due": due,
            "colour": _shared(_colours(rule, due, today, rules.soon_days)),
            "medium": _shared(_mediums(frame, rule)),
            "status": np.where(status == "", _shared(inferred), status),
        },
        index=frame.index,
    )
    out["reminder"] = _reminders(frame, out, today, facts, row_languages(frame, language))
    return out[list(PLAN_COLUMNS)]


def _shared(words: np.ndarray) -> np.ndarray:
    """A column of a few distinct words (numpy's fixed-width strings) with one str object per
    word: the frame would otherwise hold a new str per row (about 2.5 MiB a column at 50,000 rows)."""
    if not len(words):
        return words  # as it was: an empty column keeps its dtype
    distinct, at = np.unique(words, return_inverse=True)
    return np.array(distinct.tolist(), dtype=object)[at]


def _rules(frame: pd.DataFrame, facts: _Facts, now: dt.datetime, rules: Rules) -> np.ndarray:
    """The first rule of RULES.md section 2 that holds for each row; 0 where a cell it needs
    did not parse, so the row cannot be computed."""
    status, interview, count = facts.status, facts.interview, facts.count
    rule = np.zeros(len(frame), dtype="int64")
    open_ = np.ones(len(frame), dtype=bool)  # no rule has decided yet

    def decide(number: int, when, unknown=None) -> None:
        nonlocal open_
        when = np.asarray(when, dtype=bool)
        if unknown is not None:
            stuck = open_ & np.asarray(unknown, dtype=bool)
            open_ = open_ & ~stuck  # rule stays 0: cannot be computed
        hit = open_ & when
        rule[hit] = number
        open_ = open_ & ~hit

    no_i = interview.isna().to_numpy()
    decide(1, np.isin(status, ("Offer", "Accepted")))
    decide(2, np.isin(status, ("Withdrawn", "Closed")))
    rejected = status == "Rejected"
    no_reply = facts.rejection_reply.isna().to_numpy()
    decide(
        3,
        rejected & no_reply,
        # Response on only matters for the reply's due date, so only while no reply is recorded.
        rejected & (_bad(frame, "rejection_reply_sent") | (no_reply & _bad(frame, "response_on"))),
    )
    decide(4, rejected)
    decide(5, no_i & ~_bad(frame, "interview_at"), _bad(frame, "interview_at"))
    decide(6, interview_ahead(frame, now))
    thanked = facts.thanked
    decide(7, (thanked.isna() | (thanked < interview)).to_numpy(), _bad(frame, "thank_you_sent"))
    decide(8, (facts.response >= interview).to_numpy(), _bad(frame, "response_on"))
    count_unknown = _bad(frame, "follow_ups_sent") | (_bad(frame, "last_follow_up") & (count >= 1))
    # An unreadable Expected response by: the first follow-up's due date can't be known.
    decide(9, count == 0, count_unknown | ((count == 0) & _bad(frame, "expected_response_by")))
    # A count with no date can't be timed (rules 10-12); rule 13 needs no date.
    following = (count >= 1) & (count <= rules.final_after) & facts.last.isna().to_numpy()
    decide(10, (count >= 1) & (count < rules.call_after), following)
    decide(11, (count >= rules.call_after) & (count < rules.final_after))
    decide(12, count == rules.final_after)
    decide(13, count > rules.final_after)
    return rule


def _due(
    frame: pd.DataFrame, facts: _Facts, rule: np.ndarray, today: pd.Timestamp, rules: Rules
) -> pd.Series:
    """Each row's due date by its rule (RULES.md section 3); NaT where the rule has none."""
    interview, last = facts.interview, facts.last
    due = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")

    def set_due(number: int, values: pd.Series) -> None:
        mask = rule == number
        due[mask] = values[mask]

    rejection_due = (facts.response + pd.Timedelta(days=rules.rejection_reply_days)).fillna(today)
    set_due(3, rejection_due)
    set_due(6, interview)
    thank_by = (frame["interview_at"] + pd.Timedelta(hours=rules.thank_you_hours)).dt.normalize()
    set_due(7, thank_by)
    expected = expected_dates(frame)
    first = (expected + pd.Timedelta(days=1)).fillna(
        interview + pd.Timedelta(days=rules.first_follow_up_days)
    )
    gap = last + pd.Timedelta(days=rules.follow_up_gap_days)
    follow_ups = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    follow_ups[rule == 9] = first[rule == 9]
    for number in (10, 11, 12):
        follow_ups[rule == number] = gap[rule == number]
    follow_ups = _skip_days_off(follow_ups, rules)
    fu_mask = np.isin(rule, list(FOLLOW_UP_RULES))
    due[fu_mask] = follow_ups[fu_mask]
    return due


# The inbox step's bounce input (``followsync.inbox.wire.for_rules``): True where mail to the
# address in that column bounced and the address is still there. Absent: nothing bounced.
BOUNCED = ("interviewer_email_bounced", "other_contact_bounced")


def bounced(frame: pd.DataFrame, key: str) -> np.ndarray:
    """Rows whose mail to the ``key`` column's address bounced (``key``: one of :data:`BOUNCED`)."""
    return frame[key].fillna(False).to_numpy(dtype=bool) if key in frame else np.zeros(len(frame), bool)


def another_contact_after_bounce(frame: pd.DataFrame, rule: np.ndarray) -> np.ndarray:
    """Rule 11's other medium or contact as the next step of a follow-up (rules 9 to 12) to an
    interviewer whose mail bounced: another email to that address cannot arrive. The due date
    stays the one of the step it replaces (computed before). The thank-you note (rule 7) and the
    rejection reply (rule 3) keep their action: only the interviewer can receive them, and the
    Problem asks to check the address."""
    redirect = np.isin(rule, list(FOLLOW_UP_RULES)) & bounced(frame, "interviewer_email_bounced")
    return np.where(redirect, 11, rule)


def _mediums(frame: pd.DataFrame, rule: np.ndarray) -> np.ndarray:
    """How each drafted message goes: rule 11 calls when it may, else tries the other contact,
    else emails the interviewer once more; where that mail bounced, LinkedIn instead."""
    has_phone = np.array([t != "" for t in _stripped(frame, "interviewer_phone")], dtype=bool)
    ok_to_call = frame["ok_to_call"].fillna(False).to_numpy(dtype=bool)
    other = np.array([t != "" for t in _stripped(frame, "other_contact")], dtype=bool)
    other &= ~bounced(frame, "other_contact_bounced")
    once_more = np.where(bounced(frame, "interviewer_email_bounced"), "linkedin", "email")
    return np.where(
        rule == 11,
        np.where(ok_to_call & has_phone, "phone", np.where(other, "other_contact", once_more)),
        np.where(np.isin(rule, list(DRAFTED)), "email", ""),
    )


def _colours(rule: np.ndarray, due: pd.Series, today: pd.Timestamp, soon_days: int) -> np.ndarray:
    days = ((due - today).dt.days).to_numpy(dtype="float64")  # NaN where no due
    by_due = np.select(
        [days < 0, days == 0, days <= soon_days],
        ["overdue", "today", "soon"],
        "waiting",
    )
    return np.select(
        [rule == 0, rule == 1, np.isin(rule, (2, 4, 13)), rule == 5, rule == 8, np.isnan(days)],
        ["problem", "done", "closed", "", "waiting", ""],
        by_due,
    )


# --------------------------------------------------------------------------------------
# Reminder sentences


def urgency_phrase(due: pd.Timestamp, today: pd.Timestamp, language: str = ENGLISH) -> str:
    """'Overdue since Fri 20 Nov', 'Due today', 'Due Fri 27 Nov' (or in ``language``): the same
    words every day until the urgency, the due date or the action changes."""
    return lang.urgency_phrase((due - today).days, due.date(), language)


def row_languages(frame: pd.DataFrame, default: str = ENGLISH) -> list[str]:
    """Each row's language: its Language cell, else ``default`` (the setting)."""
    if "language" not in frame:
        return [default] * len(frame)
    # lang.code is pure: each distinct cell is read once (most are blank, or one language).
    codes: dict[str | None, str] = {}
    out = []
    for v in frame["language"].tolist():
        cell = v if isinstance(v, str) else None
        language = codes.get(cell)
        if language is None:
            language = codes[cell] = lang.code(cell, default)
        out.append(language)
    return out


_TEXT_OR_NONE = frozenset({str, type(None)})


def _stripped(frame: pd.DataFrame, key: str) -> list[str]:
    """:func:`_text` of a column as a list: a column of text and blanks (the usual one) is
    stripped in one comprehension, without pandas' string methods calling back per cell."""
    values = frame[key].tolist()
    if set(map(type, values)) <= _TEXT_OR_NONE:
        return ["" if v is None else v.strip() for v in values]
    return _text(frame, key).tolist()


def _reminders(frame, out, today, facts, languages) -> list[str]:
    sentences = []
    # The days as plain dates from numpy (a Timestamp per row cost more, issue 17), and each due
    # day's urgency phrase made once: it depends only on the day, the language and today, fixed
    # for this call. (due - today).days of the Timestamps is the days between their dates, as
    # today is a midnight.
    count, response, dues = facts.count, _days(facts.response), _days(out["due"])
    today_day = today.date()
    phrases: dict[tuple[dt.date, str], str] = {}

    def urgency(due: dt.date, language: str) -> str:
        phrase = phrases.get((due, language))
        if phrase is None:
            phrase = phrases[due, language] = lang.urgency_phrase((due - today_day).days, due, language)
        return phrase

    cols = ("company", "job_title", "interviewer", "interviewer_phone", "other_contact")
    texts = {c: _stripped(frame, c) for c in cols}
    after_bounce = bounced(frame, "interviewer_email_bounced")
    for i, (rule, due, medium, status) in enumerate(
        zip(out["rule"].tolist(), dues, out["medium"].tolist(), out["status"].tolist(), strict=True)
    ):
        language = languages[i]
        if rule == 0 or rule in lang.REMINDERS[language]:
            sentences.append(_reminder(language, rule, texts, i, due, urgency, status, count, response))
        elif rule == 11:
            key = f"bounced_{medium}" if after_bounce[i] and medium in ("phone", "other_contact") else medium
            sentences.append(_reminder(language, key, texts, i, due, urgency, status, count, response))
        else:
            sentences.append("")
    return sentences


def _reminder(language, key, texts, i, due, urgency, status, count, response) -> str:
    """One row's Reminder sentence in ``language``: ``key`` is the rule, or rule 11's medium."""
    words = lang.REMINDERS[language]
    if key == 0:
        return words["fix"]
    company = texts["company"][i] or words["company"]
    job = texts["job_title"][i]
    role = (
        words["role"].format(job=job, company=company)
        if job
        else words["application"].format(company=company)
    )
    who = texts["interviewer"][i] or words["who"]
    if language != ENGLISH and texts["interviewer"][i]:  # "Herrn Tom Becker", not "Mr. Tom Becker"
        who = lang.join_words([lang.named(p, language) for p in parse_people(who)], language) or who
    if key == 8:
        when = lang.short_date(response[i], language)
        return words[8].format(company=company, when=when, status=status)
    if key == 13:
        return words[13].format(n=count[i])
    what = words[key].format(
        company=company,
        role=role,
        who=who,
        phone=texts["interviewer_phone"][i],
        other=texts["other_contact"][i],
    )
    sentence = words["sentence"].format(urgency=urgency(due, language), what=what)
    return lang.french_spacing(sentence) if language == "fr" else sentence


# --------------------------------------------------------------------------------------
# Data that contradicts itself (RULES.md section 6)

# Dates of things that have happened: later than tomorrow (a day of slack for time zones), or
# before EARLIEST, is a typo (2100 for 2010, a serial number read as a date).
PAST_DATES = {
    "applied_on": "Applied on",
    "response_on": "Response on",
    "thank_you_sent": "Thank-you sent",
    "last_follow_up": "Last follow-up",
    "rejection_reply_sent": "Rejection reply sent",
}
EARLIEST = pd.Timestamp(1990, 1, 1)


def implausible_dates(
    frame: pd.DataFrame, now: dt.datetime, sheet: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """The frame with dates of :data:`PAST_DATES` after tomorrow or before 1990 taken out (as a
    cell that did not parse: they drive no rule), and a Problem for each such cell."""
    latest = today_of(now) + pd.Timedelta(days=1)
    problems: list[Problem] = []
    out = frame
    ids, rows = frame["id"].tolist(), frame["_row"].tolist()
    for key, column in PAST_DATES.items():
        if key not in frame:
            continue
        day = _dates(frame, key)
        late, early = (day > latest).to_numpy(), (day < EARLIEST).to_numpy()
        if not (late.any() or early.any()):
            continue
        if out is frame:
            out = frame.copy(deep=False)  # its columns are frame's until replaced below, not copied
        wrong = np.flatnonzero(late | early)
        # The cells' days at once: a look-up into the frame per cell cost more (issue 17).
        for i, on in zip(wrong.tolist(), day.iloc[wrong].tolist(), strict=True):
            why = "is after tomorrow" if late[i] else f"is before {EARLIEST.year}"
            fix = "put the date it happened (a typo in the year?)"
            problems.append(
                Problem(sheet, int(rows[i]), column, f"{on.date().isoformat()} {why}", fix, ids[i] or None)
            )
        out[key] = frame[key].mask(late | early)  # NaT there; a new column, so frame's stays as read
        out[f"{key}_bad"] = _bad(frame, key) | late | early
    return out, problems


def check(frame: pd.DataFrame, now: dt.datetime, sheet: str) -> list[Problem]:
    """Problems with dates and counts that contradict each other; the rows are still planned."""
    today = today_of(now)
    problems: list[Problem] = []
    interview = _dates(frame, "interview_at")
    thanked = _dates(frame, "thank_you_sent")
    last = _dates(frame, "last_follow_up")
    count = frame["follow_ups_sent"]
    rows = frame["_row"].to_numpy()
    ids = frame["id"].tolist()

    def add(mask, column, message, fix):
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            text = message(i) if callable(message) else message
            problems.append(Problem(sheet, int(rows[i]), column, text, fix, ids[i] or None))

    add(
        (thanked > today).to_numpy(),
        "Thank-you sent",
        lambda i: f"{thanked.iloc[i].date().isoformat()} is in the future",
        "put the date you actually sent it",
    )
    add(
        (last > today).to_numpy(),
        "Last follow-up",
        lambda i: f"{last.iloc[i].date().isoformat()} is in the future",
        "put the date you actually sent it",
    )
    add(
        (count.fillna(0) >= 1).to_numpy() & last.isna().to_numpy() & ~_bad(frame, "last_follow_up"),
        "Last follow-up",
        lambda i: f"Follow-ups sent is {count.iloc[i]} but Last follow-up is blank",
        "put the date of your latest follow-up, or set Follow-ups sent to 0",
    )
    same_round = (thanked >= interview) & (last >= interview)
    add(
        (same_round & (last < thanked)).to_numpy(),
        "Last follow-up",
        lambda i: (
            f"{last.iloc[i].date().isoformat()} is before Thank-you sent "
            f"({thanked.iloc[i].date().isoformat()}) in the same round"
        ),
        "check both dates",
    )
    return problems
