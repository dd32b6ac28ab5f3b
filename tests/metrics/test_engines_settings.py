"""`TANDEM_ANALYTICS_ENGINE` and `TANDEM_SPARK_MASTER`: an engine that is unknown, not
installed or not reachable stops the process at start with one line naming the setting; a
chosen engine is the one every later figure runs on, never a silent fallback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import tandem
from tandem.metrics import engine as metrics_engine
from tandem.settings import SettingsError, load_settings

SRC = str(Path(tandem.__file__).parents[1])  # this checkout's code in the child processes


def test_the_default_is_duckdb_in_process():
    settings = load_settings()
    assert (settings.analytics_engine, settings.spark_master) == ("duckdb", "local[2]")


def test_a_wrong_engine_name_fails_at_start_naming_the_setting(monkeypatch):
    monkeypatch.setenv("TANDEM_ANALYTICS_ENGINE", "sparc")
    with pytest.raises(SettingsError) as found:
        load_settings()
    assert str(found.value) == (
        "TANDEM_ANALYTICS_ENGINE 'sparc' is not an analytics engine Tandem runs on "
        "(one of: duckdb, spark)"
    )


def test_the_cli_stops_at_start_with_the_one_line(tmp_path):
    env = {**os.environ, "TANDEM_ANALYTICS_ENGINE": "snowflake", "PYTHONPATH": SRC}
    done = subprocess.run(
        [sys.executable, "-m", "tandem", "metrics", "show", "revenue_won"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "TANDEM_ANALYTICS_ENGINE 'snowflake' is not an analytics engine" in done.stderr


@pytest.mark.parametrize(
    ("master", "reason"),
    [
        ("local[two]", "TANDEM_SPARK_MASTER 'local[two]' is not a Spark master URL"),
        ("http://spark:7077", "TANDEM_SPARK_MASTER 'http://spark:7077' is not a Spark master URL"),
    ],
)
def test_a_malformed_master_fails_naming_the_setting(master, reason):
    with pytest.raises(SettingsError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        load_settings(analytics_engine="spark", spark_master=master)


def test_an_unreachable_master_fails_at_start_naming_the_setting():
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SettingsError) as found:
        load_settings(analytics_engine="spark", spark_master=f"spark://127.0.0.1:{port}")
    assert str(found.value).startswith(
        f"TANDEM_SPARK_MASTER 'spark://127.0.0.1:{port}' is not reachable (127.0.0.1:{port}: "
    )


def test_spark_not_installed_fails_at_start(tmp_path):
    """In a Python where pyspark cannot be imported the setting is refused, not ignored."""
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "import importlib.util as u; u.find_spec = lambda name, *a: None\n"
        "from tandem.settings import load_settings, SettingsError\n"
        "try:\n    load_settings(analytics_engine='spark')\n"
        "except SettingsError as e:\n    print(e)\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == (
        "TANDEM_ANALYTICS_ENGINE=spark but pyspark is not installed (pip install 'pyspark>=4.0'); "
        "nothing falls back to DuckDB"
    )


def test_the_chosen_engine_is_the_one_figures_run_on():
    spark = load_settings(analytics_engine="spark")
    try:
        metrics_engine.use(spark)
        assert metrics_engine.chosen() == {"engine": "spark", "spark_master": "local[2]"}
    finally:
        metrics_engine.use(load_settings())
    assert metrics_engine.chosen()["engine"] == "duckdb"
