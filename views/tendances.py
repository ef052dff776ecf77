"""Tendances: 24 months per month or per week, from the daily rollups (territoires/ui/tendances.py;
docs/dashboard.md, "Tendances")."""

from __future__ import annotations

from territoires.ui.tendances import render

render()
