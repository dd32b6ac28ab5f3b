"""YAML with line numbers: map a validation error's field path back to its line in the file.

The parsing is `tandem.yaml_source` (shared with the scoring and handoff loaders); this module
words its findings as attribution `ConfigIssue`s.
"""

from dataclasses import dataclass

from tandem.yaml_source import YamlDocument, YamlSyntaxError, parse_document


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a configuration file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field or '<root>'}: {self.message}"


def compose_with_lines(text: str, source: str) -> tuple[YamlDocument | None, list[ConfigIssue]]:
    """Parse `text` into a document; syntax errors and duplicate keys are issues."""
    try:
        doc = parse_document(text, source)
    except YamlSyntaxError as error:
        return None, [ConfigIssue(source, error.line, "", f"invalid YAML: {error.problem}")]
    # PyYAML silently keeps the last of two equal keys; a config should say it twice only by
    # mistake, so we report it.
    issues = [
        ConfigIssue(source, line, ".".join(str(p) for p in path), "duplicate key")
        for path, line in doc.duplicates
    ]
    return doc, issues


def issue_for(doc: YamlDocument, loc: tuple, message: str) -> ConfigIssue:
    """An issue for pydantic error location `loc`, at the line of the deepest key found."""
    parts = [str(part) for part in loc if not str(part).startswith("function-")]
    _, line = doc.find(parts)
    return ConfigIssue(doc.file, line, ".".join(parts), message.removeprefix("Value error, "))
