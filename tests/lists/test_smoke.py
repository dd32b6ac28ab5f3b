from tests.lists import world
from tests.web.test_pages import login


def test_pages(client, db):
    w = world.build(db)
    login(client, w.boss.email)
    for path in (
        "/contacts",
        "/accounts",
        "/opportunities",
        "/leads",
        "/contacts?sort=-score&owner=Ann+Rep&cols=name,score,grade,owner,last_activity,segment,region,tier",
    ):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[-3000:])
    r = client.get("/contacts?sort=bogus&page=0&zzz=1&score_min=abc")
    assert r.status_code == 422, r.text[-2000:]
    print(r.text[r.text.index("<h1>") :][:1500])
