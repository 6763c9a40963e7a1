"""Settings read from the environment: defaults, values, blanks."""

from __future__ import annotations

from pathlib import Path

import pytest

from eit_geo import settings


@pytest.mark.parametrize(
    ("name", "read"),
    [
        (settings.ZONE_ENV, settings.zone_setting),
        (settings.DATABASE_ENV, settings.database_url_setting),
        (settings.CHROMIUM_ENV, settings.chromium_setting),
    ],
)
def test_optional_settings_read_when_called(monkeypatch, name, read):
    monkeypatch.delenv(name, raising=False)
    assert read() is None
    monkeypatch.setenv(name, "   ")
    assert read() is None  # a blank value counts as unset
    monkeypatch.setenv(name, " /srv/zone ")
    assert read() == "/srv/zone"


def test_timezone_defaults_to_paris(monkeypatch):
    monkeypatch.delenv(settings.TIMEZONE_ENV, raising=False)
    assert settings.timezone_setting() == "Europe/Paris"
    monkeypatch.setenv(settings.TIMEZONE_ENV, "America/Montreal")
    assert settings.timezone_setting() == "America/Montreal"


def test_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert settings.user_data_folder() == tmp_path
    monkeypatch.delenv("XDG_DATA_HOME")
    assert settings.user_data_folder() == Path.home() / ".local" / "share"


def test_only_settings_reads_the_environment():
    package = Path(settings.__file__).parent
    readers = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "os.environ.get(" in path.read_text(encoding="utf-8")
        or "os.getenv(" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["settings.py"]
