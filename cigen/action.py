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

``affected`` and ``impact`` call the application layer (:mod:`cigen.app.affected`)
once, with the environment passed explicitly, and render what they publish
from that one result; ``check``, ``up`` and ``down`` run the command itself,
whose terminal report is what the step's log should show.

A composite action declares its outputs by fixed names, while the stage jobs
of a workflow (``stage-1``, ``stage-2-part-1``, ...) differ per monorepo. So
``affected`` publishes the stage lists as one JSON object:

``stages``    ``{"<job id>": [{"name", "path", "build_only"}, ...], ...}``
``counts``    ``{"<job id>": <entries>, ...}``
``affected``, ``count``, ``any``, ``all``  as ``cigen affected`` writes them

``impact`` writes the full Markdown report to the step summary and to
``$RUNNER_TEMP/cigen-impact.md`` (output ``report-file``), and a version cut to
fit a pull-request comment as output ``report``.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from cigen import reporting
from cigen.adapters import github_env
from cigen.adapters.github_env import append_summary, compact, write_outputs
from cigen.app.affected import Affected, affected, step_summary
from cigen.cli import main as cli
from cigen.cli.affected import parse_arguments
from cigen.cli.app import TerminalReporter, error
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
    env = os.environ if env is None else env
    try:
        command, argv = command_line(env)
        with reporting_to(TerminalReporter()):
            if command in COMPARING:
                outputs = github_env.output_file(env, f"python -m cigen.action ({command})", "run cigen itself")
                result = affected_of(argv, env)
                if command == "affected":
                    return _affected(result, outputs, env, parse_arguments(argv[1:]).timings)
                return _impact(result, outputs, env)
            return cli(argv)
    except CigenError as exc:
        error(str(exc))
        return exc.exit_code


def command_line(env: Mapping[str, str]) -> tuple[str, list[str]]:
    """The command and the cigen arguments the inputs describe."""
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


def affected_of(argv: Sequence[str], env: Mapping[str, str]) -> Affected:
    """The impact ``cigen affected ARGV`` computes, computed once, in this process."""
    arguments = parse_arguments(argv[1:])
    return affected(arguments.root, arguments.source, env, direct=arguments.direct, build_deps=arguments.build_deps)


def _affected(result: Affected, outputs: Path, env: Mapping[str, str], timings: Path | None) -> int:
    write_outputs(outputs, grouped(result.github_outputs(result.workflow_jobs(), timings)))
    step_summary(result, env)
    return 0


def grouped(values: Mapping[str, str]) -> dict[str, str]:
    """``cigen affected``'s outputs with the per-job lists folded into ``stages`` and ``counts``."""
    jobs = sorted(
        (name for name in values if f"{name}-count" in values),
        key=lambda name: [int(part) if part.isdigit() else part for part in name.split("-")],
    )
    return {
        "stages": compact({job: json.loads(values[job]) for job in jobs}),
        "counts": compact({job: int(values[f"{job}-count"]) for job in jobs}),
        **{name: values.get(name, "") for name in ("affected", "count", "any", "all")},
    }


def _impact(result: Affected, outputs: Path, env: Mapping[str, str]) -> int:
    """The report rendered twice from one impact: whole for the summary and the file, cut for a comment."""
    full = result.markdown()
    comment = result.markdown(COMMENT_BUDGET)
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


if __name__ == "__main__":
    sys.exit(main())
