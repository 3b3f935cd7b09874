"""What npm adds to every script's environment, asked of real npm: by its built-in env script, or by npm exec."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cigen.adapters.npm_env import npm_environment
from cigen.errors import ToolError


@pytest.mark.parametrize("scripts", [{}, {"env": "echo a script of the package's own"}])
def test_npm_reports_its_configuration_and_paths_whether_or_not_the_package_has_an_env_script(
        tmp_path: Path, scripts: dict[str, str]) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "probe", "version": "1.0.0", "scripts": scripts}))
    (tmp_path / ".npmrc").write_text("fund=false\n")
    npm = npm_environment(tmp_path, {**os.environ, "NPM_CONFIG_FOREGROUND_SCRIPTS": "true"})
    found = npm.variables
    assert found["npm_config_fund"] == ""  # false, from the project's .npmrc (npm writes false as empty)
    assert "npm_config_foreground_scripts" not in found  # set by the caller's environment, which scripts inherit
    assert found["npm_config_local_prefix"] == str(tmp_path.resolve())
    assert found["npm_execpath"].endswith("npm-cli.js") and "npm_node_execpath" in found
    assert not any(k.startswith(("npm_lifecycle_", "npm_package_")) or k == "npm_command" for k in found)
    assert npm.node_gyp_bin is not None and npm.node_gyp_bin.endswith("node-gyp-bin")


def test_a_folder_npm_cannot_run_in_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{ not json")
    with pytest.raises(ToolError, match="npm could not run a script in"):
        npm_environment(tmp_path)


def test_the_answer_is_kept_and_used_again_while_nothing_it_follows_from_changes(tmp_path: Path) -> None:
    project, cache = tmp_path / "project", tmp_path / "cache"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "probe", "version": "1.0.0"}))
    (project / ".npmrc").write_text("fund=false\n")
    env = dict(os.environ)
    first = npm_environment(project, env, cache=cache)
    (entry,) = cache.iterdir()
    kept = json.loads(entry.read_text())
    assert kept["variables"] == dict(first.variables)
    # The next call answers from the entry, without npm: a mark put in the entry comes back.
    kept["variables"]["npm_config_marked"] = "from the cache"
    entry.write_text(json.dumps(kept))
    assert npm_environment(project, env, cache=cache).variables["npm_config_marked"] == "from the cache"


def test_a_change_to_what_npm_reads_asks_npm_again(tmp_path: Path) -> None:
    project, cache, home = tmp_path / "project", tmp_path / "cache", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "probe", "version": "1.0.0"}))
    env = {**os.environ, "HOME": str(home)}
    assert "npm_config_fund" not in npm_environment(project, env, cache=cache).variables
    (home / ".npmrc").write_text("fund=false\n")  # the user's configuration
    assert npm_environment(project, env, cache=cache).variables["npm_config_fund"] == ""
    (project / ".npmrc").write_text("save-exact=true\n")  # the project's
    found = npm_environment(project, env, cache=cache).variables
    assert (found["npm_config_fund"], found["npm_config_save_exact"]) == ("", "true")
    env["npm_config_save_exact"] = "false"  # the environment, over the project's
    assert npm_environment(project, env, cache=cache).variables["npm_config_save_exact"] == "false"
    assert len(list(cache.iterdir())) == 4
