"""Settings: precedence, parsing errors, and each one documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import settings
from kg.errors import InputError

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_each_setting_is_documented(setting: settings.Setting) -> None:
    assert f"| `{setting.name}` |" in README


def test_precedence(tmp_path: Path) -> None:
    config = tmp_path / "hvp.toml"
    config.write_text('timeout = 5\nrow_cap = 7\nstore = "from-file"\n')
    values = settings.load({"store": "explicit"}, env={"HVP_TIMEOUT": "9"}, config_file=config)
    assert values["store"] == "explicit"
    assert values["timeout"] == 9.0
    assert values["row_cap"] == 7
    assert values["base"] == "https://w3id.org/hvp/"


def test_bad_values_name_the_source(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="HVP_READ_ONLY"):
        settings.load(env={"HVP_READ_ONLY": "maybe"})
    config = tmp_path / "hvp.toml"
    config.write_text("colour = 1\n")
    with pytest.raises(InputError, match="unknown settings"):
        settings.load(env={}, config_file=config)
