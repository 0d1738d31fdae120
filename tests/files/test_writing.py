"""All-or-nothing outputs: staged, checked, moved into place only when everything succeeded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hadplanner.errors import InputError, OutputError
from hadplanner.io.writing import STAGING_PREFIX, Outputs, safe_name


def _visible(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if not any(part.startswith(STAGING_PREFIX) for part in p.parts))


def test_nothing_visible_until_commit(tmp_path):
    """Staged files are invisible; commit moves them all; the staging folder is gone."""
    with Outputs() as out:
        staged = out.folder(tmp_path / "out")
        (staged / "a.txt").write_text("a")
        (staged / "sub").mkdir()
        (staged / "sub" / "b.txt").write_text("b")
        single = out.path(tmp_path / "cal" / "x.ics", "--ics")
        single.write_text("ics")
        assert _visible(tmp_path) == []
        out.commit()
    assert (tmp_path / "out" / "sub" / "b.txt").read_text() == "b"
    assert (tmp_path / "cal" / "x.ics").read_text() == "ics"
    assert not [p for p in tmp_path.rglob(f"{STAGING_PREFIX}*")]


def test_an_error_before_commit_leaves_nothing(tmp_path):
    """An exception inside the block removes every staged file; destinations untouched."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), Outputs() as out:
        staged = out.folder(tmp_path / "out")
        (staged / "old.txt").write_text("new")
        raise RuntimeError("planning failed")
    assert (tmp_path / "out" / "old.txt").read_text() == "old"
    assert _visible(tmp_path) == ["out", "out/old.txt"]
    assert not list(tmp_path.rglob(f"{STAGING_PREFIX}*"))


def test_failed_move_restores_what_was_there(tmp_path, monkeypatch):
    """If the third move fails, the first two files are put back as they were."""
    dest = tmp_path / "out"
    dest.mkdir()
    for name in ("a", "b", "c"):
        (dest / f"{name}.txt").write_text(f"old {name}")
    real = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        if str(dst).endswith("c.txt") and STAGING_PREFIX in str(src) and not calls["n"]:
            calls["n"] += 1
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    with Outputs() as out:
        staged = out.folder(dest)
        for name in ("a", "b", "c"):
            (staged / f"{name}.txt").write_text(f"new {name}")
        monkeypatch.setattr(os, "replace", flaky)
        with pytest.raises(OutputError, match="No space left on device"):
            out.commit()
    monkeypatch.setattr(os, "replace", real)
    assert calls["n"] == 1
    assert [(dest / f"{n}.txt").read_text() for n in "abc"] == ["old a", "old b", "old c"]
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt", "b.txt", "c.txt"]


@pytest.mark.parametrize(
    ("setup", "call", "message"),
    [
        (lambda d: (d / "req.yaml").write_text("x"),
         lambda o, d: o.path(d / "req.yaml", "--ics"), "is an input file of this command"),
        (lambda d: (d / "f").write_text("x"),
         lambda o, d: o.folder(d / "f", "--out"), "is a file, not a folder"),
        (lambda d: (d / "f").write_text("x"),
         lambda o, d: o.path(d / "f" / "x.ics", "--ics"), "is a file, not a folder"),
        (lambda d: (d / "dir").mkdir(),
         lambda o, d: o.path(d / "dir", "--ics"), "is a folder, expected a file name"),
        (lambda d: None,
         lambda o, d: (o.path(d / "a.ics"), o.path(d / "a.ics")), "two outputs"),
    ],
    ids=["output-is-input", "out-is-a-file", "parent-is-a-file", "file-is-a-folder", "twice"],
)
def test_bad_destinations_are_refused_before_any_work(tmp_path, setup, call, message):
    """Each bad destination is one InputError line naming the option; nothing is written."""
    setup(tmp_path)
    before = _visible(tmp_path)
    with Outputs(inputs=[tmp_path / "req.yaml"]) as out, pytest.raises(InputError,
                                                                       match=message):
        call(out, tmp_path)
    assert _visible(tmp_path) == before


def test_unwritable_folder_is_refused(tmp_path):
    """A folder that cannot be written (read-only, or /proc even for root) is refused at once."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    target = locked / "out" if os.geteuid() != 0 else Path("/proc/hadplanner-test/out")
    with Outputs() as out, pytest.raises(InputError, match="cannot write in"):
        out.folder(target)


@pytest.mark.parametrize(("text", "name"), [
    ("../escape", "escape"), ("a/b\\c", "a_b_c"), ("P001", "P001"), ("..", "sans-nom"),
    (".hidden", "hidden"), ("é é", "_"),
])
def test_safe_name(text, name):
    """File names made from data cannot leave their folder nor hide."""
    got = safe_name(text)
    assert "/" not in got and not got.startswith(".")
    assert got == name or (name == "_" and got == "sans-nom")


def _run_and_signal(folder: Path, sig: int, wait_for_staging: float) -> int:
    """Start ``hadplanner run --out out`` in ``folder``; send ``sig`` mid-way; exit status."""
    proc = subprocess.Popen([sys.executable, "-m", "hadplanner", "run", "--out", "out"],
                            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        stages = list(folder.rglob(f"{STAGING_PREFIX}*"))
        if any(any(s.iterdir()) for s in stages if s.is_dir()):  # it has started writing
            break
        time.sleep(0.05)
    time.sleep(wait_for_staging)
    assert proc.poll() is None, "run finished before it could be interrupted"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    return proc.returncode


@pytest.mark.parametrize("delay", [0.0, 1.5])
def test_sigterm_mid_run_leaves_no_partial_tree(tmp_path, delay):
    """SIGTERM while `run` writes: exit 130, no out/ folder, no staged leftovers."""
    code = _run_and_signal(tmp_path, signal.SIGTERM, delay)
    assert code == 130
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(f"{STAGING_PREFIX}*"))


def test_sigkill_mid_run_keeps_the_old_tree_and_next_run_cleans_up(tmp_path):
    """SIGKILL cannot be caught: the old out/ stays whole; the next run removes the stage."""
    old = tmp_path / "out"
    old.mkdir()
    (old / "keep.txt").write_text("previous run")
    code = _run_and_signal(tmp_path, signal.SIGKILL, 0.5)
    assert code == -signal.SIGKILL
    assert _visible(old) == ["keep.txt"]
    assert list(old.glob(f"{STAGING_PREFIX}*"))  # the killed run's stage, hidden
    with Outputs() as out:  # any later command writing here removes it
        out.folder(old)
    assert not list(old.glob(f"{STAGING_PREFIX}*"))
