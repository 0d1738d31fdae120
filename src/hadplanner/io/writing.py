"""Writing a command's files all-or-nothing.

A command registers every file (or folder) it will write with an
:class:`Outputs` transaction and writes into the *staged* paths it is given:
hidden folders (``.hadplanner-tmp-<pid>-<token>``) next to the destinations,
on the same file system. Nothing visible changes until :meth:`Outputs.commit`,
which first checks every destination, then moves each staged file into place
(``os.replace``, atomic per file); a folder that did not exist yet arrives in
one rename. If a move fails, the files already moved are put back as they
were. If the command fails before committing, or is interrupted (Ctrl-C,
SIGTERM), the staged files are removed and the destinations are untouched.

Destinations are checked before any work is done, with one line naming the
option: a destination that is a folder, a folder that is a file, a folder
that cannot be created or written, two outputs on one file, or an output that
is one of the command's input files (``--ics request.yaml``) are refused.
File names made from data go through :func:`safe_name`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from hadplanner.errors import InputError, OutputError

STAGING_PREFIX = ".hadplanner-tmp-"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, fallback: str = "sans-nom") -> str:
    """A file name made from data: letters, digits, ``._-`` only, no leading dot, <= 80 chars.

    ``../escape`` becomes ``escape``; a name that would be empty becomes ``fallback``.
    """
    name = _UNSAFE.sub("_", text).strip("._-")[:80]
    return name or fallback


@dataclass
class _Target:
    final: Path
    staged: Path
    option: str
    folder: bool


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(anchor: Path) -> None:
    """Remove staging folders left in ``anchor`` by a killed hadplanner process."""
    with contextlib.suppress(OSError):
        for entry in anchor.iterdir():
            if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir():
                continue
            pid_text = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
            if pid_text.isdigit() and not _pid_alive(int(pid_text)):
                shutil.rmtree(entry, ignore_errors=True)


class Outputs:
    """An all-or-nothing set of output files (see the module's docstring).

    Parameters
    ----------
    inputs
        The command's input files: no output may overwrite one.

    Use as a context manager; call :meth:`commit` at the end of the ``with``
    block. Leaving the block without committing (an error, an interruption)
    removes everything staged.
    """

    def __init__(self, inputs: Iterable[str | Path] = ()) -> None:
        self._inputs = [Path(p) for p in inputs if p is not None]
        self._targets: list[_Target] = []
        self._staging: dict[Path, Path] = {}
        self.committed: list[Path] = []

    # -- registering ------------------------------------------------------------------

    def _anchor(self, final: Path, option: str) -> Path:
        """The deepest existing folder above ``final``, checked writable."""
        anchor = final.parent
        while not anchor.exists():
            if anchor.parent == anchor:
                break
            anchor = anchor.parent
        if not anchor.is_dir():
            raise InputError(f"{option}{final}: {anchor} is a file, not a folder")
        if not os.access(anchor, os.W_OK | os.X_OK):
            raise InputError(f"{option}{final}: cannot write in {anchor} (permission denied)")
        return anchor

    def _stage_root(self, anchor: Path, option: str, final: Path) -> Path:
        root = self._staging.get(anchor)
        if root is None:
            _clean_stale(anchor)
            root = anchor / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            try:
                root.mkdir()
            except OSError as exc:
                raise InputError(f"{option}{final}: cannot write in {anchor} "
                                 f"({exc.strerror})") from None
            self._staging[anchor] = root
        return root

    def _check_not_input(self, final: Path, option: str) -> None:
        for src in self._inputs:
            same = False
            with contextlib.suppress(OSError):
                same = final.exists() and src.exists() and os.path.samefile(final, src)
            if same or final.resolve() == src.resolve():
                raise InputError(
                    f"{option}{final}: is an input file of this command ({src}); "
                    "choose another output path")

    def path(self, target: str | Path, option: str = "") -> Path:
        """Register the file ``target``; returns the staged path to write it to.

        Parameters
        ----------
        target
            Where the file must end up.
        option
            The option that named it (``--ics``), for messages.
        """
        opt = f"{option} " if option else ""
        final = Path(os.path.abspath(target))
        if final.is_dir():
            raise InputError(f"{opt}{target}: is a folder, expected a file name")
        self._check_not_input(final, opt)
        if any(t.final == final for t in self._targets):
            raise InputError(f"{opt}{target}: two outputs of this command would write this file")
        anchor = self._anchor(final, opt)
        staged = self._stage_root(anchor, opt, final) / final.relative_to(anchor)
        staged.parent.mkdir(parents=True, exist_ok=True)
        self._targets.append(_Target(final, staged, opt, folder=False))
        return staged

    def folder(self, target: str | Path, option: str = "--out") -> Path:
        """Register the folder ``target``; returns the staged folder to write its files in.

        Every file written under the staged folder is moved to the same place
        under ``target`` at commit; files of ``target`` that the command does
        not write are left alone.
        """
        opt = f"{option} " if option else ""
        final = Path(os.path.abspath(target))
        if final.exists() and not final.is_dir():
            raise InputError(f"{opt}{target}: is a file, not a folder")
        if final.is_dir():
            if not os.access(final, os.W_OK | os.X_OK):
                raise InputError(f"{opt}{target}: cannot write in it (permission denied)")
            anchor = final
        else:
            anchor = self._anchor(final / "x", opt)
        staged = self._stage_root(anchor, opt, final)
        if anchor != final:
            staged = staged / final.relative_to(anchor)
        staged.mkdir(parents=True, exist_ok=True)
        self._targets.append(_Target(final, staged, opt, folder=True))
        return staged

    def write_text(self, target: str | Path, text: str, option: str = "") -> Path:
        """Stage a UTF-8 text file; returns its final path."""
        staged = self.path(target, option)
        staged.write_text(text, encoding="utf-8")
        return Path(os.path.abspath(target))

    def final_of(self, staged: Path) -> Path:
        """The final path of a file written under a staged path or folder."""
        for t in self._targets:
            if staged == t.staged:
                return t.final
            if t.folder and staged.is_relative_to(t.staged):
                return t.final / staged.relative_to(t.staged)
        raise KeyError(staged)

    # -- committing -------------------------------------------------------------------

    def _moves(self) -> list[tuple[Path, Path, str]]:
        """(staged, final, option) for every file, folders expanded."""
        moves: list[tuple[Path, Path, str]] = []
        for t in self._targets:
            if not t.folder:
                if not t.staged.exists():
                    continue  # registered, then not written (nothing to show)
                moves.append((t.staged, t.final, t.option))
                continue
            for f in sorted(t.staged.rglob("*")):
                if f.is_file():
                    moves.append((f, t.final / f.relative_to(t.staged), t.option))
        return moves

    def commit(self) -> list[Path]:
        """Move every staged file into place, or none; returns the final paths.

        Raises
        ------
        InputError
            A destination became unusable (a folder where a file goes, an input).
        OutputError
            A move failed; the files already moved were restored.
        """
        moves = self._moves()
        for _staged, final, option in moves:
            if final.is_dir():
                raise InputError(f"{option}{final}: is a folder, expected a file name")
            self._check_not_input(final, option)
        done: list[tuple[Path, Path | None]] = []
        created: list[Path] = []
        try:
            # A folder that does not exist yet arrives whole, in one rename.
            whole = [t for t in self._targets if t.folder and not t.final.exists()]
            moved_whole: set[Path] = set()
            for t in whole:
                self._make_parents(t.final, created)
                os.replace(t.staged, t.final)
                moved_whole.add(t.staged)
                done.append((t.final, None))
            for n, (staged, final, _option) in enumerate(moves):
                if any(staged.is_relative_to(w) for w in moved_whole):
                    continue
                self._make_parents(final, created)
                backup = None
                if final.exists():  # kept beside the staged file (same file system)
                    backup = staged.parent / f".backup-{n}-{final.name}"
                    os.replace(final, backup)
                done.append((final, backup))
                os.replace(staged, final)
        except OSError as exc:
            self._rollback(done, created)
            self.abort()
            name = exc.filename or "output"
            raise OutputError(f"{name}: cannot write ({exc.strerror}); nothing was "
                              "changed") from None
        self.committed = [final for _s, final, _o in moves]
        self.abort()
        return self.committed

    @staticmethod
    def _make_parents(final: Path, created: list[Path]) -> None:
        missing = []
        p = final.parent
        while not p.exists():
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            d.mkdir()
            created.append(d)

    @staticmethod
    def _rollback(done: list[tuple[Path, Path | None]], created: list[Path]) -> None:
        for final, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, final)
                elif final.is_dir():
                    shutil.rmtree(final)
                else:
                    final.unlink()
        for d in reversed(created):
            with contextlib.suppress(OSError):
                d.rmdir()

    def abort(self) -> None:
        """Remove every staged file (the destinations are untouched)."""
        for root in self._staging.values():
            shutil.rmtree(root, ignore_errors=True)
        self._staging.clear()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()
