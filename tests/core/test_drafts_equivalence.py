"""The fast paths of drafts.render and lint.lint_frame give exactly what the plain per-row code
gives: the whole-frame loops against a row-at-a-time reference (lint on the drafts and on
edited ones), and each shortcut (memoised helpers, context, tidy, template rendering, the
column records, lint's prefilters) against the straightforward code it replaces, on a few
hundred varied rows and on fuzzed text."""

from __future__ import annotations

import datetime as dt
import random
import re
import string

import pandas as pd
import pytest

from followsync.config import Config, Profile, Rules
from followsync.core import drafts, lint, rules, schema, wording
from followsync.core.layout import demo_rows

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
PROFILE = Profile(
    name="Alex Morgan",
    email="alex@example.com",
    phone="+44 20 7946 0000",
    highlights="eight years of B2B marketing and a record of launches on time",
)
CONFIGS = {
    "no profile": Config(),
    "profile": Config(profile=PROFILE),
    # tight limits: the shortening and brief forms, and drafts that still do not fit
    "tight": Config(profile=PROFILE, rules=Rules(max_words=55, linkedin_note_chars=60)),
}

NAMES = [
    "", "Ms. Jane Jones", "Dr. Lee", "Ana Ruiz <ana@x.com>", "Ms. Anna van der Berg", "Jane Jones, PhD",
    "Ms. Jane Jones and Dr. Lee", "Mr. Ola Nordmann; Kari Nordmann", "José Álvarez", "Prof. İlker Şahin",
    "sam", "Hiring team", "(recruiter) Tom", "Mx. Kai ſmith", "Dr.", "ana@x.com", "Zoë 😀 Chen",
    "Ms. Jones & Mr. Smith / Dr. Who", "  Jane   Jones  ", "Mr. Jean-Luc de la Fontaine Jr.",
]  # fmt: skip
CONTACTS = ["", "Ana Ruiz <ana@x.com>", "hr@acme.example", "Ms. Kim Park", "Bob (HR) bob@x.org", "Dr. Who"]
POINTS = [
    "", "the CRM rollout; team structure.", "We discussed the roadmap\n- hiring plans\n- budget",
    "The spring launch and how the team measures impact", "I'm excited about the role",
    "• one\n• two\n• three", "TODO: fill in", "[Name] asked about {{ company }}", "just checking in ASAP!",
    "the " + " ".join(f"point{i}," for i in range(60)) + " end",
    "why haven't you replied; I have been waiting for weeks", "Strong record of launches",
    "a very long " + "word " * 150, "İstanbul office; KPI reviews; ſtrategy", "emoji 😀 rocket 🚀 " * 20,
    "status update timeline", "<company> expansion", "beg you to hire me", "any news ?", "Hurry up please",
    "i really need this job", "respond immediately", "XXX", "1) first 2) second", "tabs\tand  spaces ,here",
    "Dear Hiring Manager", "hi\u2003team", "to whom it may concern",
]  # fmt: skip
QUESTIONS = [
    "", "Is the role remote?", "how big is the team; what is the budget", "relocation",
    "Could you share the timeline?\nWhat are the next steps?", "remote work? travel.",
    "when do you decide " * 30, "DEAR HIRING MANAGER", "Let me know the next steps",
]  # fmt: skip
HIGHLIGHTS = [
    "", "eight years of B2B marketing", "I have led three launches", "Five years; two launches",
    "expertise in " + ", ".join(f"skill{i}" for i in range(80)), "last chance to get me",
]  # fmt: skip
TITLES = ["", "Marketing Manager", "Senior " * 40 + "Engineer", "Data Engineer (m/f/d)", "Head of ſales"]


def varied_rows(n: int, seed: int = 3) -> list[dict]:
    """n demo rows (every rule) with their text cells varied to reach every path."""
    rng = random.Random(seed)
    base = demo_rows(TODAY)
    out = []
    for i in range(n):
        row = dict(rng.choice(base))
        row["Company"] = rng.choice(["", "Ünïcode GmbH", "A" * 300, f"{row['Company']} {i}"])
        shift = dt.timedelta(days=rng.randint(-10, 10))
        for name, value in row.items():
            if isinstance(value, dt.date) and name != "Applied on":
                row[name] = value + shift
        for name, choices, p in (
            ("Interviewer", NAMES, 0.7),
            ("Other contact", CONTACTS, 0.4),
            ("Talking points", POINTS, 0.6),
            ("Open questions", QUESTIONS, 0.5),
            ("Highlights", HIGHLIGHTS, 0.5),
            ("Job title", TITLES, 0.2),
            ("Interviewer phone", ["", "+44 20 7946 0000"], 0.3),
            ("LinkedIn", ["", "https://linkedin.com/in/x"], 0.2),
        ):
            if rng.random() < p:
                row[name] = rng.choice(choices)
        out.append(row)
    return out


@pytest.fixture(scope="module")
def varied() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = varied_rows(400)
    header = list(dict.fromkeys(name for row in rows for name in row))
    tracker = schema.frame([header] + [[row.get(h) for h in header] for row in rows], "Tracker")
    assert tracker is not None
    frame = tracker.frame
    return frame, rules.plan(frame, NOW)


# ----------------------------------------------------------------------------------------
# The reference: the plain code the fast paths replace


def reference_tidy(s: str) -> str:
    lines = []
    for line in s.replace("\r\n", "\n").split("\n"):
        line = re.sub(r"[ \t]+", " ", line).strip()
        line = re.sub(r" ([,.;:?!])", r"\1", line)
        line = re.sub(r"([.?!])\.", r"\1", line)
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def reference_render_template(env, name, context):
    template = env.get_template(name)
    module = template.make_module(dict(context))
    subject = str(getattr(module, "subject", "") or "")
    return drafts.tidy_line(subject), reference_tidy(str(module))


def reference_context(row, *, kind, today, profile, cells=None, brief=False):
    """drafts.context as it was, from the unmemoised helpers."""
    cells = dict(cells or {})
    text = drafts.text

    def cell(key):
        return cells[key] if key in cells else text(row.get(key))

    as_phrase, is_clause = drafts.as_phrase.__wrapped__, drafts.is_clause.__wrapped__
    as_questions, is_question = drafts.as_questions.__wrapped__, drafts.is_question.__wrapped__
    company, job_title = cell("company"), cell("job_title")
    people = drafts._people.__wrapped__(cell("interviewer"))
    first = people[0] if people else None
    contact_cell = cell("other_contact")
    contact = drafts.parse_person.__wrapped__(contact_cell) if contact_cell else None
    email_match = drafts._EMAIL_RE.search(contact_cell)
    hl = (
        cells["highlights"]
        if "highlights" in cells
        else (text(row.get("highlights")) or text(getattr(profile, "highlights", "")))
    )
    tp, oq = cell("talking_points"), cell("open_questions")
    attempt = row.get("follow_ups_sent")
    attempt = 0 if attempt is None or pd.isna(attempt) else int(attempt)
    last, interview = drafts.as_date(row.get("last_follow_up")), drafts.as_date(row.get("interview_at"))
    if last and interview and last < interview:
        attempt = 0
    join = drafts.join_words
    return {
        "kind": kind,
        "salutation": "Dear " + join([p.formal for p in people]) if people else "Dear Hiring Manager",
        "addressee": join([p.formal for p in people]),
        "hello": (("Hello " if first.honorific else "Hi ") + first.casual) if first else "Hello",
        "interviewer": cell("interviewer"),
        "interviewer_name": join([p.with_honorific for p in people]),
        "interviewer_role": cell("interviewer_role"),
        "interviewer_phone": text(row.get("interviewer_phone")),
        "contact": contact.with_honorific if contact else "",
        "contact_salutation": f"Dear {contact.formal}" if contact else "Dear Hiring Team",
        "contact_email": email_match.group(0) if email_match else "",
        "company": company,
        "job_title": job_title,
        "position": drafts._position(job_title, company),
        "team": f"the team at {company}" if company else "your team",
        "about": f"{company} and the role" if company else "the role",
        "day": drafts.day_in_words.__wrapped__(drafts.as_date(row.get("interview_at")), today),
        "talking_points": as_phrase(tp),
        "talking_points_clause": is_clause(tp),
        "highlights": as_phrase(hl),
        "highlights_clause": is_clause(hl),
        "open_questions": as_questions(oq) if is_question(oq) else as_phrase(oq),
        "open_questions_are_questions": is_question(oq),
        "attempt": attempt + 1,
        "sender": {
            "name": text(getattr(profile, "name", "")),
            "email": text(getattr(profile, "email", "")),
            "phone": text(getattr(profile, "phone", "")),
        },
        "brief": brief,
        # the raw values (issue 16), for a template in any language to format itself
        **drafts.draft_words.raw.__wrapped__(
            row.get("interview_at"), bool(row.get("interview_at_has_time")), cell("interviewer"), "en"
        ),
    }


def reference_render(frame, plan, now, config) -> list[tuple[str, str, str]]:
    """drafts.render as a row-at-a-time loop over every row and every column."""
    today = now.date()
    out = []
    for i in range(len(frame)):
        row, p = frame.iloc[i].to_dict(), plan.iloc[i].to_dict()
        rule = int(p["rule"])
        kind = drafts.kind_for(rule, drafts.text(p["medium"])) if rule in drafts.DRAFTED_RULES else None
        linkedin = drafts.wants_linkedin_note(row, drafts.text(p["status"]), today)
        said = wording.said_on(drafts.as_date(row.get("interview_at")), drafts.as_date(p["due"]), today)
        out.append(drafts.render_row(row, kind=kind, linkedin=linkedin, today=said, config=config))
    return out


def drafts_frame(drafts_per_row, index) -> pd.DataFrame:
    """The frame render returns, as it built it from one tuple per row."""
    return pd.DataFrame(
        drafts_per_row or None,
        index=index,
        columns=["draft_subject", "draft_message", "linkedin_note"],
        dtype="object",
    )


def reference_placeholder(where, s):
    for rx, what in lint._PLACEHOLDERS:
        m = rx.search(s)
        if m:
            return [f"{where}: has {what} ('{m.group(0)}'); replace it with the real text"]
    return []


def reference_pushy(where, s):
    if not lint._ANY_PUSHY.search(s):
        return []
    out, spans = [], []
    for rx, _label, fix in lint._PUSHY:
        m = rx.search(s)
        if m and not any(m.start() < end and start < m.end() for start, end in spans):
            spans.append(m.span())
            out.append(f"{where}: says '{m.group(0).strip()}', which reads as pushy; {fix}")
    return out


def reference_generic(where, s, name):
    m = lint._GENERIC.search(s)
    if m and name:
        return [f"{where}: opens with '{m.group(0)}' although the row names {name}; address them by name"]
    return []


def reference_addressee(kind, row):
    if kind == wording.OTHER_CONTACT:
        person = drafts.parse_person.__wrapped__(drafts.text(row.get("other_contact")))
        return person.with_honorific if person else ""
    people = drafts._people.__wrapped__(drafts.text(row.get("interviewer")))
    return drafts.join_words([p.with_honorific for p in people])


def reference_lint_draft(subject, message, *, kind, row, config):
    subject, message = drafts.text(subject), (message or "").strip()
    findings = []
    if subject:
        findings += reference_placeholder(lint.SUBJECT, subject)
        findings += reference_pushy(lint.SUBJECT, subject)
    if not message:
        return findings
    findings += reference_placeholder(lint.MESSAGE, message)
    if kind != wording.CALL_SCRIPT:
        findings += reference_generic(lint.MESSAGE, message, reference_addressee(kind, row))
    if "?" not in message and not lint._CALL_TO_ACTION.search(message):
        findings.append(
            f"{lint.MESSAGE}: has no call to action; ask for an update, the timeline or the next steps, "
            "and offer more information"
        )
    limit = config.rules.max_words
    words = drafts.word_count(message)
    if words > limit:
        findings.append(
            f"{lint.MESSAGE}: has {words} words, more than the {limit} allowed (max_words); shorten it"
        )
    findings += reference_pushy(lint.MESSAGE, message)
    if kind != wording.CALL_SCRIPT:
        findings += lint._signoff(message, lint._profile_name(config))
    return findings


def reference_lint_linkedin(note, *, row, config):
    note = (note or "").strip()
    if not note:
        return []
    findings = reference_placeholder(lint.NOTE, note)
    findings += reference_generic(lint.NOTE, note, reference_addressee(drafts.LINKEDIN_NOTE, row))
    limit = config.rules.linkedin_note_chars
    n = drafts.linkedin_length(note)
    if n > limit:
        findings.append(
            f"{lint.NOTE}: has {n} characters, more than LinkedIn's {limit} (linkedin_note_chars); shorten it"
        )
    return findings + reference_pushy(lint.NOTE, note)


def reference_lint_frame(frame, plan, drafts_df, config):
    out = {}
    for i, idx in enumerate(drafts_df.index):
        row, p, d = frame.iloc[i].to_dict(), plan.iloc[i].to_dict(), drafts_df.iloc[i].to_dict()
        kind = drafts.kind_for(int(p["rule"]), drafts.text(p["medium"])) or wording.FOLLOW_UP
        subject, message = drafts.text(d["draft_subject"]), drafts.text(d["draft_message"])
        found = (
            reference_lint_draft(subject, message, kind=kind, row=row, config=config)
            if subject or message
            else []
        )
        found += reference_lint_linkedin(drafts.text(d["linkedin_note"]), row=row, config=config)
        if found:
            out[idx] = found
    return out


# ----------------------------------------------------------------------------------------
# Whole frames


@pytest.mark.parametrize("name", CONFIGS)
def test_render_and_lint_frame_match_the_row_at_a_time_reference(varied, name):
    frame, plan = varied
    config = CONFIGS[name]
    rendered = drafts.render(frame, plan, NOW, config)
    expected = reference_render(frame, plan, NOW, config)
    pd.testing.assert_frame_equal(rendered, drafts_frame(expected, frame.index))
    assert sum(1 for d in expected if d[1]) > 150 and sum(1 for d in expected if d[2]) > 30  # many drafts
    assert lint.lint_frame(frame, plan, rendered, config) == reference_lint_frame(
        frame, plan, rendered, config
    )

    # Edited drafts: lint sees the person's text, pushy, generic or without a sign-off.
    rng = random.Random(name)
    extras = ["", "\nJust checking in ASAP, any news? [Name] TODO", " Dear Hiring Manager {{x}}", "\nHi team"]
    edited = rendered.copy()
    for column in edited.columns:
        edited[column] = [
            rng.choice([v, v + rng.choice(extras), rng.choice(POINTS + QUESTIONS + NAMES)])
            for v in edited[column]
        ]
    found = lint.lint_frame(frame, plan, edited, config)
    assert found == reference_lint_frame(frame, plan, edited, config)
    assert len(found) > 100


def test_an_empty_frame_renders_an_empty_frame(varied):
    frame, plan = varied
    empty = drafts.render(frame.iloc[:0], plan.iloc[:0], NOW, CONFIGS["profile"])
    pd.testing.assert_frame_equal(empty, drafts_frame([], frame.index[:0]))


def test_the_shipped_templates_render_as_make_module_renders_them(varied):
    frame, _plan = varied
    env = drafts.environment(None)
    for i, row in enumerate(frame.to_dict("records")[:60]):
        for kind in drafts.TEMPLATES:
            ctx = drafts.context(row, kind=kind, today=TODAY, profile=PROFILE, brief=i % 3 == 0)
            name = drafts.TEMPLATES[kind]
            assert drafts.render_template(env, name, ctx) == reference_render_template(env, name, ctx)


def test_a_template_without_a_subject_renders_an_empty_subject(tmp_path):
    (tmp_path / "reminder.j2").write_text("{{ salutation }},\n\nHello  there .\n", encoding="utf-8")
    env = drafts.environment(str(tmp_path))
    ctx = drafts.context({"interviewer": "Dr. Lee"}, kind=wording.REMINDER, today=TODAY, profile=PROFILE)
    assert drafts.render_template(env, "reminder.j2", ctx) == ("", "Dear Dr. Lee,\n\nHello there.")
    assert drafts.render_template(env, "reminder.j2", ctx) == reference_render_template(
        env, "reminder.j2", ctx
    )


# ----------------------------------------------------------------------------------------
# The drafts shortcuts one by one


def test_memoised_helpers_give_what_the_plain_functions_give(varied):
    frame, _plan = varied
    cells = set()
    for key in (
        "interviewer",
        "other_contact",
        "talking_points",
        "open_questions",
        "highlights",
        "job_title",
    ):
        cells |= {drafts.text(v) for v in frame[key]}
    cells |= set(NAMES + CONTACTS + POINTS + QUESTIONS + HIGHLIGHTS)
    for cell in cells:
        for f in (
            drafts.parse_person,
            drafts.is_clause,
            drafts.as_phrase,
            drafts.is_question,
            drafts.as_questions,
        ):
            assert f(cell) == f.__wrapped__(cell), (f, cell)
        assert drafts._people(cell) == drafts._people.__wrapped__(cell)
        assert wording._items(cell) == wording._items.__wrapped__(cell)
        people = wording.parse_people(cell)
        people.append(None)  # a caller's list is its own
        assert None not in wording.parse_people(cell)
    for delta in range(-400, 400, 3):
        day = TODAY - dt.timedelta(days=delta)
        assert drafts.day_in_words(day, TODAY) == drafts.day_in_words.__wrapped__(day, TODAY)


TIDY_PIECES = [" ", "  ", "\t", " \t ", "\n", "\n\n\n", "\r\n", ",", ".", "..", "?.", "!.", " ,", " .", " ?",
               "\x0c", "\xa0", "\u2003", "word", "Word", "a", "?", "!", ";", ":", "\x1c"]  # fmt: skip


def test_tidy_gives_what_the_line_by_line_tidy_gives(varied):
    rng = random.Random(5)
    for _ in range(5000):
        s = "".join(rng.choice(TIDY_PIECES) for _ in range(rng.randint(0, 40)))
        assert drafts.tidy(s) == reference_tidy(s), repr(s)
    frame, plan = varied
    for _index, row in drafts.render(frame, plan, NOW, CONFIGS["profile"]).iterrows():
        assert drafts.tidy(row["draft_message"]) == reference_tidy(row["draft_message"])


def test_context_gives_what_the_unmemoised_context_gives(varied):
    frame, _plan = varied
    for i, row in enumerate(frame.to_dict("records")):
        for profile in (PROFILE, Profile()):
            kw = {"kind": wording.FOLLOW_UP, "today": TODAY, "profile": profile, "brief": i % 2 == 0}
            assert drafts.context(row, **kw) == reference_context(row, **kw)
            cells = drafts._initial_cells(row, profile)
            assert drafts.context(row, cells=cells, **kw) == reference_context(row, cells=cells, **kw)
            short = {k: drafts.shorten_words(v, 4) for k, v in cells.items()}
            assert drafts.context(row, cells=short, **kw) == reference_context(row, cells=short, **kw)


def same_records(a: list[dict], b: list[dict]) -> bool:
    """Equal, value for value and type for type (NaN equal to NaN)."""
    return [[(k, type(v), repr(v)) for k, v in r.items()] for r in a] == [
        [(k, type(v), repr(v)) for k, v in r.items()] for r in b
    ]


def test_frame_records_are_to_dict_records_of_those_columns(varied):
    frame, plan = varied
    for df in (frame, plan):
        keys = tuple(df.columns)
        assert same_records(list(drafts.frame_records(df, keys)), df.to_dict("records"))
        some = (*keys[::3], "no such column")
        assert same_records(list(drafts.frame_records(df, some)), df[list(keys[::3])].to_dict("records"))
    odd = pd.DataFrame(
        {
            "a": pd.Series([1, None, 2.5, "x"], dtype=object),
            "b": pd.Series([pd.Timestamp("2026-01-02"), pd.NaT, None, dt.date(2026, 1, 3)], dtype=object),
            "c": pd.array([1, None, 3, 4], dtype="Int64"),
            "d": pd.Series([True, False, None, True], dtype="boolean"),
            "e": pd.Series(["x", None, "z", ""], dtype="str"),
            "f": pd.to_datetime(["2026-01-01", None, "2026-01-03", "2026-01-04"]),
        }
    )
    odd["g"] = pd.Series(
        [odd["c"][0], 1.5, odd["c"][2], None], dtype=object
    )  # NumPy scalars in an object column
    keys = tuple(odd.columns)
    assert same_records(list(drafts.frame_records(odd, keys)), odd.to_dict("records"))
    assert list(drafts.frame_records(odd, ("zz",))) == [{}] * 4
    assert list(drafts.frame_records(odd.iloc[:0], keys)) == []


def test_aligned_records_are_what_a_dict_by_label_gives(varied):
    _frame, plan = varied
    keys = ("rule", "medium", "status")

    def by_label(df, index, **default):
        records = dict(zip(df.index, df[list(keys)].to_dict("records"), strict=True))
        return [records.get(i, default["default"]) if default else records[i] for i in index]

    assert same_records(list(drafts.aligned_records(plan, keys, plan.index)), by_label(plan, plan.index))
    shuffled = plan.sample(frac=1, random_state=1)
    assert same_records(
        list(drafts.aligned_records(shuffled, keys, plan.index)), by_label(shuffled, plan.index)
    )
    index = pd.Index([5, 3, 3, 999, 0])
    got = list(drafts.aligned_records(plan, keys, index, default={}))
    assert same_records(got, by_label(plan, index, default={})) and got[3] == {}
    with pytest.raises(KeyError):
        list(drafts.aligned_records(plan, keys, index))
    twice = plan.iloc[[0, 1, 1]].set_axis([7, 8, 8])  # a repeated label: the last row has it
    assert same_records(list(drafts.aligned_records(twice, keys, twice.index)), by_label(twice, twice.index))


# ----------------------------------------------------------------------------------------
# Lint's prefilters


def test_fold_puts_an_ascii_letter_exactly_where_ignorecase_matches_one():
    all_chars = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    folded = lint._fold(all_chars)
    assert len(folded) == len(all_chars)  # lower() never shortens, so this is letter for letter
    for letter in string.ascii_lowercase:
        matched = [m.start() for m in re.finditer(letter, all_chars, re.I)]
        assert matched == [m.start() for m in re.finditer(letter, folded)], letter
    # Whitespace, which the generic-salutation prefilter steps over with str.isspace like \s.
    spaces = [m.start() for m in re.finditer(r"\s", all_chars)]
    assert spaces == [i for i, c in enumerate(all_chars) if c.isspace()]
    assert [m.start() for m in re.finditer(r"\s", folded)] == spaces


def test_each_call_to_action_alternative_starts_with_a_needle():
    from re import _parser  # the parsed pattern: its alternatives and their literal starts

    _boundary, (branch, (_none, alternatives)), _end = _parser.parse(lint._CALL_TO_ACTION.pattern)
    assert str(branch) == "BRANCH" and len(alternatives) == 13
    for alternative in alternatives:
        start = ""
        for op, av in alternative:
            if str(op) != "LITERAL":
                break
            start += chr(av)
        assert any(start.startswith(n) for n in lint._CALL_TO_ACTION_NEEDLES), start


LINT_WORDS = (
    [p for p, _label, _fix in lint.PUSHY if not set(p) & set("\\(?[")]
    + ["just checking in", "Just Following Up", "ASAP", "aſap", "as soon as possible", "reply  as soon as possible",
       "URGENTLY", "urgent", "why haven't you", "Why hasn't", "any news ?", "any news?", "I need this job",
       "i really need the role", "desperately", "still waiting", "I've been waiting", "waiting for weeks",
       "we expect a reply", "respond right away", "answer now", "know", "reply now", "hurry up", "HURRY",
       "last chance", "beg", "begging", "began", "Dear Hiring Manager", "hello\n\tteam", "Hi Sir or Madam",
       "hi sir/madam", "dear madam or sir", "Hi recruiter", "DEAR INTERVIEWER", "hi team", "this team",
       "to whom it may concern", "To  Whom It May Concern", "dear\u2003team", "dear\u0130", "Hİ team",
       "update", "UPDATES", "feedback", "next steps", "next step", "timeline", "status", "referral", "referal",
       "refer me", "let me know", "get back to me", "any further information", "happy to share", "glad to send",
       "happy to", "İ", "ı", "ſ", "\u212a", "K", "'", "-", "_", "x", "Ms. Jones", "Best regards,", "\n", " ", "?",
       "{{", "%}", "[Name]", "< company >", "TODO", "TBD", "FIXME", "XXXX", "todo"]
)  # fmt: skip


def test_lint_prefilters_change_no_finding():
    rng = random.Random(9)
    seps = [" ", "  ", "\n", "", ", ", ". ", "'", "\t", "-"]
    for _ in range(20000):
        parts = [rng.choice(LINT_WORDS) for _ in range(rng.randint(1, 6))]
        s = "".join(p + rng.choice(seps) for p in parts)
        if rng.random() < 0.3:
            s = s.upper() if rng.random() < 0.5 else s.swapcase()
        assert lint._placeholder("X", s) == reference_placeholder("X", s), repr(s)
        assert lint._pushy("X", s) == reference_pushy("X", s), repr(s)
        assert lint._generic("X", s, "Ms. Jones") == reference_generic("X", s, "Ms. Jones"), repr(s)
        assert lint._has_call_to_action(s, lint._fold(s)) == bool(lint._CALL_TO_ACTION.search(s)), repr(s)
