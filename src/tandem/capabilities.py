"""The one list of capabilities, and what the app, the CLI and the tests build from it.

Each capability package declares itself in `<package>/manifest.py` as one `Capability`: its
routers (API and pages), CLI groups, permission rows, event handlers, background tasks and pure
modules, every code reference a `module:attribute` string imported only when used. The app
factory, the CLI, the permission gate, the event bus, table discovery and the purity and docs
tests all iterate over `INSTALLED`; adding a capability is one package and one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from tandem.events import EventBus, LazyHandler

if TYPE_CHECKING:
    from tandem.definitions.kinds import DefinitionKind

#: Capability packages, in the order their routes and handlers are installed.
INSTALLED: tuple[str, ...] = (
    "tandem.contacts",  # before the shell: its `/contacts/new` precedes `/contacts/{contact_id}`
    "tandem.web",
    "tandem.auth",
    "tandem.lifecycle",
    "tandem.webhooks",  # before definitions: its /admin/webhooks goes ahead of /admin/{kind}
    "tandem.definitions",
    "tandem.handoff",
    "tandem.ingest",
    "tandem.attribution",
    "tandem.scoring",
    "tandem.accounts",
    "tandem.lists",
    "tandem.analytics",
    "tandem.metrics",
    "tandem.search",
    "tandem.goals",
    "tandem.usage",
    "tandem.reports",
    "tandem.audit",
    "tandem.alignment",
    "tandem.content",
    "tandem.demo",
)


@dataclass(frozen=True)
class Capability:
    """What one capability adds to Tandem; references are `module:attribute` strings."""

    name: str
    summary: str
    routers: tuple[str, ...] = ()  # APIRouters, included in this order
    cli: Mapping[str, str] = field(default_factory=dict)  # `tandem <group>` -> a Typer app
    permissions: str | None = None  # a dict of (method, path) -> Rule
    handlers: tuple[tuple[type, str], ...] = ()  # (event type, handler)
    tasks: tuple[str, ...] = ()  # install(app): background work and mounts at app start
    tables: tuple[str, ...] = ()  # modules of SQLAlchemy models (Base.metadata's tables)
    pure: tuple[str, ...] = ()  # modules that import no storage, web or CLI code
    definitions: tuple[str, ...] = ()  # DefinitionKinds: versioned, jointly approved YAML
    metrics: tuple[str, ...] = ()  # tuples of `tandem.metrics.spec.Metric`: its figures
    nav: tuple[tuple[str, str], ...] = ()  # (label, path) links in the top bar, when allowed
    # Weekly review sections: review(db_session=, facts=, week=, as_of=) -> list of Panels.
    review_sections: tuple[str, ...] = ()
    # Lead packet panels: section(*, db_session, facts, contact_id, as_of) -> PacketSection,
    # `facts` a callable returning the columnar copy (read only when the panel needs it).
    packet_sections: tuple[str, ...] = ()
    # Relations metrics are defined over: tuples of `tandem.analytics.extra.Relation`, each
    # built from the columnar copy (and, if it reads its own rows of the store, kept there).
    relations: tuple[str, ...] = ()


def resolve(reference: str) -> Any:
    """The object a `module:attribute` reference names."""
    module, name = reference.split(":")
    return getattr(importlib.import_module(module), name)


@cache
def capabilities() -> tuple[Capability, ...]:
    """Every installed capability's manifest."""
    return tuple(importlib.import_module(f"{package}.manifest").CAPABILITY for package in INSTALLED)


def each(attribute: str) -> Iterator[tuple[Capability, Any]]:
    """(capability, value) for every capability declaring `attribute`."""
    for capability in capabilities():
        value = getattr(capability, attribute)
        if value:
            yield capability, value


def build_bus() -> EventBus:
    """A new event bus with every capability's handlers (imported when first called)."""
    return EventBus(
        (event_type, LazyHandler(target))
        for _, handlers in each("handlers")
        for event_type, target in handlers
    )


def cli_groups() -> dict[str, str]:
    """`tandem <group>` -> its Typer app's reference."""
    return {name: target for _, groups in each("cli") for name, target in groups.items()}


def pure_modules() -> list[str]:
    """Every module declared pure by some capability."""
    return [module for _, modules in each("pure") for module in modules]


def metric_definitions() -> list[Any]:
    """Every metric every capability defines (`tandem.metrics.spec.Metric`), in order."""
    return [metric for _, refs in each("metrics") for ref in refs for metric in resolve(ref)]


def relation_definitions() -> list[Any]:
    """Every relation capabilities add to the columnar copy (`tandem.analytics.extra`)."""
    return [r for _, refs in each("relations") for ref in refs for r in resolve(ref)]


def nav_links() -> list[tuple[str, str]]:
    """(label, path) of the top-bar links capabilities add, in installation order."""
    return [link for _, links in each("nav") for link in links]


def review_sections() -> list[Any]:
    """Every capability's weekly review section builders, in installation order."""
    return [resolve(ref) for _, refs in each("review_sections") for ref in refs]


def packet_sections() -> list[Any]:
    """Every capability's lead packet panel builders, in installation order."""
    return [resolve(ref) for _, refs in each("packet_sections") for ref in refs]


def definition_kinds() -> dict[str, DefinitionKind]:
    """Every kind of definition a capability declares, by name."""
    kinds = (resolve(ref) for _, refs in each("definitions") for ref in refs)
    return {kind.name: kind for kind in kinds}
