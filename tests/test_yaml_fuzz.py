"""Every YAML entry point under attack: aliases, merge keys, depth and size (issue 21: a
403-byte scoring model of nested aliases, proposed by a marketer, took 38 s and 5.9 GB).

Each attack must be refused (an issue naming the limit) within a bounded time and memory, by
the parser itself and through every loader and HTTP form that reads YAML.
"""

import contextlib
import time
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.attribution.config import AttributionConfigError, parse_config
from tandem.auth.roles import Role
from tandem.handoff.loader import parse_routing, parse_sla
from tandem.ingest.mapping import MappingError, parse_mapping
from tandem.scoring.loader import load_yaml
from tandem.web.csrf import CSRF_COOKIE
from tandem.yaml_source import MAX_BYTES, MAX_DEPTH, MAX_NODES, YamlSyntaxError, parse_document
from tests import factories as f
from tests.auth.people import sign_in


def laughs(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: each level lists the previous one `width` times (width^levels)."""
    lines = [f"l0: &l0 [{','.join(['lol'] * width)}]"]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def merges(levels: int = 40) -> str:
    """Merge keys doubling each level: `<<: [*prev, *prev]` re-merges the same entries."""
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for n in range(1, levels):
        lines.append(f"m{n}: &m{n} {{<<: [*m{n - 1}, *m{n - 1}], k{n}: {n}}}")
    return "\n".join(lines) + "\n"


def alias_chain(length: int = 5000) -> str:
    """Each anchor wraps the previous alias: shallow text, deep data."""
    lines = ["c0: &c0 x"]
    lines += [f"c{n}: &c{n} [*c{n - 1}]" for n in range(1, length)]
    return "\n".join(lines) + "\n"


ATTACKS = {
    "billion laughs": (laughs(), "aliases are expanded"),
    "merge doubling": (merges(), "aliases are expanded"),
    "deep brackets": ("a: " + "[" * 20_000 + "]" * 20_000 + "\n", "levels deep"),
    "deep mappings": ("".join(" " * i + f"k{i}:\n" for i in range(200)) + "x\n", "levels deep"),
    "alias chain": (alias_chain(), "levels deep"),
    "size": ("a: " + "x" * (MAX_BYTES + 10) + "\n", "byte limit"),
}


def test_the_403_byte_attack_is_small():
    assert len(laughs().encode()) < 420  # "a few hundred bytes"


def _bounded(call: Callable[[], object]) -> tuple[object, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = call()
    except Exception as exc:
        result = exc
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, took, peak


@pytest.mark.parametrize("name", ATTACKS)
def test_the_parser_refuses_each_attack_quickly_and_small(name):
    text, words = ATTACKS[name]
    raised, took, peak = _bounded(lambda: parse_document(text, "attack.yaml"))
    assert isinstance(raised, YamlSyntaxError) and words in raised.problem, raised
    assert took < 10 and peak < 200 * 2**20 + 3 * len(text), (took, peak)


def _scoring(text: str) -> str:
    return " ".join(i.message for i in load_yaml(text, "m.yaml")[2])


def _routing(text: str) -> str:
    return " ".join(i.message for i in parse_routing(text, "r.yaml")[1])


def _sla(text: str) -> str:
    return " ".join(i.message for i in parse_sla(text, "s.yaml")[1])


def _attribution(text: str) -> str:
    with pytest.raises(AttributionConfigError) as info:
        parse_config(text, source="a.yaml")
    return str(info.value)


def _mapping(text: str) -> str:
    with pytest.raises(MappingError) as info:
        parse_mapping(text, "mapping", "contacts")
    return str(info.value)


LOADERS = {
    "scoring": _scoring,
    "routing": _routing,
    "sla": _sla,
    "attribution": _attribution,
    "mapping": _mapping,
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("name", ATTACKS)
def test_every_loader_refuses_each_attack_naming_the_limit(loader, name):
    text, words = ATTACKS[name]
    started = time.perf_counter()
    said = LOADERS[loader](text)
    assert words in said and time.perf_counter() - started < 10


def test_honest_anchors_and_merges_still_work_within_the_budget():
    doc = parse_document(laughs(levels=3, width=9), "ok.yaml")
    assert len(doc.data["l2"]) == 9 and doc.data["l2"][0][0] == ["lol"] * 9
    doc = parse_document(merges(levels=8), "ok.yaml")
    assert doc.data["m7"]["k7"] == 7 and doc.data["m7"]["a"] == 1
    nested = "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH - 2)) + " " * 62 + "x\n"
    assert parse_document(nested, "ok.yaml").data is not None
    assert MAX_NODES >= 100_000  # the built-in profiles and examples are far below


@settings(max_examples=25, deadline=None)
@given(
    levels=st.integers(1, 12),
    width=st.integers(1, 12),
    merge_levels=st.integers(1, 60),
)
def test_any_alias_or_merge_fan_out_is_parsed_or_refused_within_budget(levels, width, merge_levels):
    for text in (laughs(levels, width), merges(merge_levels)):
        started = time.perf_counter()
        try:
            doc = parse_document(text, "x.yaml")
        except YamlSyntaxError as exc:
            assert "expanded" in exc.problem
        else:
            assert doc.data is not None
        assert time.perf_counter() - started < 10


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[]{}&*<:-, \n\tab1'\"!|>%@#", max_size=400))
def test_random_yaml_never_escapes_as_anything_but_a_syntax_error(text):
    with contextlib.suppress(YamlSyntaxError):
        parse_document(text, "x.yaml")


# --- over HTTP: the proposal form, the proposal API and the upload page's mapping box ---------


def _csrf(client) -> str:
    client.get("/login")
    return client.cookies.get(CSRF_COOKIE)


@pytest.mark.parametrize("name", ["billion laughs", "merge doubling", "alias chain"])
def test_a_marketer_proposing_an_attack_gets_the_form_back(client, db, name):
    text, words = ATTACKS[name]
    sign_in(client, db, f.user(db, Role.MARKETER))
    token = _csrf(client)
    started = time.perf_counter()
    page = client.post(
        "/scoring/proposals", data={"yaml_text": text, "note": "", "csrf_token": token}
    )
    assert page.status_code == 422 and words in page.text
    api = client.post(
        "/api/v1/scoring/versions",
        json={"yaml_text": text, "note": None},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == 422 and words in api.text
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize("name", ["billion laughs", "merge doubling"])
def test_the_upload_pages_mapping_box_refuses_an_attack(client, db, name, tmp_path):
    text, words = ATTACKS[name]
    client.app.state.settings.data_dir = str(tmp_path)
    sign_in(client, db, f.user(db, Role.ADMIN))
    page = client.post(
        "/ingest/preview",
        data={
            "kind": "contacts",
            "profile": "generic",
            "mapping_text": text,
            "csrf_token": _csrf(client),
        },
        files={"file": ("c.csv", b"email\na@example.com\n", "text/csv")},
    )
    assert page.status_code == 422 and words in page.text
    assert not list(tmp_path.glob("imports/*"))  # refused before the upload is stored


def test_every_yaml_read_goes_through_the_one_loader(repo_root):
    """By construction: no module but tandem.yaml_source parses YAML itself."""
    direct = ("yaml.safe_load", "yaml.load(", "yaml.full_load", "yaml.unsafe_load",
              "yaml.compose", "yaml.parse(", "SafeLoader(", "yaml.Loader")  # fmt: skip
    found = [
        f"{path.relative_to(repo_root)}: {needle}"
        for path in sorted((repo_root / "src").rglob("*.py"))
        if path.name != "yaml_source.py"
        for needle in direct
        if needle in path.read_text(encoding="utf-8")
    ]
    assert found == []
