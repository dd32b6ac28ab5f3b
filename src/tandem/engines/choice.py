"""Which analytics engine a Tandem process uses, checked when it starts (docs/scaling.md).

An engine that is named but not installed or not reachable stops the process at start with one
line naming the setting: a figure never silently comes from another engine than the one asked.
"""

import importlib.util
import re
import shutil
import socket

#: The engines `TANDEM_ANALYTICS_ENGINE` may name.
ENGINES = ("duckdb", "spark")
_MASTER = re.compile(r"^(local(\[(\d+|\*)\])?|spark://[^/:]+:\d+(,[^/:]+:\d+)*|yarn|k8s://\S+)$")
#: Seconds to wait for a standalone Spark master to accept a connection at start.
CONNECT_SECONDS = 5.0


def check_name(value: str) -> str:
    """`value` if it names an engine Tandem runs on, else an error naming the setting."""
    if value not in ENGINES:
        raise ValueError(
            f"TANDEM_ANALYTICS_ENGINE {value!r} is not an analytics engine Tandem runs on "
            f"(one of: {', '.join(ENGINES)})"
        )
    return value


def check_reachable(engine: str, master: str) -> None:
    """Refuse, naming the setting, an engine that is not installed or cannot be reached."""
    if engine != "spark":
        return
    if importlib.util.find_spec("pyspark") is None:
        raise ValueError(
            "TANDEM_ANALYTICS_ENGINE=spark but pyspark is not installed "
            "(pip install 'pyspark>=4.0'); nothing falls back to DuckDB"
        )
    if not _MASTER.match(master):
        raise ValueError(
            f"TANDEM_SPARK_MASTER {master!r} is not a Spark master URL "
            "(local[2], local[*], spark://host:7077, yarn or k8s://...)"
        )
    if shutil.which("java") is None and not _java_home():
        raise ValueError(
            "TANDEM_ANALYTICS_ENGINE=spark needs Java 17 or later: no `java` on PATH "
            "and no JAVA_HOME"
        )
    if master.startswith("spark://"):
        for host_port in master.removeprefix("spark://").split(","):
            _connect(host_port, master)


def _java_home() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(home) and shutil.which("java", path=f"{home}/bin") is not None


def _connect(host_port: str, master: str) -> None:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS):
            return
    except OSError as exc:
        raise ValueError(
            f"TANDEM_SPARK_MASTER {master!r} is not reachable ({host_port}: {exc.strerror or exc})"
        ) from None
