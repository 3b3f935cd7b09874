"""A service's environment and its probe's headers are the text written, whatever YAML would make of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.config.loader import parse_config
from cigen.errors import InputError


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cigen.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("written", "seen"),
    [
        ("no", "no"), ("off", "off"), ("yes", "yes"),  # YAML 1.1 made these false and true
        ("true", "true"), ("010", "010"), ("0x10", "0x10"), ("1.50", "1.50"), ("1e3", "1e3"),  # not 8, 16, 1.5
        ("2001-01-01", "2001-01-01"), ('"quoted"', "quoted"), ("''", ""), ("plain text", "plain text"),
    ],
)
def test_an_environment_value_is_the_text_written(tmp_path: Path, written: str, seen: str) -> None:
    loaded = parse_config(config(tmp_path, f"services:\n  api:\n    env:\n      FLAG: {written}\n"))
    assert loaded.services["api"].env == {"FLAG": seen}


def test_a_header_value_is_the_text_written(tmp_path: Path) -> None:
    loaded = parse_config(config(tmp_path, "services:\n  api:\n    health: {http: /h, headers: {X-Debug: on}}\n"))
    health = loaded.services["api"].health
    assert health is not None and health.headers == {"X-Debug": "on"}


def test_an_environment_variable_without_a_value_is_located(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        parse_config(config(tmp_path, "services:\n  api:\n    env:\n      A: 1\n      EMPTY:\n"))
    assert str(caught.value) == (
        f"{tmp_path / 'cigen.yaml'}:5:7: services.api.env.EMPTY has no value (write EMPTY: \"\" for an empty value)")


def test_an_environment_value_that_is_a_list_is_located(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        parse_config(config(tmp_path, "services:\n  api:\n    env: {A: [1, 2]}\n"))
    assert str(caught.value) == (
        f"{tmp_path / 'cigen.yaml'}:3:11: services.api.env.A must be text, a number or a boolean, "
        "not a list or a mapping (write one value)")
