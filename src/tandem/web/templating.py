"""The one Jinja environment Tandem renders with: the app's pages, the weekly review's
standalone HTML and PDF, the backtest report file. Same templates, autoescaping and filters
everywhere; the app adds its request-bound globals (`tandem.web.app`). Imports no web framework,
so the CLI's reports start fast."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from tandem import __version__

WEB_DIR = Path(__file__).parent


def money(value: object) -> str:
    """An amount with thousands separators and no decimals (`1,234,567`)."""
    return f"{float(value or 0):,.0f}"  # type: ignore[arg-type]


def when(value: object) -> str:
    """A timestamp as `2026-03-02 09:00` (empty when unknown)."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""  # type: ignore[attr-defined]


def environment() -> Environment:
    """A new environment on Tandem's templates with the shared filters and globals."""
    env = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(["html"])
    )
    env.filters["money"] = money
    env.filters["dt"] = when
    env.globals["version"] = __version__
    return env
