"""Configuration: the shipped defaults, and bad input reported with file, line and field."""

from importlib import resources
from pathlib import Path

import pytest

from tandem.attribution import AttributionConfigError, default_config, load_config, parse_config

DEFAULT = resources.files("tandem.attribution").joinpath("default.yaml").read_text()


def test_default_weights_are_the_documented_ones():
    config = default_config()
    assert config.version
    assert config.window.lookback_days == 180 and config.window.until_close is False
    assert config.u_shaped == {"first": 40, "rest": 20, "last": 40}
    assert config.w_shaped == {
        "first_touch": 30,
        "lead_creation": 30,
        "opportunity_creation": 30,
        "rest": 10,
    }
    assert config.full_path == {
        "first_touch": 22.5,
        "lead_creation": 22.5,
        "opportunity_creation": 22.5,
        "close": 22.5,
        "rest": 10,
    }
    assert config.time_decay.half_life_days == 7
    assert config.markov.order == 1
    assert config.shapley.exact_max_channels == 15
    assert config.custom_models == {}


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def issues(text: str, source: str = "attr.yaml") -> list[str]:
    with pytest.raises(AttributionConfigError) as error:
        parse_config(text, source=source)
    return [str(issue) for issue in error.value.issues]


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        (
            "{first: 40, rest: 20, last: 40}",
            "{first: 40, rest: 20, last: 30}",
            "u_shaped:",
            "u_shaped",
            "weights must sum to 100, got 90",
        ),
        (
            "half_life_days: 7",
            "half_life_days: -7",
            "half_life_days",
            "time_decay.half_life_days",
            "greater than 0",
        ),
        (
            "lookback_days: 180",
            "lookback_days: 0",
            "lookback_days",
            "window.lookback_days",
            "greater than 0",
        ),
        ("  seed: 0", "  seed: 0\n  sead: 1", "sead", "shapley.sead", "Extra inputs"),
        (
            "characteristic: conversions",
            "characteristic: revenue",
            "characteristic",
            "shapley.characteristic",
            "'conversions', 'value' or 'conversion_rate'",
        ),
        (
            "{first: 40, rest: 20, last: 40}",
            "{first: 40, middle: 20, last: 40}",
            "u_shaped:",
            "u_shaped",
            "unknown anchor 'middle'",
        ),
        (
            "{first: 40, rest: 20, last: 40}",
            "{first: 140, rest: -80, last: 40}",
            "u_shaped:",
            "u_shaped",
            "non-negative",
        ),
        (
            "custom_models: {}",
            "custom_models:\n  linear: {rest: 100}",
            "custom_models:",
            "custom_models",
            "not a built-in model",
        ),
        (
            "custom_models: {}",
            "custom_models:\n  mine: {first: 50, last: 40}",
            "  mine:",
            "custom_models.mine",
            "sum to 100",
        ),
        ('version: "2025.1"', "", "window:", "version", "Field required"),
    ],
)
def test_bad_input_names_file_line_and_field(old, new, needle, field, message):
    assert old in DEFAULT
    text = DEFAULT.replace(old, new)
    found = issues(text)
    line = line_of(text, needle)  # a missing field is reported where its mapping starts
    assert any(
        issue.startswith(f"attr.yaml:{line}: {field}: ") and message in issue for issue in found
    ), found


def test_every_issue_is_reported_at_once():
    text = DEFAULT.replace("last: 40}", "last: 30}").replace("order: 1", "order: 9")
    found = issues(text)
    assert len(found) == 2
    assert found[0].startswith(f"attr.yaml:{line_of(text, 'u_shaped:')}: u_shaped:")
    assert found[1].startswith(f"attr.yaml:{line_of(text, 'order: 9')}: markov.order:")


def test_yaml_syntax_error_and_duplicate_keys():
    (syntax,) = issues("version: 1\nwindow: {lookback_days: 180\n")
    assert syntax.startswith("attr.yaml:3: <root>: invalid YAML")
    text = DEFAULT.replace("  order: 1", "  order: 1\n  order: 2")
    (duplicate,) = issues(text)
    assert duplicate == f"attr.yaml:{line_of(text, 'order: 2')}: markov.order: duplicate key"


def test_load_config_names_the_file(tmp_path):
    path = tmp_path / "attribution.yaml"
    path.write_text(DEFAULT.replace("half_life_days: 7", "half_life_days: 0"))
    with pytest.raises(AttributionConfigError, match=rf"^{path}:\d+: time_decay.half_life_days"):
        load_config(path)
    path.write_text(DEFAULT.replace('version: "2025.1"', 'version: "custom-3"'))
    assert load_config(path).version == "custom-3"


def test_config_is_frozen():
    config = default_config()
    with pytest.raises(Exception, match="frozen"):
        config.version = "x"  # type: ignore[misc]


def test_every_setting_is_documented():
    docs = Path(__file__).parents[2] / "docs" / "attribution.md"
    if not docs.exists():
        pytest.skip("docs not present")
    text = docs.read_text()
    config = default_config()
    for name, field in type(config).model_fields.items():
        sub = getattr(field.annotation, "model_fields", None)
        keys = [f"{name}.{leaf}" for leaf in sub] if sub else [name]
        for key in keys:
            assert f"| `{key}` |" in text, f"{key} is missing from the settings table"
