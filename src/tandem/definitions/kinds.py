"""What a kind of definition is: how its YAML is checked and which two roles agree on it.

Capabilities declare their kinds in their manifest (`Capability.definitions`); the service
and the CLI find them through `kind_named`, so a new kind is one object in its own package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tandem.auth.roles import Role
from tandem.definitions.base import Issue

#: (session, YAML text, file name for issues) -> every issue, located at file:line.
Check = Callable[[Session, str, str], Sequence[Issue]]


@dataclass(frozen=True)
class DefinitionKind:
    """A kind of definition: its name, what it is, its checker and the two agreeing roles.

    A version proposed by a user of one of `roles` is approved by a user of the other; an
    admin stands for RevOps, so admins propose or approve on the operations side."""

    name: str
    title: str
    check: Check
    roles: tuple[Role, Role]
    default_name: str = "default"

    def approver_role(self, proposer: Role) -> Role | None:
        """The role that approves what `proposer` proposed (None: `proposer` may not propose)."""
        first, second = self.roles
        return second if proposer is first else first if proposer is second else None


class UnknownKind(LookupError):
    """A definition kind no capability declares."""


def kind_named(name: str) -> DefinitionKind:
    """The kind called `name`; UnknownKind naming the known ones otherwise."""
    from tandem.capabilities import definition_kinds

    kinds = definition_kinds()
    if name not in kinds:
        raise UnknownKind(f"unknown definition kind {name!r}; known kinds: {', '.join(kinds)}")
    return kinds[name]
