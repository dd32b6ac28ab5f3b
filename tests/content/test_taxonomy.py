"""The content taxonomy as a definition: the shipped default is valid and active until both
teams approve a version; a proposal is checked at file:line; the approved one governs assets."""

import pytest

from tandem.content.definitions import active_taxonomy
from tandem.content.taxonomy import DEFAULT_PATH, default_taxonomy, parse_taxonomy
from tandem.definitions import service as definitions

from .conftest import token_for


def test_the_default_taxonomy_is_valid_and_covers_every_stage():
    taxonomy, issues = parse_taxonomy(DEFAULT_PATH.read_text(), "default.yaml")
    assert issues == [] and taxonomy == default_taxonomy()
    assert list(taxonomy.stages) == ["awareness", "consideration", "decision", "onboarding",
                                     "expansion"]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("stages: {awareness: A, later: L}\ntypes: {deck: D}\npersonas: {cfo: CFO}\n",
         "t.yaml:1: error: stages.later: unknown journey stage"),
        ("stages: {awareness: A}\ntypes: {}\npersonas: {cfo: CFO}\n",
         "t.yaml:2: error: types: lists nothing"),
        ("stages: {awareness: A}\ntypes: {deck: D}\npersonas:\n  cfo: CFO\n  cfo: Chief\n",
         "t.yaml:5: error: personas.cfo: duplicate key"),
        ("stages: {awareness: A}\ntypes: {Deck Big: D}\npersonas: {cfo: CFO}\n",
         "t.yaml:2: error: types.Deck Big: keys are lower_snake_case"),
        ("stages: [awareness\n", "t.yaml:"),
    ],
)  # fmt: skip
def test_a_bad_taxonomy_is_refused_at_file_and_line(text, where):
    taxonomy, issues = parse_taxonomy(text, "t.yaml")
    assert taxonomy is None and any(str(i).startswith(where) for i in issues), issues


def _define(db, marketer, manager, text):
    from tandem.content.definitions import TAXONOMY
    from tandem.db import utcnow

    version = definitions.propose(db_session=db, kind=TAXONOMY, text=text, user=marketer,
                                  at=utcnow(), source="taxonomy.yaml")  # fmt: skip
    return definitions.approve(db_session=db, kind=TAXONOMY, version_id=version.id,
                               user=manager, at=utcnow())  # fmt: skip


def test_an_approved_taxonomy_governs_new_assets(client, db, people):
    text = DEFAULT_PATH.read_text().replace("  finance: Finance\n", "  finance: Finance\n"
                                            "  procurement: Procurement\n")  # fmt: skip
    _define(db, people.marketer, people.manager, text)
    assert "procurement" in active_taxonomy(db).personas
    made = client.post("/api/v1/content/assets", headers=token_for(db, people.marketer), json={
        "title": "Buying guide for procurement", "type": "guide", "journey_stage": "decision",
        "personas": ["procurement"]})  # fmt: skip
    assert made.status_code == 201, made.text
    body = {"title": "Old", "type": "guide", "journey_stage": "decision", "personas": ["cfo"]}
    old = client.post("/api/v1/content/assets", headers=token_for(db, people.marketer), json=body)
    assert old.status_code == 422 and "procurement" in old.json()["detail"][0]["msg"]
