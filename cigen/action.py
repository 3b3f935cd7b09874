"""The composite action's entry point: its inputs, read from the environment, to one cigen command.

``action.yml`` runs ``python -m cigen.action`` with the action's inputs in
``CIGEN_*`` variables (never expanded into the script's text), and so does the
generated impact workflow when it installs cigen from the registry, so both
behave the same:

==================  ===========================================================
variable            meaning
==================  ===========================================================
CIGEN_COMMAND       ``affected``, ``check``, ``impact``, ``up`` or ``down``
CIGEN_WORKING_DIR   the monorepo's root, relative to the workspace (default .)
CIGEN_BASE          ``--base`` of affected and impact (default: the event's)
CIGEN_HEAD          ``--head`` of affected and impact (default HEAD)
CIGEN_ARGS          more arguments, split as a POSIX shell would, without any
                    expansion (``shlex``): quotes group, ``$`` stays ``$``
==================  ===========================================================

A composite action declares its outputs by fixed names, while the stage jobs
of a workflow (``stage-1``, ``stage-2-part-1``, ...) differ per monorepo. So
``affected`` runs ``cigen affected --format github`` into a private outputs
file and publishes the stage lists as one JSON object:

``stages``    ``{"<job id>": [{"name", "path", "build_only"}, ...], ...}``
``counts``    ``{"<job id>": <entries>, ...}``
``affected``, ``count``, ``any``, ``all``  as ``cigen affected`` writes them

``impact`` writes the full Markdown report to the step summary and to
``$RUNNER_TEMP/cigen-impact.md`` (output ``report-file``), and a version cut to
fit a pull-request comment as output ``report``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from cigen import reporting
from cigen.errors import CigenError, InputError
from cigen.reporting import reporting_to

COMMANDS = ("affected", "check", "impact", "up", "down")
COMPARING = frozenset({"affected", "impact"})  # the commands that take base and head
# A pull-request comment holds 65,536 characters; a UTF-8 byte budget below it
# leaves room for the marker and the link the comment adds around the report.
COMMENT_BUDGET = 60_000
REPORT_FILE = "cigen-impact.md"
_SET_BY_ACTION = {
    "--root": "the working-directory input", "-C": "the working-directory input",
    "--format": "the command input (affected or impact)", "-f": "the command input (affected or impact)",
}


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the command the environment names; returns its exit code."""
    from cigen.cli.app import TerminalReporter, error

    env = os.environ if env is None else env
    try:
        command, argv = command_line(env)
        with reporting_to(TerminalReporter()):
            if command == "affected":
                return _affected(argv, _output_file(env))
            if command == "impact":
                return _impact(argv, _output_file(env), env)
            return _cigen(argv)
    except InputError as exc:
        error(str(exc))
        return exc.exit_code


def command_line(env: Mapping[str, str]) -> tuple[str, list[str]]:
    """The command and the cigen arguments the inputs describe (``--format`` added by the caller)."""
    command = env.get("CIGEN_COMMAND", "").strip()
    if command not in COMMANDS:
        raise InputError(f"unknown command {command!r} in the action's command input",
                         hint=f"use one of: {', '.join(COMMANDS)}")
    try:
        extra = shlex.split(env.get("CIGEN_ARGS", ""))
    except ValueError as exc:
        raise InputError(f"the args input cannot be split: {exc}", hint="close the quote, or escape it with \\")
    for token in extra:
        name = token.split("=", 1)[0] if token.startswith("--") else token[:2]
        if name in _SET_BY_ACTION and (command in COMPARING or name in ("--root", "-C")):
            raise InputError(f"the args input must not set {name}", hint=f"it is set from {_SET_BY_ACTION[name]}")
    argv = ["affected" if command in COMPARING else command]
    for option in ("base", "head"):
        value = env.get(f"CIGEN_{option.upper()}", "").strip()
        if not value:
            continue
        if command not in COMPARING:
            raise InputError(f"the {option} input applies to affected and impact only, not {command}",
                             hint=f"remove {option} from the step's with:")
        argv += [f"--{option}", value]
    root = env.get("CIGEN_WORKING_DIR", "").strip() or "."
    return command, [*argv, *extra, "--root", root]


def _output_file(env: Mapping[str, str]) -> Path:
    path = env.get("GITHUB_OUTPUT")
    if not path:
        raise InputError("GITHUB_OUTPUT is not set", hint="python -m cigen.action runs inside GitHub Actions; "
                         "elsewhere run cigen itself")
    return Path(path)


def _cigen(argv: Sequence[str]) -> int:
    from cigen.cli import main as cli

    return cli(list(argv))


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def _affected(argv: Sequence[str], outputs: Path) -> int:
    from cigen.adapters.github_env import write_outputs

    with tempfile.TemporaryDirectory(prefix="cigen-action-") as folder:
        private = Path(folder) / "outputs"
        private.touch()
        with _environment("GITHUB_OUTPUT", str(private)):
            code = _cigen([argv[0], "--format", "github", *argv[1:]])
        if code:
            return code
        values = read_outputs(private.read_text(encoding="utf-8"))
    write_outputs(outputs, grouped(values))
    return 0


def read_outputs(text: str) -> dict[str, str]:
    """The values of a $GITHUB_OUTPUT file: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition("=")
        if sep and "<<" not in name:
            values[name] = value
            continue
        name, _, delimiter = line.partition("<<")
        block: list[str] = []
        for item in lines:
            if item == delimiter:
                break
            block.append(item)
        values[name] = "\n".join(block)
    return values


def grouped(values: Mapping[str, str]) -> dict[str, str]:
    """``cigen affected``'s outputs with the per-job lists folded into ``stages`` and ``counts``."""
    from cigen.adapters.github_env import compact

    jobs = sorted(
        (name for name in values if f"{name}-count" in values),
        key=lambda name: [int(part) if part.isdigit() else part for part in name.split("-")],
    )
    return {
        "stages": compact({job: json.loads(values[job]) for job in jobs}),
        "counts": compact({job: int(values[f"{job}-count"]) for job in jobs}),
        **{name: values.get(name, "") for name in ("affected", "count", "any", "all")},
    }


def _impact(argv: Sequence[str], outputs: Path, env: Mapping[str, str]) -> int:
    from cigen.adapters.github_env import append_summary, write_outputs

    code, full = _captured([argv[0], "--format", "markdown", *argv[1:]])
    if code:
        return code
    code, comment = _captured([argv[0], "--format", "markdown", "--max-bytes", str(COMMENT_BUDGET), *argv[1:]])
    if code:
        return code
    report = Path(env.get("RUNNER_TEMP") or tempfile.gettempdir()) / REPORT_FILE
    report.write_text(full, encoding="utf-8")
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            append_summary(Path(summary), full)
        except CigenError as exc:  # a summary filled by earlier steps loses the report, never the outputs
            reporting.warn(f"no step summary written: {exc}")
    write_outputs(outputs, {"report": comment, "report-file": str(report)})
    reporting.progress(f"the impact report is in the step summary and {report}")
    return 0


def _captured(argv: Sequence[str]) -> tuple[int, str]:
    """Run a cigen command in this process and return its exit code and what it wrote to stdout."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = _cigen(argv)
    return code, buffer.getvalue()


if __name__ == "__main__":
    sys.exit(main())
