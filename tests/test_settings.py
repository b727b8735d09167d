"""Settings: precedence, parsing errors, and each one documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg import settings
from kg.errors import InputError
from web.errors import detail_of

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


@pytest.mark.parametrize(("env", "toml", "english", "chinese"), [
    ({"HVP_READ_ONLY": "maybe"}, None,
     "environment variable HVP_READ_ONLY: expected true or false, got 'maybe'",
     "环境变量 HVP_READ_ONLY：应为 true 或 false，收到的是 'maybe'"),
    ({"HVP_WORKERS": "two"}, None, "environment variable HVP_WORKERS: expected a whole number, "
     "got 'two'", "环境变量 HVP_WORKERS：应为整数，收到的是 'two'"),
    ({}, 'timeout = "soon"\n', "hvp.toml: timeout: expected a number, got 'soon'",
     "hvp.toml：设置 timeout：应为数字，收到的是 'soon'"),
    ({}, 'federation_allow = "ftp://a/q"\n',
     "hvp.toml: federation_allow: 'ftp://a/q' is not an http(s) endpoint IRI",
     "hvp.toml：设置 federation_allow：'ftp://a/q' 不是 http(s) 端点 IRI"),
    ({}, "colour = 1\n", "hvp.toml: unknown settings ['colour']; known:",
     "hvp.toml：未知设置 ['colour']；已知的有："),
    ({}, "timeout = \n", "hvp.toml: cannot read settings file: Invalid value (at line 1",
     "hvp.toml：无法读取设置文件（读取器的原话见 engine 一项）"),
], ids=["bool", "int", "float", "federation", "unknown", "not TOML"])
def test_a_settings_error_is_said_in_chinese(app, tmp_path: Path, env, toml, english,
                                              chinese) -> None:
    """The CLI says it in English, word for word as before; the web layer (an app's settings
    passed through its catalogue) in Chinese, the TOML reader's own words apart."""
    config = None
    if toml is not None:
        config = tmp_path / "hvp.toml"
        config.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        settings.load(env=env, config_file=config)
    error = caught.value
    assert str(error).replace(str(tmp_path) + "/", "").startswith(english), str(error)
    with app.test_request_context("/?lang=zh"):
        zh = detail_of(error).replace(str(tmp_path) + "/", "")
    assert zh.startswith(chinese), zh
    assert not re.search(r"[a-z]{3,} [a-z]{3,}", zh), zh
