"""``cigen generate`` on a real monorepo: a person's comments anywhere in its files come back byte for byte, or it
refuses with one line naming the comment; and it never writes a workflow GitHub would not run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cigen.errors import InputError
from cigen.render.limits import WORKFLOW_FILE_LIMIT, check_workflow_size
from testing.cli import CliResult, run_cigen
from testing.monorepos import SHOP, write_monorepo
from testing.validators import assert_valid_workflow

WORKFLOW = ".github/workflows/cigen.yml"
IMPACT = ".github/workflows/cigen-impact.yml"
CONFIG = "services:\n  api:\n    port: 4000\n"
MY_JOB = """\
  # deploys after the gate
  deploy:
    name: deploy
    needs: [cigen]
    runs-on: ubuntu-latest  # the cheapest
    permissions: {}

    steps:
      # nothing to check out
      - run: echo deploy  # for now
"""


def commented(text: str) -> str:
    """``text`` with a comment in every kind of place: above and after cigen's keys, jobs and steps, in a job of
    one's own, at the end; and blank lines between jobs."""
    lines: list[str] = []
    for line in text.splitlines():
        if re.fullmatch(r"[a-z-]+:.*", line) and not line.startswith("name:"):
            lines.append(f"# above {line.split(':')[0]}")
        elif re.fullmatch(r"  [a-z0-9-]+:", line) and lines[-1] != "on:":
            lines += ["", f"  # above {line.strip()}"]
        elif line.startswith("      - "):
            lines.append("      # above a step")
        if line == "name: cigen":
            lines += ["", "# about this file"]
        if line.startswith("  cigen:"):
            lines += MY_JOB.splitlines()
        lines.append(line + ("  # on a runner" if line.startswith("    runs-on:") else ""))
    return "\n".join(lines) + "\n# the end\n"


def generate(repo: Path, *args: str) -> CliResult:
    return run_cigen("generate", *args, "--root", str(repo))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The shop with its generated workflow commented throughout, regenerated once (the tests only read it)."""
    repo = write_monorepo(tmp_path_factory.mktemp("shop") / "repo", SHOP, CONFIG)
    assert generate(repo).exit_code == 0
    edited = commented((repo / WORKFLOW).read_text())
    (repo / WORKFLOW).write_text(edited)
    done = generate(repo)
    assert done.exit_code == 0, done
    return repo, edited


def test_every_comment_in_the_generated_workflow_comes_back_byte_for_byte(shop: tuple[Path, str]) -> None:
    repo, edited = shop
    assert edited.count("\n# ") + edited.count("  # ") > 60
    assert "# above jobs\njobs:\n" in edited  # the issue's `# note` above jobs:, among the others
    assert (repo / WORKFLOW).read_text() == edited


def test_a_second_generation_writes_nothing_and_check_finds_the_file_current(shop: tuple[Path, str]) -> None:
    repo, edited = shop
    again = generate(repo)
    assert again.exit_code == 0 and f"unchanged: {WORKFLOW}" in again.stderr, again
    assert run_cigen("check", "--root", str(repo)).exit_code == 0
    assert (repo / WORKFLOW).read_bytes() == edited.encode()


def test_the_commented_workflow_passes_the_validators(shop: tuple[Path, str]) -> None:
    assert_valid_workflow(shop[0] / WORKFLOW)


def test_a_comment_on_a_job_the_new_plan_drops_stops_generate_with_one_line_and_force_drops_it(
    tmp_path: Path,
) -> None:
    repo = write_monorepo(tmp_path / "repo", SHOP, CONFIG)
    assert generate(repo).exit_code == 0
    text = (repo / WORKFLOW).read_text()
    edited = text.replace("\n  stage-3:\n", "\n  # stage 3 is slow\n  stage-3:\n")
    edited = edited.replace("\njobs:\n", "\n# note\njobs:\n")
    (repo / WORKFLOW).write_text(edited)
    line = edited.splitlines().index("  # stage 3 is slow") + 1
    (repo / "cigen.yaml").write_text(CONFIG + "plan:\n  mode: parallel\n")  # one stage: stage-3 is gone

    refused = generate(repo)

    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith(f"cigen: error: {WORKFLOW}:{line}: cannot keep your comment "
                                     "'# stage 3 is slow': it is on jobs.stage-3, which cigen no longer writes")
    assert "move it above a key that stays" in refused.stderr
    assert (repo / WORKFLOW).read_text() == edited
    assert run_cigen("check", "--root", str(repo)).exit_code == 2

    forced = generate(repo, "--force")

    assert forced.exit_code == 0, forced
    assert f"dropped your comment '# stage 3 is slow'" in forced.stderr
    written = (repo / WORKFLOW).read_text()
    assert "# stage 3 is slow" not in written and "\n# note\njobs:\n" in written and "stage-3" not in written


def test_the_impact_workflow_keeps_comments_the_same_way(tmp_path: Path) -> None:
    repo = write_monorepo(tmp_path / "repo", SHOP, CONFIG + "workflow:\n  impact: true\n")
    assert generate(repo).exit_code == 0
    edited = commented((repo / IMPACT).read_text())
    (repo / IMPACT).write_text(edited)

    assert generate(repo).exit_code == 0
    assert (repo / IMPACT).read_text() == edited


# --- GitHub's workflow file size limit --------------------------------------------------------------


def test_a_workflow_over_the_limit_is_refused_naming_the_file_its_size_and_what_to_change() -> None:
    check_workflow_size(WORKFLOW, "x" * 100, limit=100, hint="h")  # at the limit: runs
    with pytest.raises(InputError) as refused:
        check_workflow_size(WORKFLOW, "é" * 51, limit=100, hint="use fewer jobs")  # 102 bytes in UTF-8
    assert str(refused.value) == (
        f"{WORKFLOW}: the generated workflow would be 102 bytes, more than the 100 GitHub runs; nothing was written "
        "(use fewer jobs)"
    )
    assert WORKFLOW_FILE_LIMIT == 512_000  # "500 KB", as GitHub counts it


def test_generate_and_check_refuse_a_configuration_whose_workflow_github_would_not_run(tmp_path: Path) -> None:
    script = "echo " + "x" * 600_000  # workflow.setup: in the integration job (and the leg action)
    config = CONFIG + f"workflow:\n  setup:\n    - name: Big\n      run: {script}\n"
    repo = write_monorepo(tmp_path / "repo", SHOP, config)

    for command in ("generate", "check"):
        done = run_cigen(command, "--root", str(repo))
        assert done.exit_code == 2 and done.stderr.count("\n") == 1, done
        size = int(re.search(r"would be ([\d,]+) bytes", done.stderr)[1].replace(",", ""))  # type: ignore[index]
        assert size > WORKFLOW_FILE_LIMIT
        assert done.stderr.startswith(f"cigen: error: {WORKFLOW}: the generated workflow would be ")
        assert "workflow.setup" in done.stderr
    assert not (repo / WORKFLOW).exists()
