"""followsync.toml: defaults, validation that lists every problem, the starter file."""

from __future__ import annotations

import re
import tomllib

import pytest

from followsync import config
from followsync.errors import ConfigError


def test_no_config_at_all_is_fine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config.load()
    assert cfg == config.Config()
    assert cfg.rules.follow_up_gap_days == 7 and cfg.date_order == "DMY"


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "followsync.toml").write_text('[tracker]\nlocation = "here.xlsx"\n')
    assert config.load().location == "here.xlsx"
    other = tmp_path / "other.toml"
    other.write_text('[tracker]\nlocation = "env.xlsx"\n')
    monkeypatch.setenv("FOLLOWSYNC_CONFIG", str(other))
    assert config.load().location == "env.xlsx"
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[tracker]\nlocation = "explicit.xlsx"\n')
    assert config.load(explicit).location == "explicit.xlsx"


def test_user_config_dir_is_the_last_resort(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "xdg"
    (home / "followsync").mkdir(parents=True)
    (home / "followsync" / "followsync.toml").write_text('date_order = "MDY"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    assert config.load().date_order == "MDY"


def test_every_problem_listed_at_once():
    with pytest.raises(ConfigError) as e:
        config.from_dict(
            {
                "colour": "red",
                "date_order": "YMD",
                "timezone": "Mars/Olympus",
                "rules": {"soon_days": "two", "gap": 3, "skip_weekends": "yes"},
                "profile": {"name": 5},
            }
        )
    text = str(e.value)
    assert "5 problems" not in text  # counted exactly below
    for needle in [
        "unknown setting 'colour'",
        "date_order",
        "Mars/Olympus",
        "rules.soon_days",
        "rules.gap",
        "skip_weekends",
        "profile.name",
    ]:
        assert needle in text
    assert text.count("\n  - ") == 7


def test_final_after_must_exceed_call_after():
    with pytest.raises(ConfigError, match="final_after"):
        config.from_dict({"rules": {"call_after": 3, "final_after": 3}})


def test_paths_are_relative_to_the_config_file(tmp_path):
    p = tmp_path / "conf" / "followsync.toml"
    p.parent.mkdir()
    p.write_text('templates_dir = "mine"\n[google]\ncredentials = "~/sa.json"\n')
    cfg = config.load(p)
    assert cfg.templates_dir == p.parent / "mine"
    assert cfg.google_credentials is not None and "~" not in str(cfg.google_credentials)


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml")


def test_starter_file_is_valid_and_documents_every_profile_and_rule_setting():
    text = config.starter_toml("tracker.xlsx")
    assert config.from_dict(tomllib.loads(text)).location == "tracker.xlsx"
    for section in ("profile", "rules"):
        assert f"# [{section}]" in text
        for key in config.SPEC[section]:
            assert re.search(rf"^# {key} = ", text, re.M), key
    # Uncommenting everything gives a valid config too.
    uncommented = re.sub(r"(?m)^# (\[\w+\]|\w+ = )", r"\1", text)
    cfg = config.from_dict(tomllib.loads(uncommented))
    assert (
        cfg.profile.name == "Alex Morgan" and cfg.rules.max_words == 200 and cfg.timezone == "Europe/Berlin"
    )


def test_several_trackers_calendar_and_notify(tmp_path):
    p = tmp_path / "followsync.toml"
    p.write_text(
        '[tracker]\nlocation = "mine.xlsx"\n\n'
        '[[trackers]]\nname = "sam"\nlocation = "sam.xlsx"\n\n'
        '[[trackers]]\nname = "kim"\nlocation = "airtable:appX/Jobs"\nworksheet = "Jobs"\n\n'
        '[calendar]\npath = "due.ics"\n\n'
        '[notify]\nhost = "smtp.example.com"\nsender = "me@example.com"\nto = "me@example.com"\nusername = "me"\npassword_env = "SMTP_PASSWORD"\n'
    )
    cfg = config.load(p)
    assert [t.name for t in cfg.targets()] == ["tracker", "sam", "kim"]
    assert cfg.calendar_path == tmp_path / "due.ics"
    assert cfg.notify.host == "smtp.example.com" and "SMTP_PASSWORD" not in repr(cfg)


def test_tracker_list_and_notify_problems_are_listed_with_the_rest(tmp_path):
    with pytest.raises(ConfigError) as e:
        config.from_dict(
            {
                "trackers": [
                    {"name": "a", "location": "a.xlsx"},
                    {"name": "a"},
                    {"location": "b.xlsx", "colour": 1},
                ],
                "notify": {"host": "smtp.example.com", "form": "x"},
                "date_order": "YMD",
            }
        )
    text = str(e.value)
    for needle in (
        "location is required",
        "name is required",
        "'colour'",
        "notify.form",
        "notify.sender",
        "date_order",
    ):
        assert needle in text


def test_starter_file_read_back_gives_the_defaults_and_explains_every_setting():
    text = config.starter_toml("tracker.xlsx")
    assert config.from_dict(tomllib.loads(text)) == config.Config(location="tracker.xlsx")
    for name, spec in config.SPEC.items():
        if isinstance(spec, config.Setting):
            assert re.search(rf"^# {name} = ", text, re.M), name
            continue
        assert (f"# [[{name}]]" if spec.many else f"# [{name}]" if name != "tracker" else "[tracker]") in text
        for key in spec:
            assert re.search(rf"^#? *{key} = ", text, re.M), f"{name}.{key}"
    # Uncommenting every "# key = " line gives a valid [notify] too (one of the two passwords).
    uncommented = re.sub(r"(?m)^# (\[\w+\]|\w+ = )", r"\1", text)
    notify = config.from_dict(tomllib.loads(uncommented)).notify
    assert notify is not None and notify.password_env and notify.password_file is None


def test_dataclass_defaults_come_from_the_spec():
    from dataclasses import MISSING, fields

    for cls, section in (
        (config.Rules, "rules"),
        (config.Profile, "profile"),
        (config.NotifySettings, "notify"),
    ):
        spec = config.SPEC[section]
        assert isinstance(spec, config.Section)
        assert set(spec) == {f.name for f in fields(cls)}
        for f in fields(cls):
            if f.default is not MISSING:
                assert f.default == spec[f.name].default, f"{section}.{f.name}"


def test_config_error_lists_its_problems():
    with pytest.raises(ConfigError) as e:
        config.from_dict(
            {"date_order": "YMD", "notify": {"host": "h", "sender": "me@example.com", "to": "x"}}
        )
    assert e.value.problems == [
        "date_order: 'YMD' is not one of DMY, MDY",
        "notify.to: 'x' is not an email address",
    ]
    assert all(f"  - {p}" in str(e.value) for p in e.value.problems)


def test_inbox_is_read_through_the_one_spec_and_its_problems_are_listed_with_the_others():
    cfg = config.from_dict(
        {"inbox": {"preset": "fastmail", "username": "a@fastmail.com", "password_env": "X", "drafts": True}}
    )
    assert cfg.inbox is not None and (cfg.inbox.host, cfg.inbox.drafts) == ("imap.fastmail.com", True)
    assert config.Config().inbox is None and config.from_dict({}).inbox is None
    with pytest.raises(ConfigError) as e:
        config.from_dict({"date_order": "YMD", "inbox": {"host": "imap.example.com", "security": "tls"}})
    text = str(e.value)
    for wrong in ("date_order", "[inbox] security", "[inbox] username", "[inbox] password_env"):
        assert wrong in text
    assert "[inbox]" in config.starter_toml("tracker.xlsx")
