"""Every user file is read here: one reader per format, the same rules for all.

The rules, for every command and every kind of file:

- **Size** is checked before anything is read (:data:`LIMITS`): a request is a
  few kB, so a 50 MB "request" is refused at once, naming the limit.
- **Encoding**: text files are UTF-8 (a UTF-8 byte-order mark is accepted, as
  Excel's "CSV UTF-8" writes one). Windows-1252/Latin-1 (the default export of
  many French hospital systems), UTF-16 ("Unicode text") and binary files are
  refused with the encoding named and the way to re-save the file: reading
  them with a guess could turn "Hôpital" into "HÃ´pital" or, worse, a number
  into another; refusing is the safe choice, and it is the same in every reader.
- **YAML** is read with the YAML 1.2 core schema, strictly: a key written twice
  is an error naming both lines (PyYAML would keep the last one silently);
  ``yes``/``no``/``on``/``off`` are text, not booleans; ``09001`` and ``16:00``
  are text, not the integers 9001 and 960; dates are text that the models
  parse; ``.inf``/``.nan``, anchors and aliases (``&a``/``*a``: they let a
  small file expand to gigabytes), and tags (``!!python/...``) are refused.
- **JSON**: a key written twice, ``NaN``/``Infinity`` and numbers too large to
  be finite are refused.
- **CSV**: the delimiter is ``,``, ``;`` or a tab (read from the header line);
  every row has the header's number of fields; numbers are finite; a decimal
  comma is read only in ``;``- or tab-separated files, where it is unambiguous.

Every problem is an :class:`~hadplanner.errors.InputError` whose one line says
what is wrong and where (``file:line: field: what``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hadplanner.errors import InputError

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limit:
    """The largest file accepted for one kind of input, and why."""

    max_bytes: int
    what: str
    """What the file is, for the message ("a request")."""
    usual: str
    """Its usual size, for the message."""


LIMITS: dict[str, Limit] = {
    "request": Limit(256 * KIB, "a request", "about 1 kB"),
    "scenario": Limit(1 * MIB, "a what-if scenario", "under 5 kB"),
    "hads": Limit(4 * MIB, "an HAD list", "about 15 kB for a region"),
    "zones": Limit(32 * MIB, "a zones CSV", "about 75 kB for a region, 1 MB for France"),
    "zone-polygons": Limit(512 * MIB, "a zone polygon file", "a few MB"),
    "travel-table": Limit(256 * MIB, "a travel-time table", "a few MB for a region"),
    "territory": Limit(256 * KIB, "a territory manifest", "under 2 kB"),
    "centre": Limit(256 * KIB, "a prescribing centre file", "about 1 kB"),
    "communes": Limit(1024 * MIB, "a communes polygon file", "about 3 MB for a region"),
    "drugs": Limit(1 * MIB, "the drug catalogue", "about 4 kB"),
    "communes-france": Limit(16 * MIB, "the national commune centres", "about 1.4 MB"),
    "hospitals": Limit(4 * MIB, "a hospital list", "about 30 kB for a region"),
    "access-rules": Limit(1 * MIB, "the access rules", "about 25 kB"),
    "pharmacy-settings": Limit(256 * KIB, "the PUI's settings (pharmacie.yaml)", "under 1 kB"),
    "joint-plan": Limit(256 * MIB, "a joint plan of hadplanner pharmacy (JSON)",
                        "about 1 MB for 10 patients over 8 weeks"),
}
"""Size limits per kind of input file, checked before reading (issue 7)."""

MAX_DEPTH = 64
"""Deepest nesting accepted in YAML/JSON (a request nests 4 levels)."""


# -- files and text ---------------------------------------------------------------------


def check_file(path: str | Path, kind: str) -> Path:
    """The path of a readable regular file within the size limit of ``kind``.

    Raises
    ------
    InputError
        Not found, a folder, unreadable, or larger than :data:`LIMITS` allows.
    """
    p = Path(path)
    limit = LIMITS[kind]
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected {limit.what} file")
    if st.st_size > limit.max_bytes:
        raise InputError(
            f"{p}: {_size(st.st_size)} is too large for {limit.what} "
            f"(at most {_size(limit.max_bytes)}; usual size {limit.usual}): is it the right file?"
        )
    return p


def _size(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:.1f} MB"
    if n >= KIB:
        return f"{n / KIB:.0f} kB"
    return f"{n} bytes"


_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx or OpenDocument file?): export it as CSV UTF-8"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG picture"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls or Word .doc file: export it as CSV UTF-8"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x1f\x8b", "a gzip archive: uncompress it first"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(raw: bytes, where: str) -> str:
    """The text of a UTF-8 file (BOM removed); anything else is refused, naming the encoding.

    Raises
    ------
    InputError
        Empty, binary, UTF-16/32, Windows-1252 or otherwise not UTF-8, or
        holding control characters.
    """
    if not raw.strip():
        raise InputError(f"{where}: empty file")
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise InputError(f"{where}: not a text file: this is {what}")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and raw[1:2] == b"\x00"):
        raise InputError(
            f"{where}: the file is UTF-16 (\"Unicode text\"); save it as UTF-8 "
            "(Excel: \"CSV UTF-8\"; LibreOffice: character set \"Unicode (UTF-8)\")"
        )
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        raise InputError(f"{where}:{_line_at(raw, offset)}: not a text file (NUL byte)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_at(raw, exc.start)
        byte = raw[exc.start]
        try:
            raw.decode("cp1252")
            guess = (
                f"the file looks like Windows-1252/Latin-1 (byte 0x{byte:02X} is "
                f"{bytes([byte]).decode('cp1252')!r} there)"
            )
        except UnicodeDecodeError:
            guess = f"byte 0x{byte:02X} is not text in any usual encoding"
        raise InputError(
            f"{where}:{line}: not UTF-8 text: {guess}; save it as UTF-8 "
            "(Excel: \"CSV UTF-8\"; LibreOffice: character set \"Unicode (UTF-8)\")"
        ) from None
    text = text.removeprefix("\ufeff")
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(
            f"{where}:{line}: control character U+{ord(bad.group()):04X}: "
            "a binary or damaged file, not text"
        )
    return text


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def read_text(path: str | Path, kind: str) -> str:
    """The UTF-8 text of a user file of ``kind``, after the size and encoding checks."""
    p = check_file(path, kind)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    return decode_text(raw, str(p))


# -- YAML and JSON ----------------------------------------------------------------------


class _Problem(Exception):
    """A problem found while constructing YAML, with the line it is on."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class StrictResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: only true/false, null, decimal numbers are implicit."""


StrictResolver.yaml_implicit_resolvers = {}
StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class StrictConstructor(yaml.constructor.SafeConstructor):
    """SafeConstructor without silent surprises (see the module's rules)."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _Problem(_line(node), "anchors and aliases (&name, *name) are not accepted")
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            raise _Problem(_line(node), "expected a mapping")
        seen: dict[Any, int] = {}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Problem(_line(key_node), "a key must be a plain word or number")
            if key_node.tag == "tag:yaml.org,2002:merge" or key_node.value == "<<":
                raise _Problem(_line(key_node), "merge keys (<<) are not accepted")
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _Problem(
                    _line(key_node),
                    f"key {key!r} is written twice (first at line {seen[key]}): keep one",
                )
            seen[key] = _line(key_node)
            out[key] = self.construct_object(value_node, deep=deep)
        return out

    def construct_yaml_map(self, node: Node) -> Any:
        data: dict[Any, Any] = {}
        yield data
        data.update(self.construct_mapping(node))

    def construct_yaml_float(self, node: Node) -> float:
        assert isinstance(node, ScalarNode)
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _Problem(_line(node), f"{node.value!r}: numbers must be finite")
        return value

    def construct_undefined(self, node: Node) -> Any:
        raise _Problem(_line(node), f"tag {node.tag!r} is not accepted")


StrictConstructor.yaml_constructors = {}
for _tag, _fn in (
    ("tag:yaml.org,2002:null", yaml.constructor.SafeConstructor.construct_yaml_null),
    ("tag:yaml.org,2002:bool", yaml.constructor.SafeConstructor.construct_yaml_bool),
    ("tag:yaml.org,2002:int", yaml.constructor.SafeConstructor.construct_yaml_int),
    ("tag:yaml.org,2002:float", StrictConstructor.construct_yaml_float),
    ("tag:yaml.org,2002:str", yaml.constructor.SafeConstructor.construct_yaml_str),
    ("tag:yaml.org,2002:seq", yaml.constructor.SafeConstructor.construct_yaml_seq),
    ("tag:yaml.org,2002:map", StrictConstructor.construct_yaml_map),
    (None, StrictConstructor.construct_undefined),
):
    StrictConstructor.add_constructor(_tag, _fn)  # type: ignore[type-var]


class StrictLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    StrictConstructor,
    StrictResolver,
):
    """The pure-Python PyYAML pipeline, strict constructor and YAML 1.2 core resolver."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        StrictConstructor.__init__(self)
        StrictResolver.__init__(self)


def _depth(node: Node, limit: int = MAX_DEPTH) -> None:
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        if d > limit:
            raise _Problem(_line(n), f"nested more than {limit} levels deep")
        if isinstance(n, SequenceNode):
            stack.extend((c, d + 1) for c in n.value)
        elif isinstance(n, MappingNode):
            stack.extend((v, d + 1) for _, v in n.value)


def _compose(text: str) -> Node | None:
    loader = StrictLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def parse_yaml(text: str, where: str) -> tuple[Any, Node | None]:
    """The data of a YAML document and its node tree (for line numbers).

    Raises
    ------
    InputError
        Syntax error, or a breach of the strict rules, with the line.
    """
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(f"{where}: empty document")
        _depth(node)
        data = loader.construct_document(node)
    except _Problem as exc:
        raise InputError(f"{where}:{exc.line}: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "syntax error"
        if isinstance(exc, ConstructorError):
            problem = f"cannot read this value ({problem})"
        raise InputError(f"{where}{line}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deep") from None
    finally:
        loader.dispose()
    return data, node


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Problem(None, f"number {text} is too large to be finite")
    return value


def _no_constant(name: str) -> Any:
    raise _Problem(None, f"{name} is not a number hadplanner accepts")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Problem(None, f"key {key!r} is written twice: keep one")
        out[key] = value
    return out


def parse_json(text: str, where: str) -> tuple[Any, Node | None]:
    """The data of a JSON document and, when YAML can read it, its node tree (line numbers).

    Raises
    ------
    InputError
        Syntax error, duplicate key, NaN/Infinity, with the line when known.
    """
    try:
        data = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_no_constant, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deep") from None
    except _Problem as exc:
        node = _json_nodes(text)
        line = _duplicate_line(node) if "twice" in exc.message and node is not None else None
        raise InputError(f"{where}{f':{line}' if line else ''}: {exc.message}") from None
    return data, _json_nodes(text)


def _json_nodes(text: str) -> Node | None:
    # JSON is (nearly) a subset of YAML: its node tree gives line numbers for
    # messages. When PyYAML cannot compose it, messages simply have no line.
    try:
        return _compose(text)
    except (yaml.YAMLError, RecursionError):
        return None


def _duplicate_line(node: Node) -> int | None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, MappingNode):
            seen = set()
            for k, v in n.value:
                if isinstance(k, ScalarNode):
                    if k.value in seen:
                        return _line(k)
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(n, SequenceNode):
            stack.extend(n.value)
    return None


def node_line(node: Node | None, loc: Iterable[Any]) -> int | None:
    """1-based line of the deepest node of the path ``loc`` in a composed tree."""
    line = None if node is None else _line(node)
    for key in loc:
        nxt = None
        if isinstance(node, MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == str(key)), None)
        elif isinstance(node, SequenceNode) and isinstance(key, int):
            nxt = node.value[key] if 0 <= key < len(node.value) else None
        if nxt is None:
            continue  # a key the models add (a union tag): look further down
        node = nxt
        line = _line(node)
    return line


@dataclass
class Document:
    """A parsed YAML/JSON file: its data and how to find the line of a field."""

    path: Path
    data: Any
    node: Node | None = field(repr=False, default=None)

    def line(self, loc: Iterable[Any]) -> int | None:
        """The line of the field at ``loc`` (a pydantic error location), if known."""
        return node_line(self.node, loc)

    def where(self, loc: Iterable[Any] = ()) -> str:
        """``file:line`` of the field at ``loc`` (just ``file`` when the line is unknown,
        or for the document as a whole)."""
        loc = tuple(loc)
        line = self.line(loc) if loc else None
        return f"{self.path}:{line}" if line else str(self.path)


def load_document(path: str | Path, kind: str) -> Document:
    """A YAML (``.yaml``/``.yml``) or JSON (``.json``) file of ``kind``, parsed strictly.

    Raises
    ------
    InputError
        Any problem of size, encoding, syntax or the strict rules, in one line.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise InputError(f"{p}: {LIMITS[kind].what} must be a .yaml, .yml or .json file")
    text = read_text(p, kind)
    data, node = parse_json(text, str(p)) if suffix == ".json" else parse_yaml(text, str(p))
    return Document(p, data, node)


def file_stamp(path: str | Path) -> tuple[str, int, int]:
    """``(path, size, mtime_ns)``: a key for caching what was read from a file until it changes."""
    p = Path(path).resolve()
    try:
        st = p.stat()
    except OSError:
        return (str(p), -1, -1)
    return (str(p), st.st_size, st.st_mtime_ns)


# -- CSV --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row of a CSV file: its line and its fields by (lower-case) column name."""

    line: int
    values: dict[str, str]

    def get(self, column: str, default: str = "") -> str:
        return self.values.get(column, default)


@dataclass(frozen=True)
class Table:
    """A CSV file read by :func:`read_table`."""

    path: Path
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    delimiter: str

    def where(self, row: Row | int) -> str:
        line = row.line if isinstance(row, Row) else row
        return f"{self.path}:{line}"

    def real(self, row: Row, column: str, *, required: bool = True) -> float | None:
        """The finite number in ``column`` of ``row`` (decimal comma in ``;``/tab files)."""
        return parse_real(
            row.get(column), f"{self.where(row)}: {column}", decimal_comma=self.delimiter != ",",
            required=required,
        )


_DELIMITERS = (",", ";", "\t")


def read_table(
    path: str | Path,
    kind: str,
    required: Sequence[str],
    optional: Sequence[str] | None = (),
    aliases: dict[str, str] | None = None,
    text: str | None = None,
) -> Table:
    """A CSV file with a header line, checked row by row.

    Parameters
    ----------
    path
        The file.
    kind
        Its kind in :data:`LIMITS`.
    required
        Columns that must be in the header (lower case).
    optional
        Other columns allowed; ``None``: any other column is allowed and ignored.
    aliases
        Other names accepted for a column (``{"origin": "origin_insee"}``).
    text
        The file's text when already read (shipped data read with comments).

    Raises
    ------
    InputError
        ``file:line: what`` for a missing, unknown or repeated column, a row
        with too few or too many fields, or a CSV syntax error.
    """
    p = Path(path)
    if text is None:
        text = read_text(p, kind)
    lines = text.splitlines(keepends=True)
    first = next((i for i, s in enumerate(lines) if s.strip() and not s.startswith("#")), None)
    if first is None:
        raise InputError(f"{p}: no header line (expected {', '.join(required)})")
    head = lines[first]
    delimiter = max(_DELIMITERS, key=head.count)
    if head.count(delimiter) == 0 and len(required) > 1:
        raise InputError(
            f"{p}:{first + 1}: the header has no separator (',', ';' or tab); "
            f"expected the columns {', '.join(required)}"
        )
    reader = csv.reader(io.StringIO("".join(lines[first:])), delimiter=delimiter, strict=True)
    aliases = aliases or {}
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise InputError(f"{p}:{first + 1}: CSV syntax error: {exc}") from None
    header = tuple(aliases.get(h.strip().lower(), h.strip().lower()) for h in raw_header)
    for col in header:
        if header.count(col) > 1:
            raise InputError(f"{p}:{first + 1}: column {col!r} appears twice in the header")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{p}:{first + 1}: missing column {missing[0]!r} "
            f"(header: {delimiter.join(raw_header)}; expected {', '.join(required)})"
        )
    if optional is not None:
        allowed = set(required) | set(optional)
        unknown = [c for c in header if c not in allowed and c]
        if unknown:
            raise InputError(
                f"{p}:{first + 1}: unknown column {unknown[0]!r} "
                f"(known: {', '.join([*required, *optional])})"
            )
    rows: list[Row] = []
    offset = first
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{p}:{reader.line_num + offset}: CSV syntax error: {exc}") from None
        line = reader.line_num + offset
        if not fields or all(not f.strip() for f in fields):
            continue
        if fields[0].startswith("#"):
            continue
        if len(fields) != len(header):
            lacking = header[len(fields):] if len(fields) < len(header) else ()
            what = f" (no {', '.join(repr(c) for c in lacking[:3])})" if lacking else ""
            raise InputError(
                f"{p}:{line}: {len(fields)} fields, the header has {len(header)}{what}"
            )
        rows.append(Row(line, {h: v.strip() for h, v in zip(header, fields, strict=True)}))
    return Table(p, header, tuple(rows), delimiter)


_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")


def parse_real(
    text: str, where: str, *, decimal_comma: bool = False, required: bool = True
) -> float | None:
    """A finite number written in a CSV field.

    Raises
    ------
    InputError
        Empty (when required), not a number, ``inf``/``nan``, or too large.
    """
    s = text.strip()
    if not s:
        if required:
            raise InputError(f"{where}: empty, expected a number")
        return None
    candidate = s.replace(",", ".", 1) if decimal_comma and s.count(",") == 1 else s
    if not _NUMBER.match(candidate):
        hint = " (decimal comma: use a ';'-separated file or a decimal point)" if "," in s else ""
        raise InputError(f"{where}: not a number: {s!r}{hint}")
    value = float(candidate)
    if not math.isfinite(value):
        raise InputError(f"{where}: number too large: {s!r}")
    return value


def parse_whole(text: str, where: str, *, required: bool = True) -> int | None:
    """A whole number written in a CSV field."""
    s = text.strip()
    if not s:
        if required:
            raise InputError(f"{where}: empty, expected a whole number")
        return None
    if not re.fullmatch(r"[-+]?\d{1,18}", s):
        raise InputError(f"{where}: not a whole number: {s!r}")
    return int(s)


Locator = Callable[[Sequence[Any]], str]
"""Gives ``file:line`` for a field location (see :meth:`Document.where`)."""
