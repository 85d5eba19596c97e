"""Drafts (RULES.md section 5): salutations, days in words, blank cells, limits, templates."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from followsync.config import Config, Profile, Rules
from followsync.core import drafts, lint, schema, wording
from followsync.errors import ConfigError

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # a Wednesday
TODAY = NOW.date()
PROFILE = Profile(
    name="Alex Morgan",
    email="alex@example.com",
    phone="+44 20 7946 0000",
    highlights="eight years of B2B marketing and a record of launches on time",
)
WITH_PROFILE = Config(profile=PROFILE)
NO_PROFILE = Config()

BASE = {
    "ID": "acme-1",
    "Company": "Acme",
    "Job title": "Marketing Manager",
    "Interview at": "2026-11-24 14:00",
    "Interviewer": "Ms. Jane Jones",
    "Interviewer role": "Marketing Director",
    "Status": "",
}
# rule, medium and status the plan gives for each draft kind
PLANS = {
    wording.THANK_YOU: (7, "email", "Interviewed"),
    wording.FOLLOW_UP: (9, "email", "Interviewed"),
    wording.REMINDER: (10, "email", "Waiting"),
    wording.CALL_SCRIPT: (11, "phone", "Waiting"),
    wording.OTHER_CONTACT: (11, "other_contact", "Waiting"),
    wording.FINAL_NOTE: (12, "email", "Waiting"),
    wording.REJECTION_REPLY: (3, "email", "Rejected"),
}
LABELS = {
    3: "Reply to the rejection",
    7: "Send thank-you note",
    9: "Follow up",
    10: "Send a friendly reminder",
    11: "Call or try another contact",
    12: "Send a final note and move on",
}


def tracker(*rows: dict) -> pd.DataFrame:
    """The typed frame of a tracker holding these rows (dicts of header -> cell)."""
    header: list[str] = []
    for r in rows:
        header += [h for h in r if h not in header]
    for h in ("Company", "Job title", "Interviewer"):  # the header needs three known names
        if h not in header:
            header.append(h)
    grid = [header] + [[r.get(h) for h in header] for r in rows]
    t = schema.frame(grid, "Tracker")
    assert t is not None and not t.problems, t and t.problems
    return t.frame


def plan_for(frame: pd.DataFrame, *entries: tuple[int, str, str], due: str | None = None) -> pd.DataFrame:
    """A hand-built plan: one (rule, medium, status) per row (all due on ``due``, else never)."""
    return pd.DataFrame(
        {
            "rule": [e[0] for e in entries],
            "next_action": [LABELS.get(e[0], "") for e in entries],
            "due": pd.Timestamp(due) if due else pd.NaT,
            "colour": "",
            "reminder": "",
            "medium": [e[1] for e in entries],
            "status": [e[2] for e in entries],
        },
        index=frame.index,
    )


def render_one(
    row: dict, kind: str, config: Config = WITH_PROFILE, now: dt.datetime = NOW, due: str | None = None
) -> pd.Series:
    frame = tracker(row)
    return drafts.render(frame, plan_for(frame, PLANS[kind], due=due), now, config).iloc[0]


def row_for(kind: str, **cells) -> dict:
    """A row that plausibly reaches the rule of ``kind``."""
    row = dict(BASE)
    if kind != wording.THANK_YOU:
        row.update({"Interview at": "2026-11-03", "Thank-you sent": "2026-11-04"})
    if kind in (wording.REMINDER, wording.CALL_SCRIPT, wording.OTHER_CONTACT, wording.FINAL_NOTE):
        n = {wording.REMINDER: 1, wording.FINAL_NOTE: 3}.get(kind, 2)
        row.update({"Follow-ups sent": n, "Last follow-up": "2026-11-17"})
    if kind == wording.CALL_SCRIPT:
        row.update({"OK to call": "yes", "Interviewer phone": "+49 30 1234"})
    if kind == wording.OTHER_CONTACT:
        row["Other contact"] = "Ana Ruiz <ana@acme.com>"
    if kind == wording.REJECTION_REPLY:
        row.update({"Status": "Rejected", "Response on": "2026-11-24"})
    row.update(cells)
    return row


ARTEFACTS = re.compile(r"  | [,.;:?!]|\(\)|about \.|including ,|\.\.|,,|\n\n\n|^\s|\s$|\b(?:None|nan|NaT)\b")


def assert_clean(text: str) -> None:
    assert not ARTEFACTS.search(text), f"artefact {ARTEFACTS.search(text)!r} in:\n{text}"
    for line in text.splitlines():
        assert line == line.strip()


# ----------------------------------------------------------------------------------------
# Salutation, names, days


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Ms. Jane Jones", "Dear Ms. Jones"),
        ("Ms Jane Jones", "Dear Ms. Jones"),
        ("Mr. John Smith", "Dear Mr. Smith"),
        ("Mrs. Ana Ruiz", "Dear Mrs. Ruiz"),
        ("Mx. Sam Lee", "Dear Mx. Lee"),
        ("Dr. Lee", "Dear Dr. Lee"),
        ("Prof. Anna van der Berg", "Dear Prof. van der Berg"),
        ("Professor Ada Byron", "Dear Prof. Byron"),
        ("Jane Jones", "Dear Jane Jones"),
        ("Sam Patel", "Dear Sam Patel"),
        ("Jane Jones, PhD", "Dear Jane Jones"),
        ("Jane", "Dear Jane"),
        ("Ms. Jane Jones and Dr. Lee", "Dear Ms. Jones and Dr. Lee"),
        ("", "Dear Hiring Manager"),
        ("   ", "Dear Hiring Manager"),
    ],
)
def test_salutation(cell, expected):
    assert wording.salutation(cell) == expected


@pytest.mark.parametrize(
    ("interviewer", "expected"),
    [("Ms. Jane Jones", "Dear Ms. Jones,"), ("Jane Jones", "Dear Jane Jones,"), ("", "Dear Hiring Manager,")],
)
def test_rendered_messages_open_with_the_salutation(interviewer, expected):
    for kind in (
        wording.THANK_YOU,
        wording.FOLLOW_UP,
        wording.REMINDER,
        wording.FINAL_NOTE,
        wording.REJECTION_REPLY,
    ):
        d = render_one(row_for(kind, Interviewer=interviewer), kind)
        assert d.draft_message.splitlines()[0] == expected, kind


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 25), "today"),
        (dt.date(2026, 11, 24), "yesterday"),
        (dt.date(2026, 11, 23), "on Monday"),
        (dt.date(2026, 11, 19), "on Thursday"),  # six days ago: still the weekday
        (dt.date(2026, 11, 18), "on 18 November"),  # a week ago: the date
        (dt.date(2026, 11, 3), "on 3 November"),
        (dt.date(2025, 12, 30), "on 30 December 2025"),
        (None, ""),
    ],
)
def test_day_in_words(day, expected):
    assert drafts.day_in_words(day, TODAY) == expected


@pytest.mark.parametrize(
    ("interview_at", "due", "day"),
    [
        # on the interview's day, the thank-you due tomorrow: tomorrow its urgency changes anyway
        ("2026-11-25 08:00", "2026-11-26", "today"),
        ("2026-11-24 14:00", "2026-11-25", "yesterday"),  # due today: tomorrow it is overdue
        # any other day the date, true whenever the draft is sent (issue 19)
        ("2026-11-24 14:00", "2026-11-27", "on 24 November"),
        ("2026-11-20", "2026-11-21", "on 20 November"),
        ("2026-11-20", None, "on 20 November"),
        ("3 Nov 2026", "2026-11-04", "on 3 November"),
    ],
)
def test_thank_you_names_the_interview_day(interview_at, due, day):
    row = row_for(wording.THANK_YOU, **{"Interview at": interview_at})
    d = render_one(row, wording.THANK_YOU, due=due)
    assert f"interview me for the Marketing Manager position at Acme {day}." in d.draft_message


def test_a_stored_draft_reads_the_same_the_next_day_unless_its_urgency_changes():
    """Issue 19: an overdue thank-you's draft names the date, so the next morning writes nothing."""
    row = row_for(wording.THANK_YOU, **{"Interview at": "2026-11-20"})
    days = [
        render_one(row, wording.THANK_YOU, now=NOW + dt.timedelta(days=k), due="2026-11-21")
        for k in (0, 1, 2)
    ]
    assert days[0].equals(days[1]) and days[1].equals(days[2])
    assert "on 20 November" in days[0].linkedin_note


# ----------------------------------------------------------------------------------------
# Each kind


def test_thank_you_note_has_every_part():
    d = render_one(
        row_for(
            wording.THANK_YOU,
            **{"Talking points": "The CRM rollout; team structure", "Open questions": "Is the role hybrid?"},
        ),
        wording.THANK_YOU,
    )
    assert d.draft_subject == "Thank you for the Marketing Manager interview at Acme"
    m = d.draft_message
    assert m.startswith("Dear Ms. Jones,\n\nThank you for taking the time to interview me")
    assert "I enjoyed our conversation about the CRM rollout and team structure." in m
    assert "I am very interested in joining the team at Acme" in m  # restates interest
    assert "including eight years of B2B marketing and a record of launches on time," in m  # profile default
    assert "I would also like to ask: Is the role hybrid?" in m
    assert "next steps" in m and "further information" in m  # call to action
    assert m.endswith("Best regards,\nAlex Morgan\n+44 20 7946 0000\nalex@example.com")
    assert_clean(m)


def test_row_highlights_win_over_the_profile_default():
    d = render_one(row_for(wording.FOLLOW_UP, Highlights="Ten years of Python"), wording.FOLLOW_UP)
    assert "including ten years of Python," in d.draft_message
    assert "B2B" not in d.draft_message


def test_talking_points_as_sentences_stay_sentences():
    d = render_one(
        row_for(wording.THANK_YOU, **{"Talking points": "We discussed the Q3 dashboard."}), wording.THANK_YOU
    )
    assert "I enjoyed our conversation. We discussed the Q3 dashboard." in d.draft_message
    assert_clean(d.draft_message)


def test_follow_up_asks_politely_for_a_status_update():
    d = render_one(row_for(wording.FOLLOW_UP), wording.FOLLOW_UP)
    assert d.draft_subject == "Following up on the Marketing Manager position at Acme"
    assert (
        "follow up on my interview for the Marketing Manager position at Acme on 3 November"
        in d.draft_message
    )
    assert "let me know the status of my application and the next steps" in d.draft_message


def test_reminder_and_the_extra_email_of_rule_11():
    reminder = render_one(row_for(wording.REMINDER), wording.REMINDER)
    assert "follow up again on my application" in reminder.draft_message
    frame = tracker(row_for(wording.REMINDER, **{"Follow-ups sent": 2}))
    again = drafts.render(frame, plan_for(frame, (11, "email", "Waiting")), NOW, WITH_PROFILE).iloc[0]
    assert (
        again.draft_subject
        == "Following up again on my application for the Marketing Manager position at Acme"
    )
    assert "follow up once more on my application" in again.draft_message


def test_call_script_for_rule_11_by_phone():
    d = render_one(row_for(wording.CALL_SCRIPT), wording.CALL_SCRIPT)
    assert d.draft_subject == ""
    m = d.draft_message
    assert m.startswith("Call Ms. Jane Jones on +49 30 1234.")
    assert '"Hello Ms. Jones, this is Alex Morgan.' in m
    assert "update on the timeline or the next steps?" in m
    assert "voicemail" in m and "+44 20 7946 0000" in m
    assert drafts.word_count(m) <= 200


def test_email_to_the_other_contact_for_rule_11():
    d = render_one(row_for(wording.OTHER_CONTACT), wording.OTHER_CONTACT)
    m = d.draft_message
    assert m.startswith("Dear Ana Ruiz,\n\n")
    assert (
        "I interviewed with Ms. Jane Jones (Marketing Director) for the Marketing Manager position at Acme"
        in m
    )
    assert "status of my application" in m
    nameless = render_one(
        row_for(wording.OTHER_CONTACT, **{"Other contact": "hr@acme.com"}), wording.OTHER_CONTACT
    )
    assert nameless.draft_message.startswith("Dear Hiring Team,")


def test_final_note_thanks_regrets_and_asks_for_feedback_and_referral():
    d = render_one(row_for(wording.FINAL_NOTE), wording.FINAL_NOTE)
    m = d.draft_message
    assert d.draft_subject == "Thank you, and a last note on the Marketing Manager position at Acme"
    assert "Thank you again for your time" in m
    assert "I am sorry" in m
    assert "feedback" in m and "referral" in m


def test_rejection_reply_thanks_respects_and_asks_for_feedback_and_referral():
    d = render_one(row_for(wording.REJECTION_REPLY), wording.REJECTION_REPLY)
    m = d.draft_message
    assert d.draft_subject == "Thank you for the update on the Marketing Manager position at Acme"
    assert "Thank you for letting me know about your decision" in m
    assert "I respect your choice" in m
    assert "feedback" in m and "refer me" in m


def test_rules_without_a_draft_leave_it_blank_and_the_index_is_kept():
    rows = [row_for(wording.FOLLOW_UP, ID=f"r{i}") for i in range(9)]
    frame = tracker(*rows)
    frame.index = pd.Index([10, 11, 12, 13, 14, 15, 16, 17, 18])
    plan = plan_for(frame, *[(r, "", "Interviewed") for r in (0, 1, 2, 4, 5, 6, 8, 13, 9)])
    out = drafts.render(frame, plan, NOW, WITH_PROFILE)
    assert list(out.index) == list(frame.index)
    assert list(out.columns) == ["draft_subject", "draft_message", "linkedin_note"]
    assert (out.draft_message.iloc[:8] == "").all() and (out.draft_subject.iloc[:8] == "").all()
    assert out.draft_message.iloc[8].startswith("Dear Ms. Jones,")


# ----------------------------------------------------------------------------------------
# LinkedIn note


@pytest.mark.parametrize(
    ("cells", "status", "wanted"),
    [
        ({}, "Interviewed", True),
        ({"Interview at": "2026-11-25 17:00"}, "Interviewed", True),  # later today: I <= today
        ({"Interview at": "2026-11-26"}, "Interview scheduled", False),  # tomorrow
        ({"Interview at": None}, "Applied", False),
        ({"Interviewer": ""}, "Interviewed", False),
        ({"LinkedIn": "2026-11-24"}, "Interviewed", False),
        ({"LinkedIn": "https://www.linkedin.com/in/janejones"}, "Interviewed", False),
        ({}, "Closed", False),
        ({}, "Withdrawn", False),
        ({}, "Rejected", True),
    ],
)
def test_linkedin_note_when_rules_section_5_says(cells, status, wanted):
    frame = tracker({**BASE, **cells})
    out = drafts.render(frame, plan_for(frame, (0, "", status)), NOW, WITH_PROFILE).iloc[0]
    assert bool(out.linkedin_note) is wanted
    if wanted:
        assert out.linkedin_note.startswith(
            "Hello Ms. Jones, I'm Alex Morgan, and I interviewed with you for"
        )
        assert "connect" in out.linkedin_note


def test_linkedin_note_is_casual_without_an_honorific_and_fits():
    frame = tracker({**BASE, "Interviewer": "Jane Jones", "Talking points": "your design system"})
    note = (
        drafts.render(frame, plan_for(frame, (7, "email", "Interviewed"), due="2026-11-25"), NOW, NO_PROFILE)
        .iloc[0]
        .linkedin_note
    )
    assert note == (
        "Hi Jane, I interviewed with you for the Marketing Manager position at Acme yesterday. "
        "I enjoyed our conversation about your design system. I would love to connect and stay in touch. "
        "Thank you for your time!"
    )
    assert "\n" not in note


# ----------------------------------------------------------------------------------------
# Blank cells


BLANKABLE = (
    "Job title",
    "Company",
    "Interviewer",
    "Interviewer role",
    "Talking points",
    "Highlights",
    "Open questions",
)


@pytest.mark.parametrize("kind", list(PLANS))
@pytest.mark.parametrize("config", [WITH_PROFILE, NO_PROFILE], ids=["profile", "no-profile"])
def test_blank_cells_leave_no_empty_sentences(kind, config):
    variants = [
        {},
        {h: "" for h in BLANKABLE},
        {"Job title": ""},
        {"Company": ""},
        {"Interviewer": "", "Talking points": "the roadmap"},
        {"Talking points": "", "Open questions": "", "Highlights": ""},
        {"Talking points": "  ;  \n - ", "Open questions": "", "Highlights": "."},
    ]
    for cells in variants:
        d = render_one(row_for(kind, **cells), kind, config)
        assert_clean(d.draft_message)
        assert d.draft_subject == d.draft_subject.strip() and "  " not in d.draft_subject
        assert_clean(d.linkedin_note) if d.linkedin_note else None
        if kind != wording.CALL_SCRIPT:
            assert d.draft_subject
        for blank in ("about .", "including ,", "for  ", "ask: \n", "mention: ."):
            assert blank not in d.draft_message


def test_blank_job_title_and_company_still_make_sense():
    row = row_for(wording.THANK_YOU, **{"Job title": "", "Company": ""})
    d = render_one(row, wording.THANK_YOU, due="2026-11-25")
    assert d.draft_subject == "Thank you for the interview"
    assert "interview me for the position yesterday." in d.draft_message
    assert "joining your team" in d.draft_message


def test_rejection_without_an_interview_date():
    d = render_one(row_for(wording.REJECTION_REPLY, **{"Interview at": None}), wording.REJECTION_REPLY)
    assert "hiring process. I respect your choice" in d.draft_message
    assert_clean(d.draft_message)


# ----------------------------------------------------------------------------------------
# Limits


def _words(n: int, tag: str) -> str:
    return " ".join(f"{tag}{i:05d}" for i in range(n))


def _assert_whole_words(message: str, source: str) -> None:
    """Every token of the source's vocabulary in the message is a whole source token."""
    vocab = set(source.split())
    for token in re.findall(r"\b[a-z]+\d+\b", message):
        assert token in vocab, f"cut mid-word: {token!r}"


@pytest.mark.parametrize("kind", list(PLANS))
@pytest.mark.parametrize("config", [WITH_PROFILE, NO_PROFILE], ids=["profile", "no-profile"])
def test_limits_hold_for_10000_character_optional_parts(kind, config):
    tp, hl, oq = _words(1400, "talk")[:10_000], _words(1400, "high")[:10_000], _words(1400, "open")[:10_000]
    row = row_for(
        kind, **{"Talking points": tp, "Highlights": hl, "Open questions": oq, "Interviewer": "Jane Jones"}
    )
    d = render_one(row, kind, config)
    assert drafts.word_count(d.draft_message) <= 200
    assert drafts.linkedin_length(d.linkedin_note) <= 300
    for text in (d.draft_message, d.linkedin_note):
        _assert_whole_words(text, " ".join((tp, hl, oq)))
        assert_clean(text)
    assert (
        lint.lint_draft(d.draft_subject, d.draft_message, kind=kind, row=tracker(row).iloc[0], config=config)
        == []
    )
    # the optional parts were shortened, not all dropped: the message still uses some
    if kind != wording.REJECTION_REPLY:
        assert re.search(r"\b(?:talk|high|open)\d+", d.draft_message + d.linkedin_note)


@pytest.mark.parametrize("kind", list(PLANS))
def test_limits_hold_when_every_cell_is_huge(kind):
    huge = _words(1400, "huge")[:10_000]
    cells = {
        h: huge
        for h in (
            "Company",
            "Job title",
            "Interviewer role",
            "Talking points",
            "Highlights",
            "Open questions",
        )
    }
    cells["Interviewer"] = "Jane " + huge
    d = render_one(row_for(kind, **cells), kind)
    assert drafts.word_count(d.draft_message) <= 200
    assert drafts.linkedin_length(d.linkedin_note) <= 300
    _assert_whole_words(d.draft_message + " " + d.draft_subject + " " + d.linkedin_note, huge)


def test_linkedin_counts_utf16_code_units():
    assert drafts.linkedin_length("abc") == 3
    assert drafts.linkedin_length("é") == 1
    assert drafts.linkedin_length("🚀") == 2  # outside the BMP: two UTF-16 code units
    assert drafts.linkedin_length("a\r\nb") == 3  # a line break counts once
    rocket = " ".join(["🚀launch"] * 200)
    frame = tracker({**BASE, "Talking points": rocket})
    note = (
        drafts.render(frame, plan_for(frame, (7, "email", "Interviewed")), NOW, WITH_PROFILE)
        .iloc[0]
        .linkedin_note
    )
    assert 250 < drafts.linkedin_length(note) <= 300
    assert len(note) < drafts.linkedin_length(note)  # the emoji counted twice


def test_smaller_configured_limits_hold_and_still_pass_lint():
    config = Config(profile=PROFILE, rules=Rules(max_words=50, linkedin_note_chars=120))
    for kind in PLANS:
        row = row_for(kind, **{"Talking points": "the CRM rollout", "Open questions": "Is the role hybrid?"})
        d = render_one(row, kind, config)
        assert drafts.word_count(d.draft_message) <= 50, (kind, d.draft_message)
        assert drafts.linkedin_length(d.linkedin_note) <= 120
        assert (
            lint.lint_draft(
                d.draft_subject, d.draft_message, kind=kind, row=tracker(row).iloc[0], config=config
            )
            == []
        )
        assert lint.lint_linkedin(d.linkedin_note, row=tracker(row).iloc[0], config=config) == []


def test_shorten_never_cuts_a_word_or_dangles():
    assert drafts.shorten_words("the CRM rollout and the team structure", 4) == "the CRM rollout"
    assert drafts.shorten_words("short", 10) == "short"
    assert drafts.shorten_chars("the CRM rollout and the team", 17) == "the CRM rollout"
    assert drafts.shorten_chars("supercalifragilistic", 5) == ""


# ----------------------------------------------------------------------------------------
# Lint passes on what we generate


@pytest.mark.parametrize("config", [WITH_PROFILE, NO_PROFILE], ids=["profile", "no-profile"])
def test_every_generated_draft_passes_lint(config):
    rows, entries = [], []
    variants = [
        {},
        {"Interviewer": ""},
        {"Interviewer": "Dr. Lee"},
        {"Talking points": "We talked about growth"},
        {"Open questions": "relocation; start date"},
        {"Job title": "", "Company": ""},
    ]
    for kind, plan in PLANS.items():
        for i, cells in enumerate(variants):
            rows.append(row_for(kind, ID=f"{kind}-{i}", **cells))
            entries.append(plan)
    frame = tracker(*rows)
    plan = plan_for(frame, *entries)
    out = drafts.render(frame, plan, NOW, config)
    assert (out.draft_message != "").all()
    assert lint.lint_frame(frame, plan, out, config) == {}
    if config is NO_PROFILE:
        emails = out.draft_message[plan["medium"] != "phone"]
        assert emails.str.endswith("Best regards,").all()


# ----------------------------------------------------------------------------------------
# Templates


def test_a_template_in_templates_dir_overrides_the_shipped_one(tmp_path):
    (tmp_path / "thank_you.j2").write_text(
        "{% set subject %}Thanks, {{ company }}!{% endset %}{{ salutation }}, thanks for {{ day }}. "
        "What are the next steps?\n\n{% include '_signoff.j2' %}\n",
        encoding="utf-8",
    )
    config = Config(profile=PROFILE, templates_dir=tmp_path)
    d = render_one(row_for(wording.THANK_YOU), wording.THANK_YOU, config, due="2026-11-25")
    assert d.draft_subject == "Thanks, Acme!"
    assert d.draft_message.startswith(
        "Dear Ms. Jones, thanks for yesterday. What are the next steps?\n\nBest regards,\nAlex Morgan"
    )
    # the other kinds still come from the shipped templates
    assert render_one(row_for(wording.FOLLOW_UP), wording.FOLLOW_UP, config).draft_subject.startswith(
        "Following up on"
    )


def test_a_template_syntax_error_names_the_file_and_line(tmp_path):
    (tmp_path / "follow_up.j2").write_text(
        "{{ salutation }},\n\nHello\n{% if company %}\nno endif\n", encoding="utf-8"
    )
    with pytest.raises(drafts.TemplateError) as e:
        render_one(row_for(wording.FOLLOW_UP), wording.FOLLOW_UP, Config(templates_dir=tmp_path))
    assert isinstance(e.value, ConfigError)
    assert str(tmp_path / "follow_up.j2") in e.value.message
    assert "line 5" in e.value.message  # where the template ends with the if still open


def test_an_undefined_variable_names_the_file_and_line(tmp_path):
    (tmp_path / "reminder.j2").write_text(
        "{{ salutation }},\n\nWe met {{ interveiwer }}.\n", encoding="utf-8"
    )
    with pytest.raises(drafts.TemplateError) as e:
        render_one(row_for(wording.REMINDER), wording.REMINDER, Config(templates_dir=tmp_path))
    assert str(tmp_path / "reminder.j2") in e.value.message
    assert "line 3" in e.value.message
    assert "interveiwer" in e.value.message


def test_every_shipped_template_uses_only_documented_variables():
    env = drafts.environment(None)
    from jinja2 import meta

    for name in (*drafts.TEMPLATES.values(), drafts.SIGNOFF_TEMPLATE):
        source = env.loader.get_source(env, name)[0]
        used = meta.find_undeclared_variables(env.parse(source))
        assert used <= set(drafts.VARIABLES), (name, used - set(drafts.VARIABLES))
