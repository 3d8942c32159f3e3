"""Config loading: defaults, validation messages that name the key, and the docs table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.config import ENV_DATABASE_URL, SETTINGS, load_config, render_settings_table
from etl.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
[database]
url = "sqlite:///portal.db"

[database.queries]
members = "select 1"
contracts = "select 1"
inquiries = "select 1"
messages = "select 1"
contact_views = "select 1"
ad_clicks = "select 1"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))

    assert config.timezone == "Asia/Shanghai"
    assert config.warehouse_dir == tmp_path / "warehouse"
    assert config.database_url == f"sqlite:///{tmp_path / 'portal.db'}"
    assert config.health.window_days == 30
    assert config.health.weights["inquiries"] == 0.3
    assert config.sales_targets.file is None
    assert config.access_logs.format == "combined"


def test_environment_overrides_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://etl:secret@127.0.0.1/portal")

    config = load_config(write(tmp_path, MINIMAL))

    assert config.database_url == "postgresql://etl:secret@127.0.0.1/portal"


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ('[health]\nwindow_days = "30"', r"health\.window_days must be an integer, got str"),
        ("[health]\nwindow_days = true", r"health\.window_days must be an integer, got bool"),
        ("[warehouse]\nkeep_snapshots = 2.5", r"warehouse\.keep_snapshots must be an integer"),
        ('[access_logs]\nfiles = "logs/*.gz"', r"access_logs\.files must be a list"),
        ("[access_logs]\nfiles = [1, 2]", r"access_logs\.files must be a list of strings"),
        ('[access_logs]\nformat = "w3c"', r"access_logs\.format is 'w3c'; use combined"),
        ('[portal]\ntimezone = "Mars/Base"', r"portal\.timezone has unknown time zone"),
        ('[portal]\nas_of = "30/11/2026"', r"portal\.as_of is '30/11/2026'"),
        ('[portal]\ncolour = "red"', r"unknown key portal\.colour"),
        ("[health]\nhealthy_min = 30\nwatch_min = 50", r"health\.watch_min \(50\.0\)"),
        ("[health.weights]\ninquiries = -1", r"health\.weights\.\* must be zero or positive"),
        ('[spreadsheets]\nencoding = "big5"', r"spreadsheets\.encoding is 'big5'"),
        ("[health]\nwindow_days = 0", r"health\.window_days is 0; set it to 1 or more"),
        ("[health]\nonboarding_days = -3", r"health\.onboarding_days is -3; set it to 0 or"),
        ("[health]\nfall_share = -1", r"health\.fall_share is -1; set it to from 0 to 1"),
        ("[health]\nfall_share = 1.5", r"health\.fall_share is 1\.5"),
        ("[warehouse]\nkeep_snapshots = 0", r"warehouse\.keep_snapshots is 0; set it to 1"),
    ],
)
def test_invalid_value_names_key(tmp_path: Path, addition: str, message: str) -> None:
    path = write(tmp_path, MINIMAL + "\n" + addition + "\n")

    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('ad_clicks = "select 1"\n', ""))

    with pytest.raises(ConfigError, match=r"required key database\.queries\.ad_clicks is missing"):
        load_config(path)


def test_missing_file_says_how_to_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found.*python -m etl demo"):
        load_config(tmp_path / "absent.toml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is a directory; pass the TOML file"):
        load_config(tmp_path)


def test_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_bytes(('[portal]\nname = "机械网"\n' + MINIMAL).encode("gbk"))

    with pytest.raises(ConfigError, match=r"is not UTF-8 \(byte 17\).*iconv"):
        load_config(path)


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[portal\nname = 1")

    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(path)


def test_docs_table_matches_settings() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    embedded = re.search(
        r"settings-table:start.*?-->\n(.*?)\n<!-- settings-table:end", doc, re.DOTALL
    )

    assert embedded is not None
    assert embedded.group(1) == render_settings_table()


def test_every_setting_has_help() -> None:
    for setting in SETTINGS:
        assert len(setting.help) > 20, setting.key
