"""Panels other capabilities add to the lead packet (`Capability.packet_sections`): the
content capability's "what to send next", the same suggestions its own service gives."""

from tandem.analytics.snapshot import load_facts
from tandem.content import analytics_service as service
from tandem.db import utcnow
from tests.content.test_analytics_service import seed
from tests.web.test_pages import login


def test_the_lead_packet_says_what_to_send_next_on_its_page_and_in_its_json(
    db, client, people, config
):
    w = seed(db)
    facts = load_facts(db_session=db, loaded_at=utcnow())
    expected = service.suggest_report(db, facts=facts, as_of=utcnow(), contact_id=w["lead"].id)
    assert expected.suggestions  # the seeded won deal read Case study after Pricing
    login(client, people.boss.email)
    answer = client.get(f"/api/v1/handoff/leads/{w['lead'].id}")
    assert answer.status_code == 200, answer.text
    packet = answer.json()
    # Other capabilities add their own panels (usage: product usage); this one is content's.
    [section] = [s for s in packet["sections"] if s["id"] == "send-next"]
    assert [(i["label"], i["url"]) for i in section["items"]] == [
        (s.title, f"/content/{s.asset_id}") for s in expected.suggestions
    ]
    assert "Pricing" not in [i["label"] for i in section["items"]]  # already read
    share = section["action"]["url"]
    assert share == f"/content?contact={w['lead'].id}"
    assert client.get(share).status_code == 200
    page = client.get(f"/handoff/leads/{w['lead'].id}").text
    panel = page.split('id="send-next"', 1)[1].split("</section>", 1)[0]
    assert "What to send next" in panel
    assert all(f'href="/content/{s.asset_id}"' in panel for s in expected.suggestions)
