"""The one YAML-with-lines parser behind the scoring, handoff and attribution loaders."""

import pytest

from tandem.attribution.config import AttributionConfigError, parse_config
from tandem.handoff.source import parse_yaml
from tandem.scoring.loader import load_yaml, parse_model
from tandem.yaml_source import YamlSyntaxError, parse_document

TEXT = """\
# a comment
name: x
rules:
  - id: a
    values: [NO, SE]
  - id: b
    at: 12:30
    on: yes
name: y
"""


def test_lines_duplicates_and_yaml11_values_stay_as_written():
    doc = parse_document(TEXT, "t.yaml")
    assert doc.data == {
        "name": "y",
        "rules": [{"id": "a", "values": ["NO", "SE"]}, {"id": "b", "at": "12:30", "on": "yes"}],
    }
    assert doc.lines[()] == 2  # the document starts after the comment
    assert doc.lines[("rules", 1)] == 6 and doc.lines[("rules", 1, "at")] == 7
    assert doc.duplicates == ((("name",), 9),)
    assert doc.line_for(("rules", 0, "values", 5, "deeper")) == 5
    assert doc.find(["rules", "1", "nope"]) == (("rules", 1), 6)
    assert doc.find(["missing"]) == ((), 2)


def test_merge_keys_work_and_recursive_aliases_are_syntax_errors():
    doc = parse_document("base: &b {x: 1}\nmine:\n  <<: *b\n  y: 2\n", "m.yaml")
    assert doc.data["mine"] == {"x": 1, "y": 2}
    with pytest.raises(YamlSyntaxError) as info:
        parse_document("a: &x\n  - *x\n", "r.yaml")
    assert info.value.line == 1 and "recursive alias" in info.value.problem  # the anchor
    with pytest.raises(YamlSyntaxError) as info:
        parse_document("a: [1,\n", "s.yaml")
    assert info.value.line == 2
    assert parse_document("# only a comment\n", "e.yaml").data is None


def test_each_loader_words_the_same_findings_its_own_way():
    text = "a: 1\nb: [1,\n"
    with pytest.raises(YamlSyntaxError) as info:
        parse_document(text, "x.yaml")
    problem = info.value.problem
    _, _, scoring = load_yaml(text, "s.yaml")
    assert [i.format() for i in scoring] == [f"s.yaml:3: error: YAML syntax: {problem}"]
    _, handoff = parse_yaml(text, "h.yaml")
    assert (handoff[0].line, handoff[0].message) == (3, f"invalid YAML: {problem}")
    with pytest.raises(AttributionConfigError) as info:
        parse_config(text, source="a.yaml")
    assert str(info.value) == f"a.yaml:3: <root>: invalid YAML: {problem}"


def test_a_scoring_model_can_name_norway():
    model, issues = parse_model(
        """\
name: nordics
version: 1
fit_rules:
  - id: nordic
    field: account.country
    op: in
    values: [NO, SE, DK]
    points: 10
behaviour_rules: []
mql: {fit: 10}
grades: {A: 10, B: 5, C: 1}
""",
        filename="n.yaml",
    )
    assert [i for i in issues if i.level == "error"] == []
    assert model.fit_rules[0].values == ("NO", "SE", "DK")
