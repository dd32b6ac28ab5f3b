"""The one Jinja environment Tandem renders with: the app's pages, the weekly review's
standalone HTML and PDF, the backtest report file. Same templates, autoescaping and filters
everywhere; the app adds its request-bound globals (`tandem.web.app`). Imports no web framework,
so the CLI's reports start fast.

The filters are the one place words and money are shown: `label` (a stored value such as
`organic_search` as people read it), `a` (the article before a word: "an executive"), `money`
(with the workspace currency), `dt` (in the workspace's time zone). Templates never show a raw
enum value or do `replace('_', ' ')` themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, pass_context, pass_environment, select_autoescape
from jinja2.runtime import Context

from tandem import __version__

WEB_DIR = Path(__file__).parent

#: Words whose label is not the value with its first letter capitalised.
SPECIAL_LABELS: dict[str, str] = {
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "pql": "PQL",
    "smb": "SMB",
    "emea": "EMEA",
    "apac": "APAC",
    "latam": "LATAM",
    "na": "North America",
    "amer": "Americas",
    "abm": "ABM",
    "roi": "ROI",
    "mid_market": "Mid-market",
    "closed_won": "Closed won",
    "closed_lost": "Closed lost",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
}

#: Currency symbols written before the amount; any other code is written after it.
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}


def label(value: object) -> str:
    """A stored value as people read it: `organic_search` -> `Organic search`,
    `mid_market` -> `Mid-market`, `mql` -> `MQL`; empty when unknown."""
    if value is None:
        return ""
    text = str(getattr(value, "value", value))
    special = SPECIAL_LABELS.get(text.lower())
    if special is not None:
        return special
    words = text.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def article(value: object) -> str:
    """The word (labelled, lower case) with its article: `an executive`, `a sales rep`."""
    word = label(value)
    word = word if word.isupper() else word.lower()
    # Initialisms read letter by letter: "an MQL", "an SQL" but "a PQL".
    sounds_vowel = word[:1] in "aeiou" or (word.isupper() and word[:1] in "AEFHILMNORSX")
    return f"{'an' if sounds_vowel else 'a'} {word}"


def format_money(value: object, currency: str = "USD") -> str:
    """An amount with thousands separators, no decimals and its currency (`$1,234,567`,
    `1,234 CHF`)."""
    amount = f"{float(value or 0):,.0f}"  # type: ignore[arg-type]
    code = (currency or "USD").upper()
    symbol = _SYMBOLS.get(code)
    if symbol is None:
        return f"{amount} {code}"
    return f"-{symbol}{amount[1:]}" if amount.startswith("-") else f"{symbol}{amount}"


@pass_environment
def money(env: Environment, value: object, currency: str | None = None) -> str:
    """`format_money` in the record's currency, else the workspace's (`TANDEM_CURRENCY`)."""
    return format_money(value, currency or env.globals.get("currency", "USD"))  # type: ignore[arg-type]


def local_time(value: dt.datetime, zone: str) -> dt.datetime:
    """`value` (naive means UTC) in the time zone `zone`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(zone))


@pass_context
def when(context: Context, value: object) -> str:
    """A timestamp as `2026-03-02 09:00` in the reader's time zone (`time_zone`: the user's
    own on the app's pages, else the workspace's); empty when unknown."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        return local_time(value, str(context.get("time_zone") or "UTC")).strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]


def environment(*, currency: str = "USD", time_zone: str = "UTC") -> Environment:
    """A new environment on Tandem's templates with the shared filters and globals."""
    env = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(["html"])
    )
    env.filters["money"] = money
    env.filters["dt"] = when
    env.filters["label"] = label
    env.filters["a"] = article
    env.globals["version"] = __version__
    env.globals["currency"] = currency
    env.globals["time_zone"] = time_zone
    env.globals["asset_url"] = str  # the app's pages hash their asset URLs (tandem.web.assets)
    return env
