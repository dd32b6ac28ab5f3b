"""Account hierarchy, pure: parent links checked for cycles, subtrees and roll-ups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class HierarchyCycle(ValueError):
    """Parent links that loop; `cycle` lists the accounts in order."""

    def __init__(self, cycle: list) -> None:
        self.cycle = cycle
        shown = " -> ".join(str(c) for c in [*cycle, cycle[0]])
        super().__init__(f"parent-child cycle: {shown}")


def find_cycle(parents: Mapping[K, K | None]) -> list[K] | None:
    """One cycle of `parents` (child -> parent), or None."""
    done: set[K] = set()
    for start in parents:
        path: list[K] = []
        seen: dict[K, int] = {}
        node: K | None = start
        while node is not None and node not in done:
            if node in seen:
                return path[seen[node] :]
            seen[node] = len(path)
            path.append(node)
            node = parents.get(node)
        done.update(path)
    return None


def check(parents: Mapping[K, K | None]) -> None:
    """HierarchyCycle when the links loop (a self-parent is a cycle of one)."""
    cycle = find_cycle(parents)
    if cycle is not None:
        raise HierarchyCycle(cycle)


def children(parents: Mapping[K, K | None]) -> dict[K, list[K]]:
    found: dict[K, list[K]] = defaultdict(list)
    for child, parent in parents.items():
        if parent is not None:
            found[parent].append(child)
    return found


def subtree(root: K, kids: Mapping[K, list[K]]) -> list[K]:
    """`root` and every account below it."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(kids.get(node, ()))
    return out


def root_of(node: K, parents: Mapping[K, K | None]) -> K:
    while (up := parents.get(node)) is not None:
        node = up
    return node


def rollup(
    nodes: Iterable[K],
    parents: Mapping[K, K | None],
    values: Mapping[K, V],
    combine: Callable[[Iterable[V]], V],
) -> dict[K, V]:
    """For every node, `combine` of the values of its subtree (itself included)."""
    check(parents)
    kids = children(parents)
    return {n: combine([values[m] for m in subtree(n, kids) if m in values]) for n in nodes}
