"""Static files and Plotly go out gzipped with a content hash in the URL and a year's cache."""

import gzip
import re
from pathlib import Path

from tandem.auth.roles import Role
from tandem.web.assets import YEAR, AssetFiles
from tests import factories as f
from tests.analytics.conftest import seed_world
from tests.web.test_pages import login


def test_the_dashboard_loads_plotly_gzipped_and_cached_for_a_year(db, client):
    seed_world(db)
    cro = f.user(db, role=Role.EXECUTIVE, name="Cro")
    db.flush()
    assert login(client, cro.email).status_code == 303
    html = client.get("/analytics/funnel").text
    url = re.search(r'src="(/vendor/plotly/plotly\.min\.js\?v=[0-9a-f]{12})"', html).group(1)
    answer = client.get(url, headers={"Accept-Encoding": "gzip"})
    raw = answer.content  # httpx decodes the body; the wire size is in the header
    assert answer.headers["content-encoding"] == "gzip"
    wire = int(answer.headers["content-length"])
    assert wire < 1_600_000 < 4_000_000 < len(raw)  # 4.8 MB of script, under 1.6 MB on the wire
    assert answer.headers["cache-control"] == f"public, max-age={YEAR}, immutable"
    assert "plotly.js" in raw[:300].decode()


def test_an_unhashed_url_is_revalidated_and_an_etag_answers_304(client):
    answer = client.get("/static/tandem.css")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"
    again = client.get("/static/tandem.css", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_stale_hash_is_not_cached_for_a_year(client):
    answer = client.get("/static/tandem.css?v=000000000000")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"


def test_no_gzip_for_a_client_that_does_not_take_it(client):
    answer = client.get("/static/tandem.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in answer.headers and b"body" in answer.content


def test_a_changed_file_gets_a_new_hash_and_paths_outside_are_refused(tmp_path: Path):
    (tmp_path / "a.js").write_text("x" * 600)
    (tmp_path.parent / "secret.txt").write_text("no")
    files = AssetFiles(tmp_path)
    first = files.asset("a.js")
    assert gzip.decompress(first.gzipped) == b"x" * 600
    (tmp_path / "a.js").write_text("y" * 700)
    assert files.asset("a.js").digest != first.digest
    assert files.asset("../secret.txt") is None and files.asset("missing.js") is None


def test_pages_link_hashed_assets(client):
    html = client.get("/login").text
    assert re.search(r'href="/static/tandem\.css\?v=[0-9a-f]{12}"', html)
