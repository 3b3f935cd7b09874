"""``cigen run`` on npm monorepos whose scripts record when they ran: in process, and as a real process for signals.

Order, parallelism and failure handling are read from the times each script
recorded (see tests/executor/npm_monorepo.py), not from cigen's own report.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from testing.cli import CliResult, run_cigen, run_cigen_process, start_cigen_process
from testing.npm_monorepo import Package, most_at_once, npm_monorepo, record, span, started


def run(root: Path, *args: str) -> CliResult:
    return run_cigen("run", *args, "--root", str(root), cwd=root)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, exited but not reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


# -- order and parallelism -------------------------------------------------------------------


def test_a_dependency_finishes_before_its_dependent_starts(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "a": Package({"build": record("build", 0.3)}),
        "b": Package({"build": record("build", 0.3)}, ["a"]),
        "c": Package({"build": record("build", 0.3)}, ["b"]),
    })
    done = run(root, "build")
    assert done.exit_code == 0, done.stdout + done.stderr
    a, b, c = (span(root, name, "build") for name in "abc")
    assert a.end < b.start and b.end < c.start


def test_auto_starts_a_service_once_its_own_dependencies_passed_not_its_whole_level(tmp_path: Path) -> None:
    # slow and fast share a level; after needs only fast, so it starts while slow still runs.
    root = npm_monorepo(tmp_path, {
        "slow": Package({"build": record("build", 2.0)}),
        "fast": Package({"build": record("build", 0.0)}),
        "after": Package({"build": record("build", 0.0)}, ["fast"]),
    })
    assert run(root, "build", "-j", "3").exit_code == 0
    slow, after = span(root, "slow", "build"), span(root, "after", "build")
    assert after.start < slow.end


def test_independent_services_run_at_the_same_time(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {name: Package({"build": record("build", 1.0)}) for name in ("x", "y")})
    assert run(root, "build", "--concurrency", "2").exit_code == 0
    x, y = span(root, "x", "build"), span(root, "y", "build")
    assert x.start < y.end and y.start < x.end


def test_never_more_services_at_once_than_the_concurrency(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {name: Package({"build": record("build", 0.5)}) for name in "abcd"})
    assert run(root, "build", "-j", "2").exit_code == 0
    assert most_at_once([span(root, name, "build") for name in "abcd"]) == 2


def test_a_second_run_starts_the_longest_remaining_path_first_from_the_times_of_the_first(tmp_path: Path) -> None:
    # quick comes first in the plan; slow -> after is the long path. One at a time, so order alone decides.
    root = npm_monorepo(tmp_path / "repo", {
        "quick": Package({"build": record("build", 0.0)}),
        "slow": Package({"build": record("build", 1.5)}),
        "after": Package({"build": record("build", 0.0)}, ["slow"]),
    })
    env = {**os.environ, "CIGEN_CACHE_DIR": str(tmp_path / "cache")}

    def order() -> list[str]:
        shutil.rmtree(root / ".record", ignore_errors=True)
        done = run_cigen("run", "build", "-j", "1", "--root", str(root), cwd=root, env=env)
        assert done.exit_code == 0, done.stdout + done.stderr
        return sorted(("quick", "slow", "after"), key=lambda name: span(root, name, "build").start)

    assert order() == ["quick", "slow", "after"]  # no times yet: the plan's order
    assert order()[0] == "slow"  # slow's path (1.5 s and more) before quick's


def test_a_service_runs_its_tasks_in_the_order_asked_and_skips_a_missing_script(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "a": Package({"build": record("build"), "test": record("test")}),
        "b": Package({"build": record("build")}),
    })
    done = run(root, "build", "test", "--json")
    assert done.exit_code == 0, done.stderr
    assert span(root, "a", "build").end < span(root, "a", "test").start
    doc = json.loads(done.stdout)
    b = next(s for s in doc["services"] if s["name"] == "b")
    assert [(t["task"], t["status"]) for t in b["tasks"]] == [("build", "passed"), ("test", "no script")]
    assert b["status"] == "passed"


def test_each_output_line_is_prefixed_with_the_service_and_task(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build")})})
    done = run(root, "build")
    assert "a:build: build of a says hello" in done.stdout.splitlines()
    assert "a:build: $ node ../../record.js build 0.0 0" in done.stdout.splitlines()  # the script, as npm shows it


# -- failures --------------------------------------------------------------------------------


def test_cascade_stops_at_the_first_failure(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "a": Package({"build": record("build", 0, 3)}),
        "b": Package({"build": record("build")}),
    })
    done = run(root, "build", "--mode", "cascade")
    assert done.exit_code == 1
    assert span(root, "b", "build") is None
    assert "a:build: failed (exit code 3)" in done.stdout
    assert "not run: stopped after a failed" in done.stdout


def test_auto_does_not_run_the_dependents_of_a_failure_and_starts_nothing_new(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "bad": Package({"build": record("build", 0, 1)}),
        "child": Package({"build": record("build")}, ["bad"]),
        "slow": Package({"build": record("build", 1.0)}),
        "later": Package({"build": record("build")}, ["slow"]),
    })
    done = run(root, "build", "--json")
    assert done.exit_code == 1
    results = {s["name"]: (s["status"], s["reason"]) for s in json.loads(done.stdout)["services"]}
    assert results == {
        "bad": ("failed", None),
        "child": ("not run", "depends on bad"),
        "slow": ("passed", None),  # already running: it finishes
        "later": ("not run", "stopped after bad failed"),
    }
    assert span(root, "child", "build") is None and span(root, "later", "build") is None
    assert "child: not run: depends on bad" in done.stderr


def test_continue_runs_what_does_not_depend_on_a_failure(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "bad": Package({"build": record("build", 0, 1)}),
        "child": Package({"build": record("build")}, ["bad"]),
        "slow": Package({"build": record("build", 1.0)}),
        "later": Package({"build": record("build")}, ["slow"]),
    })
    done = run(root, "build", "--continue")
    assert done.exit_code == 1
    assert span(root, "later", "build") is not None
    assert span(root, "child", "build") is None


def test_parallel_collects_every_result(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "bad": Package({"build": record("build", 0, 1)}),
        "child": Package({"build": record("build", 0.3)}, ["bad"]),
    })
    done = run(root, "build", "--mode", "parallel")
    assert done.exit_code == 1
    assert span(root, "child", "build") is not None


def test_a_failed_task_stops_the_rest_of_its_service(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build", 0, 1), "test": record("test")})})
    done = run(root, "build", "test", "--json")
    assert done.exit_code == 1
    tasks = json.loads(done.stdout)["services"][0]["tasks"]
    assert [(t["task"], t["status"], t["exit_code"]) for t in tasks] == [("build", "failed", 1), ("test", "not run", None)]


# -- Python services -------------------------------------------------------------------------


def test_a_python_service_runs_its_python_tasks_command_in_its_folder(tmp_path: Path) -> None:
    root = npm_monorepo(
        tmp_path,
        {"web": Package({"test": record("test")})},
        cigen_yaml="workspaces: [packages/*]\nworkflow:\n  python_tasks:\n    test: python3 -c 'open(\"ran\", \"w\").write(\"yes\")'\n",
    )
    py = root / "packages" / "py"
    py.mkdir()
    (py / "pyproject.toml").write_text('[project]\nname = "py"\nversion = "1.0.0"\n')
    done = run(root, "test")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert (py / "ran").read_text() == "yes"
    assert "py:test: $ bash -c " in done.stdout


# -- bad input -------------------------------------------------------------------------------


def test_a_task_no_service_defines_is_bad_input_with_a_suggestion(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build")})})
    done = run(root, "biuld")
    assert done.exit_code == 2
    assert "no service defines a task 'biuld'" in done.stderr and "did you mean build?" in done.stderr
    assert not (root / ".record").exists()


def test_a_selection_that_matches_nothing_is_bad_input(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build")})})
    done = run(root, "build", "--select", "nope")
    assert done.exit_code == 2
    assert "matches no member" in done.stderr


def test_a_selection_runs_only_the_selected_services(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "a": Package({"build": record("build")}),
        "b": Package({"build": record("build")}, ["a"]),
        "c": Package({"build": record("build")}),
    })
    assert run(root, "build", "--select", "b...").exit_code == 0
    assert span(root, "a", "build") and span(root, "b", "build") and span(root, "c", "build") is None


def test_json_is_one_document_on_stdout_with_the_logs_on_stderr(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build")})})
    done = run(root, "build", "--json")
    doc = json.loads(done.stdout)
    assert (doc["ok"], doc["mode"], doc["tasks"]) == (True, "auto", ["build"])
    assert doc["services"][0]["tasks"][0]["status"] == "passed"
    assert "a:build: build of a says hello" in done.stderr


# -- processes -------------------------------------------------------------------------------

SPAWN_JS = """\
const { spawn } = require("child_process");
const child = spawn("sleep", ["60"], { stdio: "inherit" });
require("fs").writeFileSync("sleeper.pid", String(child.pid));
child.unref();
"""


def test_what_a_task_leaves_running_ends_with_it(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": "node spawn.js"})})
    (root / "packages" / "a" / "spawn.js").write_text(SPAWN_JS)
    # A real process, as a shell runs it: the check comes once cigen has exited. In process it
    # can come while the signalled leftover is still exiting: it has closed its output, which
    # cigen waits for, but /proc does not show it gone yet.
    done = run_cigen_process("run", "build", "--root", str(root), cwd=root)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert not alive(int((root / "packages" / "a" / "sleeper.pid").read_text()))


def start_in_background(root: Path, *args: str) -> subprocess.Popen[str]:
    """A real ``cigen run`` process in a session of its own, for the signals a terminal sends it."""
    return start_cigen_process("run", *args, "--root", str(root))


def wait_started(root: Path, names: str) -> list[int]:
    """The pids of each package's running script and of npm and sh above it, once all have started."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        spans = [started(root, name, "build") for name in names]
        if all(spans):
            pids = [s.pid for s in spans]
            return pids + [parent(p) for p in pids]
        time.sleep(0.05)
    pytest.fail("the tasks did not start")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_stops_every_task_and_exits_130(tmp_path: Path, sig: signal.Signals) -> None:
    root = npm_monorepo(tmp_path, {name: Package({"build": record("build", 60)}) for name in "ab"})
    cigen_run = start_in_background(root, "build", "-j", "2")
    pids = wait_started(root, "ab")
    if sig == signal.SIGINT:
        os.killpg(cigen_run.pid, sig)  # what Ctrl-C does: the signal to the terminal's foreground group
    else:
        cigen_run.send_signal(sig)
    stdout, stderr = cigen_run.communicate(timeout=30)
    assert cigen_run.returncode == 130, stderr
    assert [pid for pid in pids if alive(pid)] == []
    assert "interrupted" in stdout and "cigen: interrupted" in stderr


STUBBORN_JS = """\
process.on("SIGTERM", () => {});
require("fs").writeFileSync("stubborn.pid", String(process.pid));
setInterval(() => {}, 1000);
"""


def test_a_second_interrupt_kills_a_task_that_ignores_sigterm(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": "node stubborn.js"})})
    folder = root / "packages" / "a"
    (folder / "stubborn.js").write_text(STUBBORN_JS)
    cigen_run = start_in_background(root, "build")
    deadline = time.monotonic() + 30
    while not (folder / "stubborn.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(cigen_run.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(cigen_run.pid, signal.SIGINT)
    cigen_run.communicate(timeout=4)  # well inside the 5 s grace a single interrupt gives
    assert cigen_run.returncode == 130
    assert not alive(int((folder / "stubborn.pid").read_text()))


# -- the bundled example ---------------------------------------------------------------------


def test_the_example_builds_every_node_member_each_after_its_dependencies(example_copy) -> None:
    shop = example_copy("shop")
    done = run(shop, "build")
    assert done.exit_code == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    graph = run_cigen("graph", "--format", "json", cwd=shop).json()
    built = {s["name"] for s in graph["services"] if "build" in s["scripts"]}
    assert len(built) > 1  # the example grows: every Node member with a build script, whatever their number

    def finished(name: str) -> int:
        return max(i for i, line in enumerate(lines) if line.startswith(f"{name}:build: "))

    def started(name: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(f"{name}:build: $ "))

    edges = [(e["from"], e["to"]) for e in graph["edges"] if e["from"] in built and e["to"] in built]
    assert edges
    for dependent, dependency in edges:
        assert finished(dependency) < started(dependent), (dependent, dependency)
    for service in graph["services"]:
        if service["name"] in built:
            assert (shop / service["path"] / "dist").is_dir()
