"""Static files served compressed and cached: Plotly (4.8 MB) goes out as about 1.4 MB of gzip,
once per browser.

Each file is read and gzipped once per process (and again when it changes on disk), so a
request costs a dictionary look-up, not a compression. Pages name a file with `asset_url`,
which adds the first 12 hex digits of its SHA-256 (`?v=`); an answer to a URL carrying the
current hash may be cached for a year (`immutable`), any other must be revalidated (ETag).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

YEAR = 365 * 24 * 3600
#: Smaller bodies gain little from gzip and text-only types are worth compressing.
_MIN_GZIP = 512
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@dataclass(frozen=True)
class Asset:
    """One file as served: its bytes, gzipped bytes (when worth it), hash and type."""

    body: bytes
    gzipped: bytes | None
    digest: str
    media_type: str
    mtime_ns: int


def _load(path: Path) -> Asset:
    body = path.read_bytes()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type == "application/javascript" or media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    compressible = len(body) >= _MIN_GZIP and media_type.startswith(_COMPRESSIBLE)
    return Asset(
        body=body,
        # mtime=0: the same file always gives the same bytes (stable ETag, testable sizes).
        gzipped=gzip.compress(body, compresslevel=6, mtime=0) if compressible else None,
        digest=hashlib.sha256(body).hexdigest()[:12],
        media_type=media_type,
        mtime_ns=path.stat().st_mtime_ns,
    )


class AssetFiles:
    """An ASGI app serving one directory's files compressed and cached (see the module)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._cache: dict[Path, Asset] = {}

    def asset(self, name: str) -> Asset | None:
        """The file `name` under the directory (None when missing or outside it)."""
        path = (self.directory / name.lstrip("/")).resolve()
        if not path.is_relative_to(self.directory) or not path.is_file():
            return None
        found = self._cache.get(path)
        if found is None or found.mtime_ns != path.stat().st_mtime_ns:
            found = self._cache[path] = _load(path)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Headers(scope=scope)
        found = self.asset(scope["path"].removeprefix(scope.get("root_path", "")))
        if found is None or scope["method"] not in ("GET", "HEAD"):
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        etag = f'"{found.digest}"'
        query = scope.get("query_string", b"").decode("latin-1")
        pinned = f"v={found.digest}" in query.split("&")
        headers = {
            "ETag": etag,
            "Vary": "Accept-Encoding",
            "Cache-Control": f"public, max-age={YEAR}, immutable" if pinned else "no-cache",
        }
        if request.get("if-none-match") == etag:
            await Response(status_code=304, headers=headers)(scope, receive, send)
            return
        body = found.body
        if found.gzipped is not None and "gzip" in request.get("accept-encoding", ""):
            body = found.gzipped
            headers["Content-Encoding"] = "gzip"
        if scope["method"] == "HEAD":
            headers["Content-Length"] = str(len(body))
            body = b""
        response = Response(body, media_type=found.media_type, headers=headers)
        await response(scope, receive, send)


class Assets:
    """The app's asset mounts, by URL prefix; `url` gives a page its hashed link."""

    def __init__(self) -> None:
        self.mounts: dict[str, AssetFiles] = {}

    def mount(self, app: object, prefix: str, directory: Path) -> None:
        """Serve `directory` at `prefix` on `app` (a FastAPI or Starlette app)."""
        files = AssetFiles(directory)
        self.mounts[prefix] = files
        app.mount(prefix, files, name=prefix.strip("/").replace("/", "-"))  # type: ignore[attr-defined]

    def url(self, path: str) -> str:
        """`path` with its content hash (`/static/tandem.css?v=3fa2...`); unchanged when no
        mount serves it, so a missing file still fails visibly as a 404."""
        for prefix, files in self.mounts.items():
            if path.startswith(prefix + "/"):
                found = files.asset(path.removeprefix(prefix))
                if found is not None:
                    return f"{path}?v={found.digest}"
        return path
