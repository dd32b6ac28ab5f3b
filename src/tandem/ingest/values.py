"""Parse one raw value into a typed one: text, email, domain, numbers, booleans, dates.

Pure functions. Each raises `ValueError` with a short reason a person can act on; the row
validator turns that into a quarantine entry naming the line and the field.
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "yahoo.es",
        "yahoo.it",
        "yahoo.com.br",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "hotmail.it",
        "hotmail.es",
        "outlook.com",
        "outlook.fr",
        "outlook.de",
        "live.com",
        "live.co.uk",
        "live.fr",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "zoho.com",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "free.fr",
        "orange.fr",
        "laposte.net",
        "libero.it",
        "bol.com.br",
        "uol.com.br",
        "terra.com.br",
        "hey.com",
        "fastmail.com",
        "tutanota.com",
        "rediffmail.com",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
    ]
)
# Second-level labels under which registrations happen (acme.co.uk, acme.com.br): a domain's
# company part is then three labels, not two.
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "gob", "nom"})
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,63}$")
_LABEL = re.compile(r"^[a-z0-9-]{1,63}$")
_TRUE = frozenset({"true", "yes", "y", "1", "t", "x", "won", "sim", "ja", "oui", "si"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "lost", "nao", "não", "nein", "non"})
_CURRENCY = re.compile(r"^[A-Z]{3}\s+|\s+[A-Z]{3}$|[$€£¥]")

# Slashed dates are month first (`03/04/2024` is 4 March, as US exports write it); a date that
# can only be day first (`15/03/2024`: no month 15) is read day first. A file of day-first dates
# sets `date_formats: ["%d/%m/%Y"]` in its mapping so its ambiguous dates are read that way too.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y",
                "%d %b %Y", "%b %d %Y")  # fmt: skip
TIME_FORMATS = ("", " %H:%M:%S", " %H:%M", " %I:%M %p", " %I:%M:%S %p", "T%H:%M:%S", "T%H:%M")


def text(value: str, max_length: int | None = None) -> str:
    """Trimmed text; too long is an error rather than a silent truncation."""
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"longer than {max_length} characters")
    return value


def email(value: str) -> str:
    """A normalised email: trimmed, lower-cased, `mailto:` dropped; invalid ones are errors."""
    value = value.strip().lower().removeprefix("mailto:")
    if len(value) > 254 or not _EMAIL.match(value) or ".." in value:
        raise ValueError("not a valid email address")
    return value


def domain(value: str) -> str:
    """The company domain of a URL, host or email: `https://www.eu.acme.co.uk/x` -> acme.co.uk."""
    host = value.strip().lower()
    host = host.rsplit("@", 1)[-1]
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0].split(":", 1)[0]
    labels = [label for label in host.strip(".").split(".") if label]
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("not a domain name")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def company_domain(value: str) -> str | None:
    """`domain(value)` unless it is a free-mail provider (those never become accounts)."""
    found = domain(value)
    return None if found in FREE_MAIL else found


def decimal(value: Any, decimal_mark: str | None = None) -> Decimal:
    """A money amount: `1,234.50`, `1.234,50`, `1 234`, `$1,200`, `EUR 30`, `(50)` negative."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    raw = str(value).strip()
    negative = raw.startswith("(") and raw.endswith(")")
    cleaned = _CURRENCY.sub("", raw.strip("()")).replace(" ", "").replace("\u00a0", "")
    cleaned = cleaned.replace("'", "")  # Swiss thousands separator
    mark = decimal_mark or _guess_decimal_mark(cleaned)
    thousands = "." if mark == "," else ","
    cleaned = cleaned.replace(thousands, "").replace(mark, ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a number")
    return -number if negative else number


def _guess_decimal_mark(raw: str) -> str:
    # With both marks the later one is the decimal mark; a lone comma followed by exactly three
    # digits groups thousands (1,234), otherwise it is a decimal comma (12,5).
    if "," in raw and "." in raw:
        return "," if raw.rfind(",") > raw.rfind(".") else "."
    if "," in raw:
        return "." if re.fullmatch(r"-?\d{1,3}(,\d{3})+", raw) else ","
    if raw.count(".") > 1:
        return ","  # 1.234.567 groups thousands with dots
    return "."


def integer(value: Any) -> int:
    """A whole number, accepting thousands separators and `12.0`."""
    number = decimal(value)
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    return int(number)


def number(value: Any) -> float:
    """A float, with the same separators as `decimal`."""
    return float(decimal(value))


def boolean(value: Any) -> bool:
    """Yes/no in the common spellings (true/false, 1/0, y/n, won/lost...)."""
    if isinstance(value, bool):
        return value
    folded = str(value).strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError("not a yes/no value")


def parse_datetime(value: Any, formats: tuple[str, ...] = ()) -> datetime:
    """An aware UTC datetime from ISO 8601, the common US/EU formats or epoch (ms) numbers.

    Naive values are taken as UTC. `formats` (strptime patterns) are tried first.
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    raw = str(value).strip()
    for fmt in formats:
        try:
            return _aware(datetime.strptime(raw, fmt))
        except ValueError:
            continue
    if re.fullmatch(r"\d{10}|\d{13}", raw):  # HubSpot API-style epoch seconds/milliseconds
        seconds = int(raw) / (1000 if len(raw) == 13 else 1)
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    try:
        return _aware(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        pass
    for day in DATE_FORMATS:
        for clock in TIME_FORMATS:
            try:
                return _aware(datetime.strptime(raw, day + clock))
            except ValueError:
                continue
    raise ValueError("not a date/time in a known format")


SLASHED = r"^(\d{1,2})/(\d{1,2})/\d{4}(?:\D|$)"  # a slashed date's two leading numbers


def slashed_order(value: str) -> str | None:
    """How a slashed date can be read: "day" (only day first: 15/03/2024), "month" (only month
    first: 03/15/2024), "either" (03/04/2024), None (not a slashed date, or one that reads the
    same both ways). `parse_datetime` reads "either" month first."""
    found = re.match(SLASHED, value.strip())
    return None if found is None else order_of(int(found[1]), int(found[2]))


def order_of(first: int, second: int) -> str | None:
    """`slashed_order` of a date whose leading numbers are `first` and `second`."""
    if first == second or first > 12 and second > 12:
        return None
    return "day" if first > 12 else "month" if second > 12 else "either"


def parse_date(value: Any, formats: tuple[str, ...] = ()) -> date:
    """A calendar date (a time part, if any, is dropped)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_datetime(value, formats).date()


def _aware(moment: datetime) -> datetime:
    if moment.year < 1900 or moment.year > 2200:
        raise ValueError("year out of range")
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def snake(value: str) -> str:
    """`Paid Search` / `paid-search` / `paid search` -> `paid_search` (vendor values drift)."""
    return re.sub(r"[\s\-/]+", "_", value.strip().lower())


_COUNTRIES = {
    "united states": "US", "usa": "US", "us": "US", "united states of america": "US",
    "united kingdom": "GB", "uk": "GB", "england": "GB", "great britain": "GB", "germany": "DE",
    "deutschland": "DE", "france": "FR", "spain": "ES", "italy": "IT", "netherlands": "NL",
    "belgium": "BE", "switzerland": "CH", "austria": "AT", "sweden": "SE", "norway": "NO",
    "denmark": "DK", "finland": "FI", "ireland": "IE", "portugal": "PT", "poland": "PL",
    "brazil": "BR", "brasil": "BR", "mexico": "MX", "canada": "CA", "argentina": "AR",
    "chile": "CL", "colombia": "CO", "australia": "AU", "new zealand": "NZ", "japan": "JP",
    "china": "CN", "india": "IN", "singapore": "SG", "korea": "KR", "south korea": "KR",
    "philippines": "PH", "philipines": "PH", "jordan": "JO", "kenya": "KE", "panama": "PA",
    "israel": "IL", "south africa": "ZA", "nigeria": "NG", "egypt": "EG",
    "turkey": "TR", "russia": "RU", "ukraine": "UA", "czech republic": "CZ", "romania": "RO",
    "united arab emirates": "AE", "uae": "AE", "saudi arabia": "SA", "indonesia": "ID",
}  # fmt: skip


def country(value: str) -> str:
    """An ISO 3166 alpha-2 code from a code or a common English name (typos seen in exports
    such as `Philipines` included)."""
    raw = value.strip()
    if len(raw) == 2 and raw.isalpha():
        return raw.upper()
    code = _COUNTRIES.get(re.sub(r"\s+", " ", raw.lower()))
    if code is None:
        raise ValueError("not a country code or known country name")
    return code
