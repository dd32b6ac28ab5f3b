"""`tandem attribution paths`: the reference outputs, the reference packages, bad path tables."""

import contextlib
import io
import json
from importlib import resources

import numpy as np
import pandas as pd
import polars as pl
import pytest
from typer.testing import CliRunner

from tandem.attribution import markov_attribution
from tandem.attribution.path_table import PathTableError, parse_path_table
from tandem.cli.main import app

from .conftest import PATHDATA

runner = CliRunner()
DATA = PATHDATA / "Data.csv"
REFERENCE_COLUMNS = {
    "first_touch": ("first_touch_conversions", "first_touch_value"),
    "last_touch": ("last_touch_conversions", "last_touch_value"),
    "linear": ("linear_touch_conversions", "linear_touch_value"),
    "position_based": ("position_40_20_40_conversions_mam", "position_40_20_40_value_mam"),
    "markov": ("markov_o1_conversions_exact", "markov_o1_value_exact"),
}


def run(*args):
    return runner.invoke(app, ["attribution", "paths", *map(str, args)])


def output_frame(result) -> pl.DataFrame:
    assert result.exit_code == 0, result.output
    return pl.read_csv(io.StringIO(result.stdout))


@pytest.fixture(scope="module")
def data_csv_result():
    if not DATA.exists():
        pytest.skip("reference path data not available")
    return output_frame(run(DATA))


def test_data_csv_equals_the_reference_outputs_to_1e5(data_csv_result, reference):
    assert data_csv_result.columns == ["channel", "model", "conversions", "value"]
    assert data_csv_result["model"].unique(maintain_order=True).to_list() == [
        "first_touch", "last_touch", "linear", "position_based", "markov", "shapley",
    ]  # fmt: skip
    for model, (conversions, value) in REFERENCE_COLUMNS.items():
        rows = data_csv_result.filter(pl.col("model") == model)
        assert set(rows["channel"]) == set(reference[conversions])
        for channel, ours_c, ours_v in rows.select("channel", "conversions", "value").iter_rows():
            assert abs(ours_c - reference[conversions][channel]) <= 1e-5, (model, channel)
            assert abs(ours_v - reference[value][channel]) <= 1e-5, (model, channel)


def test_every_model_distributes_all_conversions_and_value(data_csv_result):
    totals = data_csv_result.group_by("model").agg(pl.col("conversions", "value").sum())
    for _, conversions, value in totals.iter_rows():
        assert conversions == pytest.approx(19_785) and value == pytest.approx(74_802.972)


def test_repeated_path_rows_are_summed(tmp_path):
    split = "path,total_conversions,total_conversion_value,total_null\n" + (
        "a > b,1,10,0\na > b,2,20,1\nb,1,5,3\n"
    )
    merged = "path,total_conversions,total_conversion_value,total_null\na > b,3,30,1\nb,1,5,3\n"
    (tmp_path / "split.csv").write_text(split)
    (tmp_path / "merged.csv").write_text(merged)
    assert output_frame(run(tmp_path / "split.csv")).equals(
        output_frame(run(tmp_path / "merged.csv"))
    )


def test_json_format_and_model_choice(tmp_path):
    (tmp_path / "p.csv").write_text(
        "path;total_conversions;total_conversion_value;total_null\nx | y;2;8;0\n"
    )
    result = run(
        tmp_path / "p.csv", "--sep", "|", "--models", "first_touch,markov", "--format", "json"
    )
    rows = json.loads(result.stdout)
    assert {(r["model"], r["channel"], r["conversions"]) for r in rows} == {
        ("first_touch", "x", 2.0), ("first_touch", "y", 0.0),
        ("markov", "x", 1.0), ("markov", "y", 1.0),
    }  # fmt: skip


HEADER = "path,total_conversions,total_conversion_value,total_null\n"


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (
            "path,total_conversions,total_conversion_value\na,1,1\n",
            (),
            "header, field total_null: column is missing",
        ),
        (HEADER + "a > b,1,1,0\nb,-2,1,0\n", (), "row 2 (line 3), field total_conversions: "
         "must not be negative, got -2"),
        (HEADER + "a,1,1,0\n,1,1,0\n", (), "row 2 (line 3), field path: the path is empty"),
        (HEADER + "a > > b,1,1,0\n", (), "row 1 (line 2), field path: channel 2 of 'a > > b' is "
         "empty"),
        (HEADER + "a,1,lots,0\n", (), "row 1 (line 2), field total_conversion_value: 'lots' is "
         "not a number"),
        (HEADER + "a > b,1,1,0\nb > c,1,1,0\n", ("--sep", "|"), "row 1 (line 2), field path: the "
         "separator '|' occurs in no path"),
        (HEADER + "a,1,1,0\n", ("--models", "w_shaped"), "unknown model(s) w_shaped"),
    ],
)  # fmt: skip
def test_bad_path_tables_name_row_and_field(tmp_path, text, args, message):
    (tmp_path / "bad.csv").write_text(text)
    result = run(tmp_path / "bad.csv", *args)
    assert result.exit_code == 1
    assert message in result.output, result.output


def test_every_bad_cell_is_listed_at_once():
    frame = pl.DataFrame({
        "path": ["a", ""], "total_conversions": ["-1", "1"],
        "total_conversion_value": ["1", "x"], "total_null": ["0", "0"],
    })  # fmt: skip
    with pytest.raises(PathTableError) as caught:
        parse_path_table(frame, source="t.csv")
    assert [(i.row, i.field) for i in caught.value.issues] == [
        (1, "total_conversions"), (2, "path"), (2, "total_conversion_value"),
    ]  # fmt: skip


def test_custom_model_weights_must_sum_to_100(tmp_path):
    (tmp_path / "p.csv").write_text(HEADER + "a > b > c,10,100,0\n")
    text = resources.files("tandem.attribution").joinpath("default.yaml").read_text("utf-8")
    bad = text.replace("custom_models: {}", "custom_models:\n  heavy: {first: 60, last: 30}")
    (tmp_path / "bad.yaml").write_text(bad)
    result = run(tmp_path / "p.csv", "--config", tmp_path / "bad.yaml", "--models", "heavy")
    line = bad.splitlines().index("  heavy: {first: 60, last: 30}") + 1
    assert result.exit_code == 1
    assert f"bad.yaml:{line}: custom_models.heavy: weights must sum to 100, got 90" in result.output
    good = text.replace(
        "custom_models: {}", "custom_models:\n  heavy: {first: 60, rest: 10, last: 30}"
    )
    (tmp_path / "good.yaml").write_text(good)
    rows = output_frame(
        run(tmp_path / "p.csv", "--config", tmp_path / "good.yaml", "--models", "heavy")
    )
    assert dict(zip(rows["channel"], rows["conversions"], strict=True)) == {"a": 6, "b": 1, "c": 3}


def generated_paths(seed=3, rows=1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    channels = np.array(["email", "search", "social", "events", "partner", "direct"])
    lengths = rng.integers(1, 7, rows)
    paths = [
        " > ".join(rng.choice(channels, n, p=[0.3, 0.25, 0.2, 0.1, 0.05, 0.1])) for n in lengths
    ]
    conversions = rng.integers(0, 4, rows)
    return pd.DataFrame({
        "path": paths, "total_conversions": conversions,
        "total_conversion_value": np.round(conversions * rng.uniform(50, 500, rows), 2),
        "total_null": rng.integers(0, 6, rows),
    })  # fmt: skip


def test_generated_paths_agree_with_channelattribution_and_mam(tmp_path):
    frame = generated_paths()
    frame.to_csv(tmp_path / "gen.csv", index=False)
    ours = output_frame(run(tmp_path / "gen.csv"))

    def model(name, column):
        rows = ours.filter(pl.col("model") == name)
        return dict(zip(rows["channel"], rows[column], strict=True))

    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution as ca

        heuristic = ca.heuristic_models(
            frame, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
        ).set_index("channel_name")
    for name, prefix in (("first_touch", "first"), ("last_touch", "last"), ("linear", "linear")):
        for kind, column in (("conversions", "conversions"), ("value", "value")):
            theirs = heuristic[f"{prefix}_touch_{kind}"].to_dict()
            assert model(name, column) == pytest.approx(theirs, rel=1e-9), (name, kind)

    import mam

    grouped = pd.concat([
        pd.DataFrame({"path": frame.path, "has_conv": True, "n": frame.total_conversions}),
        pd.DataFrame({"path": frame.path, "has_conv": False, "n": frame.total_null}),
    ]).query("n > 0")  # fmt: skip
    fitted = mam.MAM(
        grouped, format_type="grouped_journey", channels_colname="path",
        journey_with_conv_colname="has_conv", occurrences_colname="n",
    ).run_markov()  # fmt: skip
    effects = fitted.metadata["removal_effect"]["removal_effect"].to_dict()
    share = {c: e / sum(effects.values()) for c, e in effects.items()}
    total = frame.total_conversions.sum()
    assert model("markov", "conversions") == pytest.approx(
        {c: total * s for c, s in share.items()}, rel=1e-9
    )
    paths = parse_path_table(pl.from_pandas(frame.astype(str)))
    assert markov_attribution(paths).removal_effects == pytest.approx(
        [effects[c] for c in paths.channels], rel=1e-9
    )
