"""The child process of `sqlite_worker`: reads SQLite through ADBC, answers in Arrow IPC.

Run as a script by `sqlite_worker` (stdlib, pyarrow and the ADBC driver only: it starts fast).
One request per line on stdin: {"path", "sql", "params"}; the answer on stdout is a JSON status
line, then (when ok) the rows as an Arrow IPC stream.
"""

import json
import sys
from typing import Any

_BATCH_ROWS = 65_536


def serve() -> None:
    """Answer requests until stdin closes."""
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    connections: dict[str, Any] = {}
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            path = request["path"]
            if path not in connections:
                # Autocommit: each read sees what is committed now, not a snapshot kept open.
                connections[path] = adbc.connect(path, autocommit=True)
                with connections[path].cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout=10000")
            cursor = connections[path].cursor()
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(_BATCH_ROWS)})
            cursor.execute(request["sql"], tuple(request["params"]) or None)
            batches = cursor.fetch_record_batch()
        except Exception as error:
            out.write((json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n").encode())
            out.flush()
            continue
        out.write(b'{"ok": true}\n')
        try:
            with pa.ipc.new_stream(out, batches.schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)
            out.flush()
        except Exception as error:
            print(f"columnar reader: {type(error).__name__}: {error}", file=sys.stderr)
            sys.exit(1)
        cursor.close()


if __name__ == "__main__":
    serve()
