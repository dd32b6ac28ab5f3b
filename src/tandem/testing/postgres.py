"""A throwaway PostgreSQL cluster for the test suite and benchmarks.

Runs `initdb` + `pg_ctl` from the installed PostgreSQL into a temporary directory, listening on
a unix socket only. As root the server runs as the `postgres` user (PostgreSQL refuses root).
"""

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries were found on this machine."""


def find_bindir() -> Path:
    """Directory holding initdb and pg_ctl (newest installed major version)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    for candidate in reversed(candidates):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")


@dataclass
class Cluster:
    """A running throwaway cluster; `url` reaches its `tandem` database."""

    root: Path
    bindir: Path
    port: int
    run_as: str | None

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str = "tandem") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def create_database(self, name: str) -> None:
        """Create a database in the cluster."""
        self._run(
            "createdb", "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", name
        )

    def stop(self) -> None:
        """Stop the server and remove its files."""
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(port: int = 54329, settings: dict[str, str] | None = None) -> Cluster:
    """Initialise and start a cluster tuned for throwaway use (fsync off); `settings`: more
    server settings (e.g. a benchmark's `shared_buffers`)."""
    bindir = find_bindir()
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
    (root / "socket").mkdir()
    if run_as:
        shutil.chown(root, run_as)
        shutil.chown(root / "socket", run_as)
        os.chmod(root, 0o755)
    cluster = Cluster(root=root, bindir=bindir, port=port, run_as=run_as)
    cluster._run("initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = (
        f"-k {root / 'socket'} -p {port} -c listen_addresses='' -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
    cluster._run(
        "pg_ctl", "-D", str(root / "data"), "-o", options, "-l", str(root / "log"), "-w", "start"
    )
    cluster.create_database("tandem")
    return cluster
