"""The territory configuration file (TOML): read it, then validate it as the domain model.

A bad file raises :class:`~model.territory.ConfigError` with one line naming the file, the
key (and the line where the TOML parser knows it) and what was expected. The format:
docs/configuration.md.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from model.territory import ConfigError, Territory, parse_config


def load_config(path: str | Path) -> Territory:
    """Read and validate one territory file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (expected a TOML file)") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse_config(data, source=str(path), text=text)
