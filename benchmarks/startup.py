"""Benchmark: how long a person waits at the command line, beside anchors from the same run.

Times, as separate processes with this interpreter (so the ``hadplanner``
it imports is the one measured: ``PYTHONPATH=src`` for a checkout, or the
installed package):

* ``hadplanner plan examples/P001-rr-had-toulouse.yaml`` (one patient, two
  cycles, the table on stdout): goal under 1 s;
* ``hadplanner run --out <temporary folder>`` (territory, coverage, the six
  example plans with their files, PUI sheet): goal under 8 s;

and, as anchors measured in the same run: the interpreter alone
(``python -c pass``), the territory's full load with its polygons (what
``plan`` paid for one road time before it read the communes' centres
only), and with ``--against REV`` the same two commands from another git
revision of this repository (extracted with ``git archive``: e.g. the
revision before the start-up work). Each command runs ``--repeat`` times
(``run``: ``--run-repeat``); printed: the first run, then the median and
the extremes of the runs after it.

Run: ``.venv/bin/python benchmarks/startup.py [--against REV]`` (about a
minute; ``--no-run`` skips ``hadplanner run``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "examples/P001-rr-had-toulouse.yaml"


def _wall(cmd: list[str], env: dict[str, str], repeat: int) -> list[float]:
    """Wall seconds of each of `repeat` runs of `cmd` (output discarded; failure stops)."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        out.append(time.perf_counter() - t)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.strip()}")
    return out


def _line(label: str, times: list[float], goal: float | None = None) -> str:
    rest = times[1:] or times
    text = (f"  {label:<44} first {times[0]:6.2f} s, then median {statistics.median(rest):6.2f} s"
            f" ({min(rest):.2f}-{max(rest):.2f}, {len(rest)} runs)")
    if goal is not None:
        text += f"   goal < {goal:g} s: {'met' if statistics.median(rest) < goal else 'NOT met'}"
    return text


def _revision_tree(rev: str, into: Path) -> Path:
    """The files of revision `rev` needed to run hadplanner, extracted under `into`."""
    archive = into / "rev.tar"
    with archive.open("wb") as f:
        subprocess.run(["git", "archive", rev, "src", "data", "territories", "examples"],
                       cwd=ROOT, stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def main() -> None:
    """Command-line entry: time the commands and print them beside their anchors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=6, help="runs of each short command")
    parser.add_argument("--run-repeat", type=int, default=2, help="runs of `hadplanner run`")
    parser.add_argument("--against", metavar="REV", default=None,
                        help="also time the same commands from this git revision")
    parser.add_argument("--no-run", action="store_true", help="skip `hadplanner run`")
    args = parser.parse_args()
    env = dict(os.environ)
    py = [sys.executable]
    load = os.getloadavg()[0]
    print(f"Interpreter {sys.executable}; load average {load:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        trees: list[tuple[str, dict[str, str]]] = [("this tree", env)]
        if args.against:
            tree = _revision_tree(args.against, Path(tmp))
            trees.append((args.against, {**env, "PYTHONPATH": str(tree / "src")}))
        print(_line("python -c pass (the interpreter alone)",
                    _wall(py + ["-c", "pass"], env, args.repeat)))
        print(_line("territory with polygons (load_territory)", _wall(
            py + ["-c", "from hadplanner.territory.loading import load_territory; "
                        "load_territory('occitanie')"], env, args.repeat)))
        for name, tree_env in trees:
            print(_line(f"hadplanner plan P001 [{name}]",
                        _wall(py + ["-m", "hadplanner", "plan", EXAMPLE], tree_env, args.repeat),
                        1.0 if name == "this tree" else None))
        if not args.no_run:
            for name, tree_env in trees:
                out = Path(tmp) / f"run-{len(name)}"
                times = []
                for _ in range(args.run_repeat):
                    times += _wall(py + ["-m", "hadplanner", "run", "--out", str(out)],
                                   tree_env, 1)
                    subprocess.run(["rm", "-rf", str(out)], check=True)
                print(_line(f"hadplanner run [{name}]", times,
                            8.0 if name == "this tree" else None))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
