"""The domain model, the bottom layer every other package may import (docs/design.md).

A territory (:class:`Territory`) with its accounts, opening ranges and services, the
platforms the product knows, and the validation of a territory's settings.
"""

from model.opening import DAYS, OpeningRange, ServiceHoursError, parse_service_hours
from model.territory import (
    PLATFORMS,
    Account,
    ConfigError,
    Service,
    Territory,
    parse_config,
    tag_key,
)

__all__ = [
    "DAYS",
    "PLATFORMS",
    "Account",
    "ConfigError",
    "OpeningRange",
    "Service",
    "ServiceHoursError",
    "Territory",
    "parse_config",
    "parse_service_hours",
    "tag_key",
]
