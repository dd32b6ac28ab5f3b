"""What a search box's text means: bounded, lower-cased, with LIKE's wildcards taken literally."""

from dataclasses import dataclass

#: Longest query taken (a name, an email or a domain fits well within it).
MAX_QUERY = 100
#: Sorts after every character, so [prefix, prefix + TOP) holds exactly the strings starting
#: with prefix in a binary (code point) order: an index range, not a scan.
TOP = "\U0010ffff"


class BadQuery(ValueError):
    """A search text that cannot be searched for (empty or too long)."""


@dataclass(frozen=True)
class Terms:
    """A query as the store's conditions take it."""

    text: str  # lower-cased, trimmed, inner spaces collapsed
    words: tuple[str, ...]

    @property
    def contains(self) -> str:
        """A LIKE pattern (escape character `\\`) matching the text anywhere."""
        return f"%{escape_like(self.text)}%"

    @staticmethod
    def prefix_range(prefix: str) -> tuple[str, str]:
        """Bounds [low, high) of the strings that start with `prefix`."""
        return prefix, prefix + TOP


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards and escape character taken literally (escape `\\`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse(raw: str | None) -> Terms:
    """The terms of a search box's text; BadQuery when there is nothing to search for or too
    much (over MAX_QUERY characters)."""
    words = tuple((raw or "").lower().split())
    text = " ".join(words)
    if not text:
        raise BadQuery("type a name, an email or a domain to search for")
    if len(text) > MAX_QUERY:
        raise BadQuery(f"a search is at most {MAX_QUERY} characters (this one has {len(text)})")
    return Terms(text, words)
