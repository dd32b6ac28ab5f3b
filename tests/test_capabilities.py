"""The one list of capabilities: every package declares itself, the app and the CLI are built
from the declarations, and the docs name every capability."""

import importlib
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

from tandem.auth.roles import Role
from tandem.capabilities import INSTALLED, build_bus, capabilities, cli_groups, each, resolve
from tandem.events import ActivitiesStored, StageChanged
from tandem.web.app import create_app
from tests import factories
from tests.web.test_pages import login

REFERENCES = ("routers", "tasks", "definitions", "review_sections")


def test_every_capability_package_declares_a_manifest():
    names = [c.name for c in capabilities()]
    assert len(names) == len(set(names)) == len(INSTALLED)
    assert all(c.summary for c in capabilities())


@pytest.mark.parametrize("capability", capabilities(), ids=lambda c: c.name)
def test_every_reference_resolves_and_sits_in_its_layout(capability):
    for attribute in REFERENCES:
        for reference in getattr(capability, attribute):
            assert resolve(reference) is not None
    for reference in capability.routers:  # routes live in api/pages/web modules
        assert reference.split(":")[0].rsplit(".", 1)[1] in {"api", "pages", "web"}, reference
    for target in capability.cli.values():  # commands in cli modules
        assert target.split(":")[0].rsplit(".", 1)[1].endswith("cli"), target
    if capability.permissions:  # permission rows in access.py
        assert capability.permissions.endswith(".access:RULES")
    for _, target in capability.handlers:
        module, name = target.split(":")
        assert callable(getattr(importlib.import_module(module), name))


def test_the_app_serves_every_declared_router(settings):
    app = create_app(settings)
    paths = {r.path for r in iter_route_contexts(app.routes)}
    for _, routers in each("routers"):
        for reference in routers:
            declared = {r.path for r in iter_route_contexts(resolve(reference).routes)}
            assert declared and declared <= paths, reference


def test_every_nav_link_is_a_page_the_app_serves_and_shows_in_the_bar(settings, db, client):
    paths = {r.path for r in iter_route_contexts(create_app(settings).routes)}
    links = [link for _, declared in each("nav") for link in declared]
    assert ("Metrics", "/metrics") in links
    assert all(path in paths for _, path in links)
    admin = factories.user(db, role=Role.ADMIN)
    assert login(client, admin.email).status_code == 303
    bar = client.get("/").text.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert all(f'href="{path}"' in bar and f">{label}</a>" in bar for label, path in links)


def test_the_cli_and_the_bus_come_from_the_manifests():
    assert {"definitions", "import", "scoring", "handoff", "sla", "routing"} <= set(cli_groups())
    bus = build_bus()
    # Scoring first: the account score runs after the contacts' scores in one transaction.
    assert [h.target for h in bus.handlers(ActivitiesStored)] == [
        "tandem.scoring.incremental:on_activities_stored",
        "tandem.accounts.scores:on_activities_stored",
    ]
    # The handoff routes an MQL before its own notifications about the lead are marked done.
    assert [h.target for h in bus.handlers(StageChanged)] == [
        "tandem.webhooks.handlers:on_stage_changed",
        "tandem.handoff.intake:on_stage_changed",
        "tandem.handoff.notify_done:on_stage_changed",
    ]


def test_every_capability_is_documented(repo_root):
    developing = (repo_root / "docs" / "developing.md").read_text()
    missing = [c.name for c in capabilities() if f"| {c.name} |" not in developing]
    assert missing == []


def test_every_models_module_is_declared_by_a_capability():
    import tandem

    root = Path(tandem.__file__).parent
    found = {f"tandem.{p.parent.name}.models" for p in root.glob("*/models.py")}
    declared = {m for _, modules in each("tables") for m in modules}
    assert found == declared
