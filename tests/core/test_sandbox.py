"""Issue 12, case 4: message templates render in Jinja2's immutable sandbox, on a budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from followsync.config import Config
from followsync.core import drafts, wording

from .test_drafts import render_one, row_for

ROOT = Path(__file__).resolve().parents[2]


def _broken(tmp_path, body: str) -> drafts.TemplateError:
    (tmp_path / "follow_up.j2").write_text("{{ salutation }},\n\n" + body + "\n", encoding="utf-8")
    with pytest.raises(drafts.TemplateError) as e:
        render_one(row_for(wording.FOLLOW_UP), wording.FOLLOW_UP, Config(templates_dir=tmp_path))
    assert str(tmp_path / "follow_up.j2") in e.value.message
    assert "line 3" in e.value.message
    return e.value


def test_a_template_cannot_reach_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLLOWSYNC_TEST_SECRET", "hunter2-secret")
    error = _broken(tmp_path, "{{ cycler.__init__.__globals__.os.environ }}")
    assert "unsafe" in error.message and "hunter2" not in error.message


@pytest.mark.parametrize(
    "body",
    [
        "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% set l = [] %}{{ l.append(1) }}",  # immutable: no method that changes a value
    ],
)
def test_other_escapes_are_refused(tmp_path, body):
    _broken(tmp_path, body)


# A template that runs away never ends on an unsandboxed Jinja: run it in a child process,
# so that without the sandbox the test fails on its timeout instead of hanging.
RUNAWAY = """
import sys
from pathlib import Path
from followsync.config import Config
from followsync.core import drafts, wording
from tests.core.test_drafts import render_one, row_for
folder = Path(sys.argv[1])
(folder / "follow_up.j2").write_text("{{ salutation }},\\n\\n" + sys.argv[2] + "\\n", encoding="utf-8")
try:
    render_one(row_for(wording.FOLLOW_UP), wording.FOLLOW_UP, Config(templates_dir=folder))
except drafts.TemplateError as e:
    print(e.message)
    sys.exit(2)
print("rendered")
"""


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("{% for i in range(10**10) %}x{% endfor %}", "Range too big"),
        ("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}", "steps"),
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}xxxxxxxxxx{% endfor %}{% endfor %}",
            "characters",
        ),
        ("{{ 'x' * 10**10 }}", "longer than"),
        ("{{ 9 ** 999999999 }}", "bits"),
    ],
)
def test_a_runaway_template_stops_with_its_file_and_line(tmp_path, body, said):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUNAWAY, str(tmp_path), body],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=90,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{body} did not stop")
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(tmp_path / "follow_up.j2") in done.stdout and "line 3" in done.stdout
    assert said in done.stdout


def test_shipped_templates_render_the_same_in_the_sandbox():
    d = render_one(row_for(wording.FOLLOW_UP), wording.FOLLOW_UP)
    assert d.draft_message.startswith("Dear Ms. Jones") and "Best regards," in d.draft_message
