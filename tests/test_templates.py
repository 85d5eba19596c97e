"""`followsync templates`: the shipped set, the person's overrides, and exporting a copy."""

from __future__ import annotations

import pytest

from followsync import templates
from followsync.core import drafts, shipped
from followsync.errors import UsageError


def test_listing_names_every_shipped_template_and_the_override(tmp_path):
    (tmp_path / "thank_you.j2").write_text("mine")
    rows = {t.name: t for t in templates.listing(tmp_path)}
    assert set(rows) == set(shipped.names()) and "thank_you.j2" in rows and "follow_up.j2" in rows
    assert rows["thank_you.j2"].overridden_by == tmp_path / "thank_you.j2"
    assert rows["follow_up.j2"].overridden_by is None


def test_listing_without_templates_dir():
    assert all(t.overridden_by is None for t in templates.listing(None))


def test_export_copies_the_whole_set_byte_for_byte(tmp_path):
    written = templates.export(tmp_path / "mine")
    assert sorted(p.name for p in written) == shipped.names()
    for p in written:
        assert p.read_text(encoding="utf-8") == shipped.read_text("messages", p.name)


def test_export_a_language_copies_that_set(tmp_path):
    written = templates.export(tmp_path / "mine", language="de")
    assert sorted(p.name for p in written) == shipped.names()
    assert (tmp_path / "mine" / "_signoff.j2").read_text(encoding="utf-8") == shipped.read_text(
        "messages", "de", "_signoff.j2"
    )
    assert "Mit freundlichen Grüßen" in (tmp_path / "mine" / "_signoff.j2").read_text(encoding="utf-8")


def test_export_one_by_name_with_or_without_suffix(tmp_path):
    assert [p.name for p in templates.export(tmp_path / "a", "thank_you")] == ["thank_you.j2"]
    assert [p.name for p in templates.export(tmp_path / "b", "follow_up.j2")] == ["follow_up.j2"]


def test_export_never_overwrites(tmp_path):
    (tmp_path / "follow_up.j2").write_text("my edit")
    with pytest.raises(UsageError, match="already exists"):
        templates.export(tmp_path)
    assert (tmp_path / "follow_up.j2").read_text() == "my edit"
    assert not (tmp_path / "thank_you.j2").exists()  # all or nothing


def test_export_an_unknown_name_lists_the_real_ones(tmp_path):
    with pytest.raises(UsageError) as e:
        templates.export(tmp_path, "thanks")
    assert "thank_you.j2" in (e.value.hint or "")


def test_an_exported_template_is_used_as_an_override(tmp_path):
    templates.export(tmp_path, "thank_you")
    path = tmp_path / "thank_you.j2"
    path.write_text(path.read_text(encoding="utf-8").replace("Thank you", "Many thanks", 1), encoding="utf-8")
    env = drafts.environment(str(tmp_path))
    source = env.loader.get_source(env, "thank_you.j2")[0]
    assert "Many thanks" in source


def test_cli_templates_list_and_export(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from followsync import cli

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    done = runner.invoke(cli.main, ["templates", "export", "mine", "thank_you"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "mine" / "thank_you.j2").is_file()
    line = next(x for x in done.output.splitlines() if x.startswith("templates_dir = "))
    (tmp_path / "followsync.toml").write_text(line + "\n", encoding="utf-8")
    listed = runner.invoke(cli.main, ["templates", "list"], catch_exceptions=False)
    assert listed.exit_code == 0
    mine = [x for x in listed.output.splitlines() if "yours:" in x]
    assert len(mine) == 1 and mine[0].startswith("thank_you.j2")
    again = runner.invoke(cli.main, ["templates", "export", "mine", "thank_you"])
    assert again.exit_code == 2 and "already exists" in again.output
