"""Lint (RULES.md section 6): each rule with a draft that fails it and one that passes."""

from __future__ import annotations

import pandas as pd
import pytest

from followsync.config import Config, Profile, Rules
from followsync.core import drafts, lint, schema, wording

PROFILE = Profile(name="Alex Morgan", email="alex@example.com", phone="+44 20 7946 0000")
CONFIG = Config(profile=PROFILE)
NO_PROFILE = Config()
ROW = {
    "company": "Acme",
    "job_title": "Marketing Manager",
    "interviewer": "Ms. Jane Jones",
    "other_contact": "",
}
NAMELESS_ROW = {**ROW, "interviewer": ""}

GOOD = (
    "Dear Ms. Jones,\n\n"
    "Thank you for taking the time to interview me for the Marketing Manager position yesterday. "
    "I would appreciate it if you could let me know the next steps.\n\n"
    "Best regards,\nAlex Morgan\n+44 20 7946 0000\nalex@example.com"
)
SUBJECT = "Following up on the Marketing Manager position at Acme"


def findings(message: str, *, subject: str = SUBJECT, kind: str = wording.FOLLOW_UP, row=ROW, config=CONFIG):
    return lint.lint_draft(subject, message, kind=kind, row=row, config=config)


def test_a_good_draft_passes():
    assert findings(GOOD) == []
    assert findings(GOOD.replace("Alex Morgan\n", ""), config=NO_PROFILE) == []


# placeholder


@pytest.mark.parametrize(
    "placeholder", ["{{ interviewer }}", "[Name]", "[first name]", "<company>", "TODO", "TBD"]
)
def test_unfilled_placeholder_fails(placeholder):
    out = findings(GOOD.replace("the Marketing Manager position", f"the {placeholder} position"))
    assert len(out) == 1
    assert out[0].startswith("Draft message: has a") and "replace it with the real text" in out[0]
    assert findings(GOOD, subject=f"Following up on {placeholder}")[0].startswith("Draft subject: has a")


def test_an_email_address_in_angle_brackets_is_no_placeholder():
    assert findings(GOOD.replace("yesterday.", "yesterday (cc <ana@acme.com>).")) == []


# generic salutation


def test_dear_hiring_manager_fails_when_the_row_names_the_interviewer():
    generic = GOOD.replace("Dear Ms. Jones", "Dear Hiring Manager")
    out = findings(generic)
    assert out == [
        "Draft message: opens with 'Dear Hiring Manager' although the row names Ms. Jane Jones; address them by name"
    ]
    assert findings(generic, row=NAMELESS_ROW) == []
    assert findings(GOOD.replace("Dear Ms. Jones", "To whom it may concern")) != []


def test_generic_salutation_for_the_other_contact_is_judged_by_the_contact():
    generic = GOOD.replace("Dear Ms. Jones", "Dear Hiring Team")
    named = {**ROW, "other_contact": "Ana Ruiz <ana@acme.com>"}
    assert "names Ana Ruiz" in findings(generic, kind=wording.OTHER_CONTACT, row=named)[0]
    assert findings(generic, kind=wording.OTHER_CONTACT, row={**ROW, "other_contact": "hr@acme.com"}) == []


# call to action


def test_no_call_to_action_fails():
    flat = GOOD.replace(
        "I would appreciate it if you could let me know the next steps.", "It was a pleasure."
    )
    out = findings(flat)
    assert out == [
        "Draft message: has no call to action; ask for an update, the timeline or the next steps, "
        "and offer more information"
    ]
    assert findings(flat.replace("It was a pleasure.", "Is there an update on the timeline?")) == []
    assert findings(flat.replace("It was a pleasure.", "I would welcome any feedback.")) == []


# limits


def test_word_limit():
    config = Config(profile=PROFILE, rules=Rules(max_words=60))
    at_limit = GOOD.replace(
        "yesterday.", "yesterday. " + " ".join(["Truly"] * (60 - drafts.word_count(GOOD)))
    )
    assert drafts.word_count(at_limit) == 60
    assert findings(at_limit, config=config) == []
    over = at_limit.replace("Truly", "Truly truly", 1)
    assert findings(over, config=config) == [
        "Draft message: has 61 words, more than the 60 allowed (max_words); shorten it"
    ]


def test_linkedin_character_limit_counts_as_linkedin_does():
    config = Config(profile=PROFILE, rules=Rules(linkedin_note_chars=60))
    note = "Hi Jane, thank you for the interview. I'd love to connect!"
    note = note + "!" * (60 - len(note))
    assert lint.lint_linkedin(note, row=ROW, config=config) == []
    over = note[:-1] + "🚀"  # 60 code points, 61 UTF-16 code units
    assert len(over) == 60
    assert lint.lint_linkedin(over, row=ROW, config=config) == [
        "LinkedIn note: has 61 characters, more than LinkedIn's 60 (linkedin_note_chars); shorten it"
    ]


def test_linkedin_note_placeholder_and_generic_greeting():
    assert lint.lint_linkedin("Hi [Name], I'd love to connect.", row=ROW, config=CONFIG)[0].startswith(
        "LinkedIn note: has a placeholder"
    )
    assert (
        "address them by name" in lint.lint_linkedin("Hi team, great to meet you.", row=ROW, config=CONFIG)[0]
    )
    assert lint.lint_linkedin("", row=ROW, config=CONFIG) == []


# pushy phrasing


@pytest.mark.parametrize(
    "phrase",
    [
        "Just checking in",
        "just checking in",
        "Please reply ASAP",
        "This is urgent",
        "It is urgently needed",
        "Why haven't you replied",
        "Any news?",
        "I need this job",
        "I am desperate",
        "I am still waiting",
        "I have been waiting for weeks",
        "Please respond immediately",
        "Let me know as soon as possible",
    ],
)
def test_pushy_phrasing_fails(phrase):
    out = findings(GOOD.replace("Thank you for taking", f"{phrase}. Thank you for taking"))
    assert len(out) == 1, out
    assert "which reads as pushy" in out[0] and out[0].startswith("Draft message: says '")


def test_pushy_finding_says_what_to_do_instead():
    out = findings(GOOD.replace("Thank you", "I am just checking in. Thank you", 1))
    assert out == [
        "Draft message: says 'just checking in', which reads as pushy; ask for an update on the timeline instead"
    ]


@pytest.mark.parametrize(
    "harmless",
    [
        "the insurgent startup",
        "Basap Ltd",
        "any news about the launch",
        "I can start as soon as possible",
        "Urgentia GmbH",
    ],
)
def test_pushy_words_only_match_as_whole_words_and_phrases(harmless):
    assert findings(GOOD.replace("yesterday.", f"yesterday, about {harmless}.")) == []


def test_pushy_subject_fails():
    assert findings(GOOD, subject="URGENT: Marketing Manager")[0].startswith("Draft subject: says 'URGENT'")


# sign-off


def test_no_sign_off_fails():
    bare = GOOD.split("Best regards,")[0].strip()
    assert findings(bare) == [
        "Draft message: has no sign-off; end with 'Best regards,' and your name (Alex Morgan)"
    ]
    assert findings(bare, config=NO_PROFILE) == ["Draft message: has no sign-off; end with 'Best regards,'"]


def test_sign_off_without_the_senders_name_fails_when_the_profile_has_one():
    unnamed = GOOD.replace("Alex Morgan\n", "")
    assert findings(unnamed) == [
        "Draft message: the sign-off does not give your name; put 'Alex Morgan' under 'Best regards,'"
    ]
    assert findings(unnamed, config=NO_PROFILE) == []
    assert findings(GOOD.replace("Best regards,", "Kind regards,")) == []
    assert findings(GOOD.replace("Best regards,", "Thanks,")) == []


def test_call_script_needs_no_sign_off_or_salutation():
    script = 'Call Ms. Jane Jones on +49 30 1234.\n\n"Hello Ms. Jones. Is there an update on the next steps?"'
    assert findings(script, subject="", kind=wording.CALL_SCRIPT) == []


# lint_frame


def test_lint_frame_lints_edited_drafts_and_reports_only_rows_with_findings():
    header = ["ID", "Company", "Job title", "Interviewer", "Other contact"]
    grid = [header, ["a", "Acme", "PM", "Ms. Jane Jones", ""], ["b", "Globex", "PM", "Sam Patel", "Ana Ruiz"]]
    frame = schema.frame(grid, "Tracker").frame
    plan = pd.DataFrame({"rule": [9, 11], "medium": ["email", "other_contact"]}, index=frame.index)
    edited = GOOD.replace("Thank you", "Just checking in. Thank you", 1)
    to_ana = GOOD.replace("Dear Ms. Jones", "Dear Hiring Manager")
    drafts_df = pd.DataFrame(
        {
            "draft_subject": [SUBJECT, SUBJECT],
            "draft_message": [edited, to_ana],
            "linkedin_note": ["Hi Jane, I'd love to connect. ASAP!", ""],
        },
        index=frame.index,
    )
    out = lint.lint_frame(frame, plan, drafts_df, CONFIG)
    assert list(out) == list(frame.index)
    assert any("just checking in" in f.lower() for f in out[frame.index[0]])
    assert any(f.startswith("LinkedIn note: says 'ASAP'") for f in out[frame.index[0]])
    assert out[frame.index[1]] == [
        "Draft message: opens with 'Dear Hiring Manager' although the row names Ana Ruiz; address them by name"
    ]
    drafts_df.loc[:, "draft_message"] = [GOOD, GOOD.replace("Dear Ms. Jones", "Dear Ana Ruiz")]
    drafts_df.loc[:, "linkedin_note"] = ""
    assert lint.lint_frame(frame, plan, drafts_df, CONFIG) == {}
