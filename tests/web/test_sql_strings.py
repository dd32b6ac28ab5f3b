"""No SQL built from strings: every f-string, `%`, `+` or `.format()` whose text looks like SQL
is found by walking the syntax tree of src/, and must be on the short allow-list below, each
interpolating only identifiers from our own models (never a value from a request or a file)."""

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tandem"
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|DROP|CREATE|ALTER|TRUNCATE|SET LOCAL|COPY|WHERE|VALUES)\b"
)

#: file under src/tandem -> the expressions it may interpolate into SQL, and why that is safe.
ALLOWED: dict[str, tuple[set[str], str]] = {
    "bulk.py": (
        {"table", "index.name", "', '.join(frame.columns)", "', '.join(columns)",
         "', '.join(('?' for _ in columns))"},
        "table, index and column names of our metadata (with_defaults refuses unknown columns)",
    ),
    "ingest/deferred.py": (
        {"table.name", "index.name", "PG_INDEX_MEMORY", "GUARD", "message", "key.name",
         "column", "parent", "orphan"},
        "names from our metadata (foreign keys' columns and tables too), module constants, "
        "and a message of a constant and an int",
    ),
    "ingest/setsql.py": (
        {"table.name", "', '.join(shown)", "', '.join(wanted)", "where", "back", "listed",
         "picked", "listing", "key", "stage", "typed", "shape", "', '.join(names)"},
        "column lists of our tables built by the module (values always go as parameters)",
    ),
    "ingest/store.py": (
        {"ACTIVITIES.name", "', '.join(_ACTIVITY_COLUMNS)",
         "', '.join((mark for _ in _ACTIVITY_COLUMNS))"},
        "the activities table's name and a module tuple of its columns (values as parameters)",
    ),
    "audit/guard.py": ({"MESSAGE"}, "a module constant in the trigger DDL"),
    "columnar/sqlite_worker.py": (
        {"columns", "sql"},
        "a SELECT SQLAlchemy compiled, behind a first row of fixed literals (values as parameters)",
    ),
    "metrics/sql.py": (
        {"', '.join(select)", "metric.population", "population", "where", "group",
         "', '.join(columns)", "order", "id_column", "_scope(metric, window)"},
        "the metric compiler: names and conditions from metric definitions (code), dimensions "
        "checked by _dimension against the metric's list, window bounds as numbers it computed; "
        "every user value is a `?` parameter",
    ),
    "engines/rescore_sql.py": (
        {"' AND '.join(checks)", "' AND '.join(keep)", "_clamp('u', rule.daily_cap)", 'cents',
         'd.string(rule.id)', 'daily', 'day', 'final', 'fit_condition(rule, schema, d)', 'grade',
         'order', 'parts', 'per_contact', 'sums', 'to_cents(rule.points)', 'union',
         'units_to_cents(final, d)', 'value', 'valued', 'by', 'source'},
        "the lead rescore generated from a validated scoring model: rule ids, activity types "
        "and filter values quoted by the Dialect (Dialect.string), numbers computed here, "
        "subqueries built by the module",
    ),
    "engines/attribution_sql.py": (
        {"''.join((', ' + c for c in windows))", "''.join((c + ', ' for c in dimensions))",
         "', ' + shares if shares else ''", "', '.join(weights)",
         "'LEFT JOIN shares s ON tp.channel = s.channel' if learned else ''", '_JOURNEY',
         'cents', 'close', 'columns', 'counted', 'flags', 'joined', 'kept', 'lookback',
         'marked', 'mask', 'numbered', 'path', 'per_deal', 'query', 'source',
         'source or touches_sql(config)', 'touches_sql(config, extra)', 'windowed'},
        'attribution generated from a validated configuration: model names snake_case '
        '(validated), anchors matched by a regex, weights and windows numbers formatted here, '
        'column names from the module; no user value reaches the text',
    ),
    "engines/backtest_sql.py": (
        {"' AND '.join(checks)", 'activity_condition(rule, acts, d)', 'behaviour', 'end_us',
         'engagement', 'fit', 'fits', "kept.format('a.contact_id')", 'most', 'union', 'whose'},
        "the backtest's cut-off scores generated from a validated scoring model through "
        "rescore_sql's helpers: values quoted by the Dialect, numbers computed here",
    ),
    "engines/health_sql.py": (
        {"', '.join(aggs)", "', '.join(periods)", "', '.join(select)",
         "'CAST(engagement AS DOUBLE)' if engagement else NULL", 'ACTIVE', 'VALUES',
         '_double(b.at_risk)', '_double(b.healthy)', '_double(comp.weight)', 'as_of',
         'd.string(comp.kind)', 'd.string(comp.name)', 'd.string(name)', 'limits', 'now',
         'parts', 'people', 'periods', 'plan', "points_sql(comp, 'v')", 'score', 'sums',
         'value_sql(comp, d)'},
        'customer health generated from a validated health model: component names and kinds '
        'quoted by the Dialect (Dialect.string), numbers computed here',
    ),
    "engines/rollup_sql.py": (
        {"', '.join((d.string(k) for k in weights))", "', '.join(aggregates)", "', '.join(person)",
         'acts', 'age', 'd.string(NO_ROLE)', 'people', 'weight', 'window'},
        "the account roll-up generated from a validated account score model: activity types and "
        "roles quoted by the Dialect, numbers computed here, subqueries built by the module",
    ),
    "metrics/engine.py": (
        {"column", "relation"},
        "a relation and a dimension of a metric's definition, checked by the caller",
    ),
}  # fmt: skip


def _constant_text(node: ast.AST) -> str:
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _interpolated(node: ast.AST) -> list[str]:
    if isinstance(node, ast.JoinedStr):
        return [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp):
        return [
            ast.unparse(side)
            for side in (node.left, node.right)
            if not isinstance(side, ast.Constant | ast.JoinedStr)
        ]
    if isinstance(node, ast.Call):
        return [ast.unparse(a) for a in node.args] + [ast.unparse(k.value) for k in node.keywords]
    return []


def _built_strings(tree: ast.AST):
    """f-strings, `%` / `+` on string constants and `"...".format(...)` calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield node
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                yield node
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
        ):
            yield node


def find_string_built_sql(root: Path = SRC) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("migrations/"):
            continue  # fixed DDL written by us, run by an operator
        tree = ast.parse(path.read_text(), str(path))
        for node in _built_strings(tree):
            if not SQL.search(_constant_text(node)):
                continue
            for expr in _interpolated(node) or ["?"]:
                if expr not in ALLOWED.get(rel, (set(), ""))[0]:
                    found.append(f"{rel}:{node.lineno}: SQL built with {expr!r}")
    return found


def test_no_sql_is_built_from_strings_outside_the_allow_list():
    assert find_string_built_sql() == []


def test_the_check_catches_each_way_of_building_sql(tmp_path):
    (tmp_path / "bad.py").write_text(
        "q1 = text(f'SELECT * FROM t WHERE name = {name}')\n"
        "q2 = 'DELETE FROM t WHERE id = %s' % ident\n"
        "q3 = 'UPDATE t SET a = 1 WHERE b = ' + value\n"
        "q4 = 'SELECT {}'.format(col)\n"
        "ok = text('SELECT 1 WHERE a = :a')\n"
        "msg = f'{count} rows'\n"
    )
    found = find_string_built_sql(tmp_path)
    assert sorted(line.split(":")[1] for line in found) == ["1", "2", "3", "4"]
