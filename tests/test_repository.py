"""The repository's own set-up keeps its promises: the README's two commands are what CI runs,
cigen's CI workflow passes the validators, and the README's tables match the code."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from testing.paths import REPO_ROOT
from testing.validators import assert_valid_workflow

README = (REPO_ROOT / "README.md").read_text()
CI_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"


def readme_section(title: str) -> str:
    """The text of the README section whose heading is ``title``, up to the next heading of its level."""
    match = re.search(rf"^(#+) {re.escape(title)}$", README, re.M)
    assert match, f"README has no section {title!r}"
    body = README[match.end():]
    end = re.search(rf"^#{{1,{len(match.group(1))}}} ", body, re.M)
    return body[: end.start()] if end else body


def readme_commands() -> dict[str, str]:
    """The commands of the README's "Two commands" block, keyed by what they do ("example", "test")."""
    block = re.search(r"```sh\n(.*?)```", readme_section("Two commands"), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    return {command.split()[1]: command for command in commands}


def test_the_readme_gives_exactly_two_commands_one_for_the_example_and_one_for_the_tests() -> None:
    assert readme_commands() == {"example": "./dev example", "test": "./dev test"}


def test_ci_run_calls_the_readmes_test_command_and_nothing_else() -> None:
    lines = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[-1] == f"exec {readme_commands()['test']}"
    assert all(c.startswith(("set ", "cd ")) for c in commands[:-1]), commands


def ci_workflow() -> dict[str, Any]:
    # The base loader: PyYAML's default (YAML 1.1) would read the key `on` as True.
    return yaml.load(CI_WORKFLOW.read_text(), Loader=yaml.BaseLoader)


def test_the_github_ci_workflow_runs_the_readmes_test_command_on_python_311_and_313() -> None:
    job = ci_workflow()["jobs"]["test"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    assert [step["run"] for step in job["steps"] if "run" in step] == [readme_commands()["test"]]
    node = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-node@"))
    assert node["with"]["node-version"] == "20"


def test_the_github_ci_workflow_passes_actionlint_zizmor_and_the_workflow_schema() -> None:
    assert_valid_workflow(CI_WORKFLOW)


def test_the_github_ci_workflow_grants_only_read_access_and_keeps_no_credentials() -> None:
    workflow = ci_workflow()
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["persist-credentials"] == "false"


def test_every_action_the_ci_workflow_uses_is_pinned_to_the_verified_sha_of_its_tag(shared_dir: Path) -> None:
    pins = json.loads((shared_dir / "action-pins.json").read_text())
    uses = re.findall(r"uses: ([\w.-]+/[\w.-]+)@(\S+) # (\S+)$", CI_WORKFLOW.read_text(), re.M)
    assert len(uses) == CI_WORKFLOW.read_text().count("uses:")
    for action, sha, tag in uses:
        assert (sha, tag) == (pins[action]["sha"], pins[action]["tag"]), action


def table_rows(text: str) -> dict[str, str]:
    """The first column to the second of every row of the markdown tables in ``text``."""
    rows = re.findall(r"^\| (.+?) \| (.+?) \|", text, re.M)
    return {key: value for key, value in rows if not set(key) <= {"-"} and key not in ("code", "key")}


def test_the_readmes_exit_codes_are_the_table_in_cigen_errors() -> None:
    import cigen.errors

    lines = cigen.errors.__doc__.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("====")]
    expected: dict[str, str] = {}
    for line in lines[rules[1] + 1 : rules[2]]:  # between the header's rule and the closing one
        if line[:4].strip():
            code = line[:4].strip()
            expected[code] = line[6:].strip()
        elif line.strip():
            expected[code] += " " + line.strip()
    normalise = lambda text: text.replace("``", "`")  # noqa: E731 (reStructuredText to markdown literals)
    assert table_rows(readme_section("Exit codes")) == {code: normalise(text) for code, text in expected.items()}
    assert set(expected) == {str(getattr(cigen.errors, n)) for n in dir(cigen.errors) if n.startswith("EXIT_")}


def config_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every key cigen.yaml accepts, as a full path (sections included; `<name>` for a map's keys)."""
    model.model_rebuild()  # resolve the sections that other modules define (forward references)
    keys = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        keys.append(key)
        annotation = field.annotation
        if get_origin(annotation) is dict:
            annotation, key = get_args(annotation)[1], key + ".<name>"
        for candidate in (annotation, *get_args(annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                keys += config_keys(candidate, key + ".")
    return keys


def test_every_cigen_yaml_key_is_documented_in_the_readmes_reference() -> None:
    from cigen.config.root import Config

    reference = readme_section("cigen.yaml reference")
    undocumented = [key for key in config_keys(Config) if f"| `{key}` |" not in reference]
    assert not undocumented, f"add a row to the README's cigen.yaml reference for: {', '.join(undocumented)}"


def test_every_command_has_a_readme_section_and_every_section_a_command() -> None:
    from cigen.cli import app

    commands = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
    documented = set(re.findall(r"^### cigen ([a-z-]+)$", readme_section("Commands"), re.M))
    assert documented == commands


@pytest.mark.parametrize("script", ["dev", ".ci/run"])
def test_the_scripts_are_executable(script: str) -> None:
    import os

    assert os.access(REPO_ROOT / script, os.X_OK)


def test_the_readmes_layout_names_every_folder_of_the_package_and_only_those() -> None:
    block = re.search(r"```\n(.*?)```", readme_section("Development"), re.S).group(1)
    # Folders end in "/"; a line may also name a module of note (the pytest plugin's entry point).
    listed = {line.split()[0].rstrip("/") for line in block.splitlines()
              if line.startswith("cigen/") and line.split()[0].endswith("/")}
    package = REPO_ROOT / "cigen"
    folders = {f"cigen/{p.parent.relative_to(package)}" for p in package.glob("*/__init__.py")}
    assert listed == folders


def test_every_package_folder_says_in_its_docstring_what_it_holds() -> None:
    for init in sorted((REPO_ROOT / "cigen").glob("*/__init__.py")):
        docstring = ast.get_docstring(ast.parse(init.read_text()))
        assert docstring and len(docstring) > 40, f"{init.relative_to(REPO_ROOT)} has no docstring saying what it holds"
