"""Issue 16: drafts, Reminders and Expected response by in German, French and Spanish."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo

import pytest

from followsync.config import Config, Profile, from_dict
from followsync.core import cells, drafts, language, lint, rules, schema, shipped
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout
from followsync.core.wording import parse_person

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
TODAY = NOW.date()
HIGHLIGHTS = {
    "de": "acht Jahre B2B-Marketing und Produkteinführungen, die stets pünktlich kamen",
    "fr": "huit ans de marketing B2B et des lancements toujours livrés dans les délais",
    "es": "ocho años de marketing B2B y lanzamientos siempre entregados a tiempo",
}
# English words that are not also words of German, French or Spanish ("in", "an", "on", "a",
# "die", "me", "team", "will", "also", "has", "or", "position", "feedback" are, so they are not here).
_STOP_WORDS = """the and of to for you your with is are be been being please thank thanks dear regards best
    would could should my our we this that these those have had about interview
    interviewed role update hello hi yesterday today tomorrow from it its at by
    if any look looking forward hear hearing since still very much again ask
    opportunity time consideration sincerely wishes following follow up next steps call
    referral week monday tuesday wednesday thursday friday saturday sunday january
    february march june july october december"""
ENGLISH_STOP_WORDS = set(_STOP_WORDS.split())


def demo(lang: str, **config):
    names = [lc.column.name for lc in load_layout().columns]
    rows = demo_rows(TODAY, lang)
    tracker = schema.frame([names] + [[r.get(n) for n in names] for r in rows], "Tracker")
    assert tracker is not None
    profile = Profile(name="Alex Morgan", email="alex@example.com", phone="+44 20 7946 0000",
                      highlights=HIGHLIGHTS.get(lang, ""))  # fmt: skip
    cfg = Config(profile=profile, language=lang, **config)
    plan = rules.plan(tracker.frame, NOW, cfg.rules, cfg.language)
    return tracker, plan, drafts.render(tracker.frame, plan, NOW, cfg), cfg


def english_words(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)
    names = {"Alex", "Morgan", "Jones", "Jane", "Becker", "Tom", "Lena", "Fischer", "Ola", "Nordmann", "Ana",
             "Ruiz", "Claire", "Dubois", "Pieter", "Vries", "Noah", "Tremblay", "Priya", "Raman"}  # fmt: skip
    return {w for w in words if w.lower() in ENGLISH_STOP_WORDS and w not in names}


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_the_demo_in_another_language_has_no_english_word_and_passes_lint(lang):
    tracker, plan, out, cfg = demo(lang)
    assert not tracker.problems  # "nächste Woche", "dans 10 jours", "en 10 días" are understood
    texts = [t for column in out.columns for t in out[column] if t]
    assert len(texts) >= 15  # every kind of draft, and LinkedIn notes
    for text in texts:
        # Company names and job titles are the person's own words (Brightwave Media, Data Engineer).
        assert not english_words(text), (english_words(text), text)
    assert lint.lint_frame(tracker.frame, plan, out, cfg) == {}
    reminders = [r for r in plan["reminder"] if r]
    assert len(reminders) >= 10
    for r in reminders:  # Status values are the sheet's drop-down, in English
        assert not english_words(re.sub("|".join(schema.STATUSES), "", r)), r


def test_the_stop_word_check_catches_english():
    assert english_words("Sehr geehrte Frau Jones, thank you for the interview")
    _, _, out, _ = demo("en")
    assert english_words(out["draft_message"].iat[1])


def test_salutations_with_honorifics_and_the_neutral_forms():
    people = [parse_person("Ms. Jane Jones")]
    assert language.salutation(people, "de") == "Sehr geehrte Frau Jones"
    assert language.salutation([parse_person("Mr. Tom Becker")], "de") == "Sehr geehrter Herr Becker"
    assert language.salutation(people, "fr") == "Bonjour Madame Jones"
    assert language.salutation(people, "es") == "Estimada Sra. Jones"
    assert language.salutation([parse_person("Frau Anna Schmidt")], "de") == "Sehr geehrte Frau Schmidt"
    assert language.salutation([parse_person("Lena Fischer")], "de") == "Guten Tag, Lena Fischer"
    assert language.salutation([], "de") == "Sehr geehrte Damen und Herren"
    assert language.salutation([], "fr") == "Madame, Monsieur"
    assert language.salutation([], "es") == "Estimado equipo de selección"
    two = [parse_person("Ms. Jane Jones"), parse_person("Mr. Tom Becker")]
    assert language.salutation(two, "de") == "Sehr geehrte Frau Jones, sehr geehrter Herr Becker"


def test_day_phrases_and_dates_come_from_babel():
    tuesday = dt.date(2026, 11, 24)
    assert language.day_in_words(tuesday, TODAY, "de") == "gestern"
    assert language.day_in_words(dt.date(2026, 11, 20), TODAY, "de") == "am Freitag"
    assert language.day_in_words(dt.date(2026, 11, 3), TODAY, "fr") == "le 3 novembre"
    assert language.day_in_words(dt.date(2026, 11, 1), TODAY, "fr") == "le 1er novembre"
    assert language.day_in_words(dt.date(2025, 11, 3), TODAY, "es") == "el 3 de noviembre de 2025"
    assert language.day_in_words(TODAY, TODAY, "es") == "hoy"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nächste Woche", cells.Phrase("next_week")),
        ("bis Ende des Monats", cells.Phrase("end_of_month")),
        ("in zwei Wochen", cells.Phrase("days", 14)),
        ("dans 10 jours", cells.Phrase("days", 10)),
        ("d'ici vendredi", cells.Phrase("weekday", 4)),
        ("la próxima semana", cells.Phrase("next_week")),
        ("antes del viernes", cells.Phrase("weekday", 4)),
        ("a finales de mes", cells.Phrase("end_of_month")),
    ],
)
def test_expected_response_by_phrases_in_other_languages(text, expected):
    assert cells.parse_phrase(text) == expected


def test_a_language_cell_overrides_the_setting_for_its_row():
    tracker, _, _, cfg = demo("en")
    frame = tracker.frame.copy()
    i = frame.index[frame["company"] == "Brightwave Media"][0]
    frame.loc[i, "language"] = "de"
    plan = rules.plan(frame, NOW, cfg.rules, cfg.language)
    out = drafts.render(frame, plan, NOW, cfg)
    assert out.loc[i, "draft_message"].startswith("Sehr geehrte Frau Jones,")
    assert plan.loc[i, "reminder"].startswith("Heute fällig")
    other = frame.index[frame["company"] == "Cedar Health"][0]
    assert out.loc[other, "draft_message"].startswith("Dear Dr. Raman,")


def test_the_language_setting_per_tracker_and_a_custom_signoff():
    cfg = from_dict({"language": "fr", "trackers": [{"name": "sam", "location": "s.xlsx", "language": "es"}]})
    assert cfg.language == "fr" and cfg.trackers[0].language == "es"
    with pytest.raises(Exception, match="language"):
        from_dict({"language": "it"})
    # A custom set in another language declares its closing line and is linted by it.
    tracker, plan, out, cfg = demo("de")
    custom = dataclasses.replace(cfg, signoff="Hochachtungsvoll")
    assert any("Hochachtungsvoll" in " ".join(f) for f in lint.lint_frame(tracker.frame, plan, out, custom).values())
    changed = out.copy()
    changed["draft_message"] = changed["draft_message"].str.replace("Mit freundlichen Grüßen", "Hochachtungsvoll")
    assert lint.lint_frame(tracker.frame, plan, changed, custom) == {}


def test_lint_finds_pushy_generic_and_missing_call_to_action_per_language():
    row = {"interviewer": "Ms. Jane Jones", "language": "de"}
    cfg = Config(profile=Profile(name="Alex Morgan"), language="de")
    bad = "Sehr geehrte Damen und Herren,\n\nich warte immer noch, es ist dringend.\n\nMit freundlichen Grüßen\nAlex Morgan"
    found = " ".join(lint.lint_draft("Betreff", bad, kind="follow_up", row=row, config=cfg))
    assert "Sehr geehrte Damen und Herren" in found and "dringend" in found and "call to action" in found
    assert "sign-off" in " ".join(lint.lint_draft("", "Guten Tag,\n\nWie ist der Stand?", kind="follow_up", row=row, config=cfg))


def test_templates_get_raw_values():
    row = {"interview_at": dt.datetime(2026, 11, 24, 14, 30), "interview_at_has_time": True,
           "interviewer": "Ms. Jane Jones"}  # fmt: skip
    ctx = drafts.context(row, kind="thank_you", today=TODAY, profile=None, language="de")
    assert ctx["interview_date"] == dt.date(2026, 11, 24)
    assert ctx["interview_time"] == "14:30"
    assert ctx["interview_weekday"] == "Dienstag"
    assert (ctx["interviewer_honorific"], ctx["interviewer_given"], ctx["interviewer_surname"]) == ("Ms.", "Jane", "Jones")
    env = drafts.environment(None, "fr")
    assert env.from_string("{{ interview_date | date('EEEE d MMMM') }}").render(ctx) == "mardi 24 novembre"


def test_every_language_ships_every_template():
    english = set(shipped.names())
    for lang in ("de", "fr", "es"):
        assert set(shipped.names(f"{shipped.MESSAGES}/{lang}")) == english


def test_a_tracker_of_trackers_runs_in_its_own_language(tmp_path):
    from followsync import run

    cfg = from_dict({"trackers": [{"name": "sam", "location": str(tmp_path / "s.xlsx"), "language": "es"}]})
    assert run.configured(cfg, None).language == "es"
    assert run.for_tracker(cfg, cfg.trackers[0]).language == "es"
    assert run.configured(cfg, str(tmp_path / "other.xlsx")).language == "en"
