"""What makes two territories comparable: population strata, rates per 10,000 inhabitants,
95 % Wilson intervals (the baromètre, docs/barometre.md). Pure Python, no SQL.

Strata. French public statistics group communes by population into *strates
démographiques*; the baromètre uses the nine strata of the DGCL's (Direction générale des
collectivités locales) yearly « Les collectivités locales en chiffres » and of the OFGL's
(Observatoire des finances et de la gestion publique locales) comptes des communes:
moins de 500 hab., 500 à 1 999, 2 000 à 3 499, 3 500 à 4 999, 5 000 à 9 999,
10 000 à 19 999, 20 000 à 49 999, 50 000 à 99 999, 100 000 hab. et plus. A finer
split exists in law — the fifteen groups of the Code des communes' section on the
dotation globale de fonctionnement (Légifrance, section LEGISCTA000006163444: 0–499,
500–999, 1 000–1 999 … 100 000–199 999, 200 000 et plus) — but the nine are those the
published comparisons of communes use; each of the nine is a union of those groups. The
codes (``"500-1999"``,
``"100000+"``) are stable identifiers; their French and English labels live in the
interface catalogue (``barometre.strate.<code>``). The population is the INSEE
« population municipale » of the territory file (``population``).
"""

from __future__ import annotations

import math

MIN_INTERPELLATIONS = 30  # a rate resting on fewer interpellations: "too few to compare"

# (code, lowest population, highest population or None), in increasing order
STRATA: tuple[tuple[str, int, int | None], ...] = (
    ("0-499", 0, 499),
    ("500-1999", 500, 1999),
    ("2000-3499", 2000, 3499),
    ("3500-4999", 3500, 4999),
    ("5000-9999", 5000, 9999),
    ("10000-19999", 10000, 19999),
    ("20000-49999", 20000, 49999),
    ("50000-99999", 50000, 99999),
    ("100000+", 100000, None),
)

Z95 = 1.959963984540054  # the standard normal quantile of 0.975: a two-sided 95 % interval


def strate(population: int | None) -> str | None:
    """The code of the stratum ``population`` falls in (:data:`STRATA`); None if unknown."""
    if population is None or population < 0:
        return None
    for code, low, high in STRATA:
        if population >= low and (high is None or population <= high):
            return code
    return None  # pragma: no cover - the last stratum has no upper bound


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of the proportion ``successes / n`` (95 % by default).

    Unlike the textbook ``p ± z·sqrt(p(1-p)/n)``, it stays inside [0, 1] and does not
    collapse to a point at 0 % or 100 %: 0 answered of 10 gives (0, 0.2775), not (0, 0).
    None when ``n`` is 0 (no rate, no interval).
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes ({successes}) must be between 0 and n ({n})")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def per_10k(count: int | float | None, population: int | None) -> float | None:
    """``count`` per 10,000 inhabitants (unrounded); None without a count or a population."""
    if count is None or not population or population <= 0:
        return None
    return count * 10000 / population


def overlaps(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    """Whether two intervals share a point; an unknown interval overlaps everything (a
    ranking cannot tell a territory without a rate apart from another)."""
    if a is None or b is None:
        return True
    return a[0] <= b[1] and b[0] <= a[1]
