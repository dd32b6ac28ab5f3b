"""The lifecycle service is the only writer of stage transitions: no other module of Tandem
inserts into `stage_transitions` (by the ORM class, its table, or the table's name)."""

import ast
from pathlib import Path

import tandem

SRC = Path(tandem.__file__).parent
OWNER = SRC / "lifecycle"


def _writes_transitions(tree: ast.AST) -> list[int]:
    """Lines that build a StageTransition, insert into its table or name the table in SQL."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            args = " ".join(ast.unparse(a) for a in [*node.args, *(k.value for k in node.keywords)])
            if name == "StageTransition" or (
                name.split(".")[-1] in {"insert", "insert_frame", "write"}
                and ("StageTransition" in args or "stage_transitions" in args)
            ):
                lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if "insert into stage_transitions" in text:
                lines.append(node.lineno)
    return lines


def test_only_the_lifecycle_writes_stage_transitions():
    offenders = {
        str(path.relative_to(SRC)): found
        for path in SRC.rglob("*.py")
        if OWNER not in path.parents
        and "migrations" not in path.parts
        and (found := _writes_transitions(ast.parse(path.read_text())))
    }
    assert offenders == {}


def test_the_check_sees_a_writer():
    planted = "from x import insert\nsession.execute(insert(StageTransition), rows)\n"
    assert _writes_transitions(ast.parse(planted)) == [2]
    assert _writes_transitions(ast.parse("StageTransition(contact_id=1)")) == [1]
