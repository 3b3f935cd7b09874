"""The example's members really build, test and lint: every script runs for real with node or Python."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cigen.adapters.proc import run
from testing.examples import BUILD_ORDER, NODE_MEMBERS, PYTHON_MEMBERS, built_shop, copy_run_example, npm_run
from testing.examples import python_argv, python_env


def node_test(member: Path) -> tuple[int, int]:
    """Run a member's test script with the TAP reporter; (passed, failed)."""
    done = run(["npm", "run", "--silent", "test", "--", "--test-reporter=tap"], cwd=member, timeout=120, check=False)
    counts = dict(re.findall(r"^# (pass|fail) (\d+)$", done.stdout, re.MULTILINE))
    # A failure shows each failing test's TAP block (its name, error and location), not the output's tail.
    failing = re.findall(r"^not ok .*?^  \.\.\.$", done.stdout, re.MULTILINE | re.DOTALL)
    assert done.returncode == 0 and counts, "\n".join(failing) or done.stdout + done.stderr
    return int(counts["pass"]), int(counts["fail"])


def files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("member", BUILD_ORDER)
def test_build_writes_each_source_file_to_dist_stamped_with_the_version(shop: Path, member: str) -> None:
    package = json.loads((shop / member / "package.json").read_text())
    src, dist = shop / member / "src", shop / member / "dist"
    assert files(dist) == files(src)
    for path in files(dist):
        if path.suffix == ".js":
            text = (dist / path).read_text()
            assert text.startswith(f"// {package['name']}@{package['version']}: built from src/{path.as_posix()} ")
            assert text.endswith((src / path).read_text())


@pytest.mark.parametrize("member", NODE_MEMBERS)
def test_node_member_tests_pass(shop: Path, member: str) -> None:
    passed, failed = node_test(shop / member)
    assert failed == 0
    assert passed >= 3


@pytest.mark.parametrize("member", NODE_MEMBERS)
def test_node_member_lint_is_clean(shop: Path, member: str) -> None:
    assert "shop-lint: clean" in npm_run(shop / member, "lint")


@pytest.mark.parametrize("member", PYTHON_MEMBERS)
def test_python_member_tests_pass(shop: Path, member: str) -> None:
    result = run(
        python_argv("-m", "unittest", "discover", "-s", "tests"),
        cwd=shop / member, env=python_env(shop, member), timeout=120,
    )
    ran = int(re.search(r"^Ran (\d+) tests?", result.stderr, re.MULTILINE).group(1))
    assert ran >= 3
    assert result.stderr.rstrip().endswith("OK")


def test_a_library_cannot_be_used_before_the_library_it_imports_is_built(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Why build order matters: @shop/data imports @shop/core's dist/, which only core's build writes."""
    shop = copy_run_example(built_shop(tmp_path_factory), tmp_path)
    shutil.rmtree(shop / "packages/core/dist")  # core not built yet; everything else is
    before = run(["npm", "run", "--silent", "test"], cwd=shop / "packages/data", check=False, timeout=120)
    assert before.returncode != 0
    assert "Cannot find module" in before.stdout and "@shop/core/dist/index.js" in before.stdout

    npm_run(shop / "packages/core", "build")
    assert node_test(shop / "packages/data") == (3, 0)
