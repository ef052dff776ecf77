"""Bad configuration files: one clear line each, naming the file, the key and what is expected.

Every key of every section with a value of the wrong type, unknown keys and sections,
invalid time zones, invalid service hours, out-of-range numbers; then random TOML documents
(hypothesis): ``load_config`` either succeeds or raises ``ConfigError``, never anything else.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import ConfigError, parse_config
from model.territory import _SCHEMA
from territoires.cli import main
from territoires.config import load_config
from tests.conftest import EXAMPLE_CONFIG

BASE = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
ARRAYS = ("accounts", "services")  # arrays of tables
WRONG = {str: [5, ["x"], True], list: ["#Ville", 3, {"a": 1}], int: ["12", 1.5, True],
         bool: ["yes", 1], float: ["0.5", True]}


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data, source="ville.toml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("ville.toml")
    assert "expected" in message
    return message


CASES = [
    (section, key, bad)
    for section, keys in _SCHEMA.items()
    for key, (kind, _) in keys.items()
    for bad in WRONG[kind]
]


@pytest.mark.parametrize(
    ("section", "key", "bad"), CASES, ids=[f"{s}.{k}={b!r}" for s, k, b in CASES]
)
def test_each_key_with_a_wrong_type_names_the_key(section: str, key: str, bad: Any) -> None:
    data = copy.deepcopy(BASE)
    blocks = section in ARRAYS  # [[accounts]], [[services]]: the first block
    target = data[section][0] if blocks else data.setdefault(section, {})
    target[key] = bad
    name = f"{section}[0].{key}" if blocks else f"{section}.{key}"
    assert f": {name}: expected " in _error(data)


@pytest.mark.parametrize("section", [s for s in _SCHEMA])
def test_unknown_keys_are_named_with_the_known_ones(section: str) -> None:
    data = copy.deepcopy(BASE)
    target = data[section][0] if section in ARRAYS else data.setdefault(section, {})
    target["colour"] = "bleu"
    message = _error(data)
    assert ".colour: expected a known key (" in message
    assert all(k in message for k in _SCHEMA[section])


def test_unknown_section_and_missing_keys() -> None:
    data = copy.deepcopy(BASE)
    data["extras"] = {"a": 1}
    assert "extras: expected only the sections territory, accounts" in _error(data)
    for section, key in [("territory", "slug"), ("territory", "timezone"), ("accounts", "handle")]:
        data = copy.deepcopy(BASE)
        (data[section][0] if section == "accounts" else data[section]).pop(key)
        assert f"{key}: expected" in _error(data) and "(missing)" in _error(data)
    data = copy.deepcopy(BASE)
    data["accounts"] = []
    assert "accounts: expected at least one [[accounts]] block" in _error(data)


@pytest.mark.parametrize("zone", ["Europe/Nowhere", "", "paris", "../../etc/passwd", "UTC\x00"])
def test_invalid_timezone(zone: str) -> None:
    data = copy.deepcopy(BASE)
    data["territory"]["timezone"] = zone
    assert 'territory.timezone: expected an IANA time zone such as "Europe/Paris"' in _error(data)


@pytest.mark.parametrize(
    "hours",
    ["mon-fri 25:00-26:00", "funday 09:00-10:00", "mon-fri 18:00-09:00", "", "9-5",
     "mon-fri 9h-18h", "mon-fri 09:00-18:00,, sat", "lun-ven 09:00-18:00"],
)
def test_invalid_service_hours(hours: str) -> None:
    data = copy.deepcopy(BASE)
    data["accounts"][1]["service_hours"] = hours
    assert "accounts[1].service_hours: expected ranges like" in _error(data)


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("privacy", "retention_days", 0, "from 1 to 36500"),
        ("privacy", "retention_days", 2**62, "from 1 to 36500"),  # would overflow dates
        ("privacy", "private_follower_threshold", -5, "0 or more"),
        ("privacy", "shared_text", "all", '"show", "truncate" or "hide"'),
        ("territory", "slug", "Ville Neuve", "lowercase letters"),
        ("territory", "holidays", "XX", "country code"),
        ("tracking", "hashtags", ["#ok", "  "], "a list of hashtags"),
    ],
)
def test_out_of_range_values(section: str, key: str, value: Any, expected: str) -> None:
    data = copy.deepcopy(BASE)
    data[section][key] = value
    assert f"{section}.{key}: expected" in (m := _error(data)) and expected in m


def test_a_bad_file_names_file_and_line_and_the_cli_prints_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "ville.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"')
    path.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("timezone"))
    with pytest.raises(ConfigError, match=rf"ville\.toml \(line {line}\): territory\.timezone"):
        load_config(path)
    (tmp_path / "x.jsonl").write_text("")
    db = tmp_path / "w.duckdb"
    assert main(["import", str(tmp_path / "x.jsonl"), "--config", str(path), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "territory.timezone" in err and "Traceback" not in err
    for raw, reason in [(b"[territory\nname=1", "not valid TOML"), (b"\xff\xfe", "not UTF-8"),
                        (None, "file not found")]:
        bad = tmp_path / "bad.toml"
        bad.unlink(missing_ok=True)
        if raw is not None:
            bad.write_bytes(raw)
        with pytest.raises(ConfigError, match=reason):
            load_config(bad)


TOML_VALUES = st.recursive(
    st.none().map(lambda _: "") | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.text(max_size=15),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(
    st.sampled_from([*_SCHEMA, "other"]), TOML_VALUES, max_size=5,
), st.data())
def test_random_documents_only_ever_raise_config_error(doc: dict[str, Any], data: Any) -> None:
    merged = copy.deepcopy(BASE)
    merged.update(doc)
    if data.draw(st.booleans()):  # or mutate one known key of the valid file
        section = data.draw(st.sampled_from(list(_SCHEMA)))
        key = data.draw(st.sampled_from(list(_SCHEMA[section])))
        table = merged.get(section)
        if isinstance(table, list) and table and isinstance(table[0], dict):
            table[0][key] = data.draw(TOML_VALUES)
        elif isinstance(table, dict):
            table[key] = data.draw(TOML_VALUES)
    try:
        parse_config(merged, source="fuzz.toml")
    except ConfigError as e:
        assert "\n" not in str(e) and str(e).startswith("fuzz.toml")
