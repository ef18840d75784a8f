"""Dutch and English complete (issue 15, point 6): every string the code and templates
mark for translation has its Dutch in locale/nl, none of it fuzzy, and the compiled
catalogue is up to date. Extracted afresh from a copy of the sources by Django's
`makemessages` (as `make messages` does), so a new string without its Dutch fails here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = Path("locale/nl/LC_MESSAGES/django.po")
# Not sources of the shop's own strings: tests, tools, what is generated or installed.
LEFT_OUT = {"tests", "var", "static", "staticfiles", "benchmarks", "scripts", "docs"}

pytestmark = pytest.mark.slow


def _entries(po: Path, *options: str) -> list[str]:
    """The msgids of the entries `msgattrib options` keeps."""
    output = subprocess.run(
        ["msgattrib", *options, "--no-obsolete", "--no-wrap", str(po)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [
        line.removeprefix("msgid ").strip('"')
        for line in output.splitlines()
        if line.startswith("msgid ") and line != 'msgid ""'
    ]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """locale/nl's catalogue after `makemessages` over a copy of the sources."""
    copy = tmp_path_factory.mktemp("sources")
    for entry in ROOT.iterdir():
        if entry.name.startswith(".") or entry.name in LEFT_OUT:
            continue
        if entry.is_dir():
            shutil.copytree(entry, copy / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(entry, copy / entry.name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nl", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite://:memory:"},
    )
    return copy / PO


def test_every_string_has_its_dutch(extracted):
    untranslated = _entries(extracted, "--untranslated")
    assert untranslated == [], f"without Dutch (run `make messages`): {untranslated}"


def test_no_dutch_is_fuzzy(extracted):
    fuzzy = _entries(extracted, "--only-fuzzy")
    assert fuzzy == [], f"fuzzy, check and confirm (make messages): {fuzzy}"


def test_the_compiled_catalogue_is_up_to_date():
    po = ROOT / PO
    fresh = subprocess.run(
        ["msgfmt", "--check-format", "-o", "-", str(po)], check=True, capture_output=True
    ).stdout
    assert fresh == po.with_suffix(".mo").read_bytes(), "run `make messages`"
