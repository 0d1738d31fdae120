"""The command line's one error boundary: a user never sees a traceback.

Every command is wrapped by :func:`guarded`; :func:`run_cli` wraps the whole
invocation (usage errors happen before a command runs). Outcomes and exit
statuses are those of :class:`hadplanner.errors.ExitCode`:

- a :class:`~hadplanner.errors.HadPlannerError` (bad input, infeasible
  request, outputs not writable) prints ``error: <one line>``;
- a usage error (unknown option, missing argument) prints one line and a
  pointer to the command's ``--help``;
- Ctrl-C or SIGTERM prints ``interrupted: nothing was written``;
- anything else is a bug: one line naming a log file that holds the traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any

import typer

from hadplanner.errors import ExitCode, HadPlannerError

# click is vendored by recent typer versions and a dependency of older ones:
# reach its classes through typer's public BadParameter, whatever the version.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
_ClickException: type[Exception] = _UsageError.__mro__[1]
assert _UsageError.__name__ == "UsageError" and _ClickException.__name__ == "ClickException"


def _say(text: str) -> None:
    typer.echo(" ".join(text.split("\n")), err=True)


def log_dir() -> Path:
    """Where tracebacks of internal errors are kept (``HADPLANNER_LOG_DIR`` or XDG state)."""
    env = os.environ.get("HADPLANNER_LOG_DIR")
    if env:
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "hadplanner"


def write_crash_log(exc: BaseException) -> Path | None:
    """Write the traceback of ``exc`` to a new log file; its path (None if nothing could)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (
        f"hadplanner internal error, {dt.datetime.now().isoformat(timespec='seconds')}\n"
        f"command: {' '.join(sys.argv)}\n\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    )
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"hadplanner-error-{stamp}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def internal_error(exc: BaseException) -> int:
    """Report a bug in one line with the log file's path; the exit status."""
    path = write_crash_log(exc)
    where = f"details in {path}" if path else "no log could be written"
    _say(f"internal error: {type(exc).__name__}: {str(exc)[:200]} (a bug in hadplanner, "
         f"not in your input; {where}; nothing was written)")
    return ExitCode.INTERNAL


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command: package errors and bugs become one line and an exit status."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, _ClickException):
            raise
        except HadPlannerError as exc:
            _say(f"error: {exc}")
            raise typer.Exit(code=int(exc.exit_code)) from None
        except KeyboardInterrupt:
            _say("interrupted: nothing was written")
            raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
        except Exception as exc:  # the boundary: a bug must not print a traceback
            raise typer.Exit(code=internal_error(exc)) from None

    return wrapper


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that staged outputs are removed."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def run_cli(app: typer.Typer, argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit status (never raises, never prints a traceback)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="hadplanner", standalone_mode=False)
        return int(result) if isinstance(result, int) else ExitCode.OK
    except typer.Exit as exc:
        return int(exc.exit_code)
    except _UsageError as exc:
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "hadplanner"
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())
            return ExitCode.OK
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        _say(f"usage error: {message} (see '{command} --help')")
        return ExitCode.USAGE
    except _ClickException as exc:
        _say(f"error: {exc.format_message() if hasattr(exc, 'format_message') else exc}")
        return int(getattr(exc, "exit_code", ExitCode.BAD_INPUT))
    except (typer.Abort, KeyboardInterrupt):
        _say("interrupted: nothing was written")
        return ExitCode.INTERRUPTED
    except HadPlannerError as exc:
        _say(f"error: {exc}")
        return int(exc.exit_code)
    except Exception as exc:  # the boundary of last resort
        return internal_error(exc)
