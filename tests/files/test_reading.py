"""The one input layer: size, encoding, strict YAML/JSON, CSV rows, the same in every reader."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from hadplanner.cli import app
from hadplanner.cli.boundary import run_cli
from hadplanner.errors import InputError
from hadplanner.io.reading import (
    LIMITS,
    decode_text,
    load_document,
    parse_json,
    parse_real,
    parse_yaml,
    read_table,
)

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "P001-rr-had-toulouse.yaml"


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "empty file"),
    (b"a: 1\n\x00b: 2", "not a text file (NUL byte)"),
    ("h\xf4pital: 1\n".encode("latin-1"), "looks like Windows-1252/Latin-1 (byte 0xF4 is 'ô'"),
    ("a: 1\n".encode("utf-16"), "the file is UTF-16"),
    (b"PK\x03\x04rest", "Excel .xlsx"),
    (b"a: 1\n\x07", ":2: control character U+0007"),
    (b"\x81\x8d\x8f", "not text in any usual encoding"),
])
def test_decode_refuses_what_is_not_utf8_text(raw, message):
    """Each kind of non-UTF-8 or non-text file is one line naming the encoding or the kind."""
    with pytest.raises(InputError) as info:
        decode_text(raw, "f.csv")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_decode_accepts_utf8_and_its_bom():
    """UTF-8, with or without the BOM Excel writes, is read; the BOM is removed."""
    assert decode_text("é: 1".encode(), "f") == "é: 1"
    assert decode_text(b"\xef\xbb\xbfa: 1", "f") == "a: 1"


@pytest.mark.parametrize(("text", "value"), [
    ("a: yes", "yes"), ("a: no", "no"), ("a: on", "on"), ("a: 09001", "09001"),
    ("a: 16:00", "16:00"), ("a: 2027-01-04", "2027-01-04"), ("a: 2027-01-04 10:00",
                                                          "2027-01-04 10:00"),
    ("a: 1e-9", 1e-9), ("a: 010", "010"), ("a: 0x1F", "0x1F"), ("a: 1_000", "1_000"),
    ("a: true", True), ("a: 12", 12), ("a: 1.5", 1.5), ("a: ~", None), ("a: -3", -3),
])
def test_yaml_core_schema_keeps_text_as_text(text, value):
    """YAML 1.1 surprises are gone: yes/no, 09001, 16:00, dates stay text; numbers stay numbers."""
    data, _ = parse_yaml(text, "f.yaml")
    assert data == {"a": value}
    assert type(data["a"]) is type(value)


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\nb: 2\na: 3\n", "f.yaml:3: key 'a' is written twice (first at line 1)"),
    ("p: {w: 72, w: 27}\n", "f.yaml:1: key 'w' is written twice"),
    ("a: .inf\n", "f.yaml:1: '.inf': numbers must be finite"),
    ("a: -.inf\n", "numbers must be finite"),
    ("a: .nan\n", "numbers must be finite"),
    ("a: 1e400\n", "numbers must be finite"),
    ("a: &x [1]\nb: *x\n", "anchors and aliases"),
    ("a: !!python/object:os.system x\n", "tag 'tag:yaml.org,2002:python/object:os.system'"),
    ("a: !!binary aGVsbG8=\n", "is not accepted"),
    ("<<: {a: 1}\n", "merge keys"),
    ("? [a, b]\n: 1\n", "a key must be a plain word or number"),
    ("a: [1\n", "not valid YAML"),
    ("[" * 100 + "]" * 100, "nested more than 64 levels"),
    ("# only a comment\n", "empty document"),
    ("a: 1\n---\nb: 2\n", "not valid YAML"),
])
def test_yaml_strict_refusals(text, message):
    """Duplicate keys, infinities, aliases, tags, merges, deep nesting: one line with its line."""
    with pytest.raises(InputError) as info:
        parse_yaml(text, "f.yaml")
    assert message in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": 1, "a": 2}', "key 'a' is written twice"),
    ('{"a": NaN}', "NaN is not a number"),
    ('{"a": Infinity}', "Infinity is not a number"),
    ('{"a": 1e400}', "too large to be finite"),
    ('{"a": 1,}', "f.json:1: not valid JSON"),
    ("[" * 100000 + "]" * 100000, "nested too deep"),
])
def test_json_strict_refusals(text, message):
    """JSON's duplicate keys, NaN, Infinity and overflows are refused."""
    with pytest.raises(InputError) as info:
        parse_json(text, "f.json")
    assert message in str(info.value)


def test_json_duplicate_key_names_its_line():
    """A duplicated JSON key is located on its second line."""
    text = '{"patient": {\n  "weight_kg": 72,\n  "weight_kg": 27\n}}'
    with pytest.raises(InputError, match=r"f.json:3: key 'weight_kg' is written twice"):
        parse_json(text, "f.json")


def test_size_limit_checked_before_reading(tmp_path):
    """A file above its kind's limit is refused from its size alone."""
    big = tmp_path / "r.yaml"
    with big.open("wb") as f:
        f.truncate(LIMITS["request"].max_bytes + 1)
    with pytest.raises(InputError, match="too large for a request"):
        load_document(big, "request")


def test_csv_rows_and_delimiters(tmp_path):
    """',', ';' and tab headers; a short or long row names its line and the missing column."""
    p = tmp_path / "t.csv"
    p.write_text("a;b;c\n1;2,5;3\n\n# comment\n4;5;6\n")
    t = read_table(p, "zones", ("a", "b", "c"))
    assert t.delimiter == ";" and [r.line for r in t.rows] == [2, 5]
    assert t.real(t.rows[0], "b") == 2.5
    p.write_text("a,b,c\n1,2\n")
    with pytest.raises(InputError, match=r"t.csv:2: 2 fields, the header has 3 \(no 'c'\)"):
        read_table(p, "zones", ("a", "b", "c"))
    p.write_text("a\tb\n1\t2\t3\n")
    with pytest.raises(InputError, match=r"t.csv:2: 3 fields, the header has 2"):
        read_table(p, "zones", ("a", "b"))
    p.write_text("a,a,b\n1,2,3\n")
    with pytest.raises(InputError, match="column 'a' appears twice"):
        read_table(p, "zones", ("a", "b"))
    p.write_text('a,b\n"1,2\n')
    with pytest.raises(InputError, match=r"t.csv:\d+: CSV syntax error|fields"):
        read_table(p, "zones", ("a", "b"))


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "1e400", "", "abc", "1,5", "0x10",
                                  "12 min", "1.2.3"])
def test_csv_numbers_are_finite_numbers(text):
    """A CSV number field never reads inf, nan, text or a comma decimal in a ',' file."""
    with pytest.raises(InputError):
        parse_real(text, "t.csv:2: minutes")


def _cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = run_cli(app, args)
    return code, err.getvalue()


def _windows(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_bytes(("# Hôpital\n" + text).encode("cp1252"))
    return str(path)


@pytest.mark.parametrize("kind", ["request", "scenario", "zones", "hads-yaml", "hads-csv",
                                  "travel"])
def test_windows_1252_is_refused_the_same_way_by_every_reader(tmp_path, kind):
    """Every command reading a user file names Windows-1252 and the fix, in one line."""
    zones = (TINY / "zones.csv").read_text()
    args = {
        "request": lambda: ["plan", _windows(tmp_path, "r.yaml", EXAMPLE.read_text())],
        "scenario": lambda: ["whatif", _windows(tmp_path, "s.yaml", "name: x\n"),
                             "--territory", str(TINY)],
        "zones": lambda: ["territory", "show", str(TINY), "--zones",
                          _windows(tmp_path, "z.csv", zones)],
        "hads-yaml": lambda: ["territory", "show", str(TINY), "--hads",
                              _windows(tmp_path, "h.yaml", (TINY / "hads.yaml").read_text())],
        "hads-csv": lambda: ["territory", "show", str(TINY), "--hads",
                             _windows(tmp_path, "h.csv", "id,name\n")],
        "travel": lambda: ["coverage", "--territory", str(TINY), "--travel-table",
                           _windows(tmp_path, "t.csv", "origin_insee,dest_insee,minutes\n")],
    }[kind]()
    code, err = _cli(args)
    assert code == 1
    assert err.count("\n") == 1
    assert "looks like Windows-1252/Latin-1 (byte 0xF4 is 'ô' there); save it as UTF-8" in err
