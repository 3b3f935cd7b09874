"""``cigen affected`` end to end, on real git repositories."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cigen.adapters import git
from testing.cli import run_cigen, run_cigen_process
from testing.gitrepos import Repo

# core <- util <- api <- web; core <- worker; core <- "späce svc"; ui, ui/icons (nested) alone.
PNPM_LOCK = """\
lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .: {}

  apps/web:
    dependencies:
      api:
        specifier: workspace:*
        version: link:../../services/api

  packages/core:
    dependencies:
      left-pad:
        specifier: ^1.0.0
        version: 1.0.0

  packages/util:
    dependencies:
      core:
        specifier: workspace:*
        version: link:../core
      ms:
        specifier: ^2.0.0
        version: 2.1.2

packages:

  left-pad@1.0.0:
    resolution: {integrity: sha512-leftpad}

  ms@2.1.2:
    resolution: {integrity: sha512-ms212}

  ms@2.1.3:
    resolution: {integrity: sha512-ms213}

snapshots:

  left-pad@1.0.0: {}

  ms@2.1.2: {}

  ms@2.1.3: {}
"""


def build_monorepo(path: Path) -> Repo:
    repo = Repo.init(path)
    repo.write("package.json", json.dumps({"name": "mono", "private": True}) + "\n")
    repo.write("pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n  - 'packages/ui/*'\n  - 'services/*'\n  - 'apps/*'\n")
    repo.write("pnpm-lock.yaml", PNPM_LOCK)
    repo.write("README.md", "# mono\n")
    repo.package("packages/core", "core", {"left-pad": "^1.0.0"})
    repo.package("packages/util", "util", {"core": "workspace:*", "ms": "^2.0.0"})
    repo.package("services/api", "api", {"util": "workspace:*"})
    repo.package("apps/web", "web", {"api": "workspace:*"})
    repo.package("services/worker", "worker", {"core": "workspace:*"})
    repo.package("services/späce svc", "späce svc", {"core": "workspace:*"})
    repo.package("packages/ui", "ui")
    repo.package("packages/ui/icons", "icons")
    for folder in ("packages/core", "packages/util", "services/api", "apps/web", "services/worker",
                   "services/späce svc", "packages/ui", "packages/ui/icons"):
        repo.write(f"{folder}/index.js", f"// {folder}\n")
    repo.commit("monorepo")
    return repo


@pytest.fixture
def mono(tmp_path, monkeypatch) -> Repo:
    for var in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(var, raising=False)
    repo = build_monorepo(tmp_path / "mono")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def run(repo: Repo, *args: str, stdin: str = "") -> tuple[int, str, str]:
    done = run_cigen("affected", "-C", str(repo.path), *args, stdin=stdin)
    return done.exit_code, done.stdout, done.stderr


def affected_json(repo: Repo, *args: str) -> dict:
    code, out, err = run(repo, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_json_has_the_documented_shape_and_the_changed_services_dependents(mono):
    mono.write("packages/util/index.js", "// edited\n").commit()
    doc = affected_json(mono, "--base", "main", "--head", "feature")
    assert list(doc) == ["base", "head", "merge_base", "changed_files", "changed", "affected", "reasons", "all"]
    assert doc["base"] == "main" and doc["head"] == "feature" and doc["merge_base"] == mono.sha("main")
    assert doc["changed_files"] == ["packages/util/index.js"]
    assert doc["changed"] == ["util"]
    assert doc["affected"] == ["api", "util", "web"]
    assert doc["reasons"]["web"] == "packages/util/index.js -> util -> api -> web"
    assert doc["all"] is False


def test_work_the_base_branch_did_after_the_branch_point_does_not_count(mono):
    mono.write("services/worker/index.js", "// feature\n").commit()
    mono.git("checkout", "-q", "main")
    mono.write("packages/core/index.js", "// main moved on\n").commit("main moves on")
    mono.git("checkout", "-q", "feature")
    doc = affected_json(mono, "--base", "main")
    assert doc["affected"] == ["worker"]
    assert doc["head"] == "HEAD"


def test_a_merge_of_the_base_into_the_branch_leaves_only_the_branch_changes(mono):
    mono.write("services/worker/index.js", "// feature\n").commit()
    mono.git("checkout", "-q", "main")
    mono.write("packages/ui/index.js", "// main moved on\n").commit("main moves on")
    mono.git("checkout", "-q", "feature")
    mono.git("merge", "-q", "--no-edit", "main")
    assert affected_json(mono, "--base", "main")["affected"] == ["worker"]


def test_a_rename_between_members_changes_both(mono):
    mono.git("mv", "services/worker/index.js", "packages/ui/worker.js")
    mono.commit("move")
    doc = affected_json(mono, "--base", "main")
    assert doc["changed_files"] == ["packages/ui/worker.js", "services/worker/index.js"]
    assert doc["changed"] == ["ui", "worker"]


def test_a_deleted_file_changes_its_member(mono):
    (mono.path / "apps/web/index.js").unlink()
    mono.commit("delete")
    assert affected_json(mono, "--base", "main")["changed"] == ["web"]


def test_the_deepest_member_owns_a_nested_file(mono):
    mono.write("packages/ui/icons/star.svg", "<svg/>").commit()
    assert affected_json(mono, "--base", "main")["affected"] == ["icons"]


def test_names_and_paths_with_spaces_and_unicode(mono):
    mono.write("services/späce svc/ünï côde.js", "x").commit()
    doc = affected_json(mono, "--base", "main")
    assert doc["changed_files"] == ["services/späce svc/ünï côde.js"]
    assert doc["affected"] == ["späce svc"]


def test_a_global_file_makes_everything_affected_with_the_reason(mono):
    mono.write("cigen.yaml", "plan:\n  mode: auto\n").commit()
    code, out, err = run(mono, "--base", "main", "--format", "json")
    doc = json.loads(out)
    assert doc["all"] == "cigen.yaml changed (a global file)"
    assert len(doc["affected"]) == 8
    assert "every service is affected: cigen.yaml changed" in err


def test_the_workflow_at_its_configured_path_is_a_global_file(mono):
    mono.write("cigen.yaml", "workflow:\n  path: .github/workflows/ci.yml\n").commit("configure")
    mono.git("checkout", "-q", "-b", "edit-workflow")
    mono.write(".github/workflows/ci.yml", "on: push\n").commit()
    doc = affected_json(mono, "--base", "feature")
    assert doc["all"] == ".github/workflows/ci.yml changed (a global file)"


def test_an_ignored_file_affects_nothing_and_names_prints_nothing(mono):
    mono.write("README.md", "# better docs\n").write("docs/guide.md", "x").commit()
    code, out, err = run(mono, "--base", "main")
    assert (code, out) == (0, "")


def test_a_lockfile_change_touching_one_member_affects_it_and_its_dependents_only(mono):
    mono.write("pnpm-lock.yaml", PNPM_LOCK.replace("        version: 2.1.2", "        version: 2.1.3")).commit()
    doc = affected_json(mono, "--base", "main")
    assert doc["all"] is False
    assert doc["changed"] == ["util"]
    assert doc["affected"] == ["api", "util", "web"]
    assert doc["reasons"]["util"] == "pnpm-lock.yaml (resolved dependencies changed) -> util"


def test_a_lockfile_change_reaching_the_root_runs_everything(mono):
    mono.write("pnpm-lock.yaml", PNPM_LOCK.replace("autoInstallPeers: true", "autoInstallPeers: false")).commit()
    assert affected_json(mono, "--base", "main")["all"].startswith("pnpm-lock.yaml: settings")


def test_uncommitted_counts_staged_unstaged_and_untracked_files(mono):
    mono.write("services/api/new-file.js", "x")
    mono.write("packages/ui/index.js", "// edited\n")
    mono.write("apps/web/index.js", "// staged\n")
    mono.git("add", "apps/web/index.js")
    doc = affected_json(mono, "--uncommitted")
    assert doc["changed"] == ["api", "ui", "web"]
    assert doc["merge_base"] == mono.sha() and doc["head"] is None


def test_files_given_on_the_command_line(mono):
    doc = affected_json(mono, "--files", "services/worker/a.js", "--files", "packages/ui/icons/b.svg")
    assert doc["affected"] == ["icons", "worker"]


def test_files_read_from_stdin_nul_separated(mono):
    code, out, _ = run(mono, "--files", "-", stdin="services/worker/a b.js\0apps/web/x.js\0")
    assert (code, out) == (0, "web\nworker\n")


def test_a_listed_lockfile_cannot_be_narrowed_without_a_base(mono):
    doc = affected_json(mono, "--files", "pnpm-lock.yaml")
    assert doc["all"] == "pnpm-lock.yaml changed and there is no base revision to compare it with"


def test_direct_and_build_deps_options(mono):
    mono.write("packages/util/index.js", "// edited\n").commit()
    assert affected_json(mono, "--base", "main", "--direct")["affected"] == ["api", "util"]
    doc = affected_json(mono, "--base", "main", "--build-deps")
    assert doc["build_only"] == ["core"]
    assert doc["reasons"]["core"] == "build only, needed by util -> core"


def test_a_removed_member_affects_the_members_that_still_name_it(tmp_path, monkeypatch):
    repo = Repo.init(tmp_path / "npm")
    repo.write("package.json", json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*"]}))
    repo.package("packages/gone", "gone").package("packages/user", "user", {"gone": "^1.0.0"})
    repo.package("packages/other", "other").commit()
    repo.git("rm", "-q", "-r", "packages/gone")
    repo.commit("remove gone")
    doc = affected_json(repo, "--base", "HEAD~1")
    assert doc["affected"] == ["user"]
    assert doc["reasons"]["user"] == "packages/gone (member removed) -> user"


def test_the_output_is_byte_identical_between_runs(mono):
    mono.write("packages/core/index.js", "// edited\n").commit()
    first = run(mono, "--base", "main", "--format", "json")
    assert run(mono, "--base", "main", "--format", "json") == first


def test_markdown_prints_the_report(mono):
    mono.write("packages/core/index.js", "// edited\n").commit()
    code, out, _ = run(mono, "--base", "main", "--format", "markdown")
    assert code == 0 and out.startswith("## cigen: change impact\n")
    assert "**6 of 8 services affected**" in out and "```mermaid" in out


def _outputs(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[name] = "\n".join(body)
        else:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def github_env(monkeypatch, tmp_path: Path, event: str | None = None, payload: dict | None = None) -> tuple[Path, Path]:
    output, summary = tmp_path / "gh-output", tmp_path / "gh-summary"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    if event is not None:
        event_path = tmp_path / "event.json"
        event_path.write_text(json.dumps(payload or {}), encoding="utf-8")
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_EVENT_NAME", event)
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_path))
    return output, summary


def test_github_format_writes_each_stage_list_with_build_only_dependencies(mono, monkeypatch, tmp_path):
    mono.write("services/api/index.js", "// edited\n").commit()  # stages: core, util, api, web
    output, summary = github_env(monkeypatch, tmp_path)
    code, out, _ = run(mono, "--base", "main", "--build-deps", "--format", "github")
    assert code == 0
    values = _outputs(output)
    assert values["affected"] == '["api","web"]' and values["count"] == "2"
    assert values["any"] == "true" and values["all"] == ""
    stages = {k: json.loads(v) for k, v in values.items() if re.fullmatch(r"stage-\d+", k)}
    # Four short services one behind the other: one leg, dependencies first, builds before the affected run.
    assert {k: [(leg["build"], leg["run"]) for leg in legs] for k, legs in stages.items()} == {
        "stage-0": [],  # the head-start job: nothing here gains from starting at once
        "stage-1": [(["packages/core", "packages/util"], ["services/api", "apps/web"])],
        "stage-2": [], "stage-3": [], "stage-4": [],
    }
    assert [values[f"stage-{i}-count"] for i in range(1, 5)] == ["1", "0", "0", "0"]
    assert summary.read_text(encoding="utf-8").startswith("## cigen: change impact")
    assert out == "2 of 8 services affected; 1 of 5 jobs run\n"


def test_github_format_gives_an_empty_list_to_a_stage_with_nothing_to_run(mono, monkeypatch, tmp_path):
    mono.write("services/worker/index.js", "// edited\n").commit()
    output, _ = github_env(monkeypatch, tmp_path)
    assert run(mono, "--base", "main", "--format", "github")[0] == 0
    values = _outputs(output)
    assert (values["stage-1"], values["stage-1-count"]) == ("[]", "0")
    (leg,) = json.loads(values["stage-2"])
    assert (leg["name"], leg["run"], leg["build"]) == ("worker", ["services/worker"], [])
    assert (values["stage-4"], values["stage-4-count"]) == ("[]", "0")


def test_github_format_needs_github_output(mono):
    code, _, err = run(mono, "--base", "main", "--format", "github")
    assert code == 2 and "GITHUB_OUTPUT" in err


def test_a_pull_request_in_a_shallow_clone_fetches_the_base_and_deepens(tmp_path, monkeypatch):
    origin = build_monorepo(tmp_path / "origin")
    origin.git("checkout", "-q", "-b", "feature")
    for i in range(5):
        origin.write(f"services/worker/f{i}.js", f"{i}").commit(f"feature {i}")
    origin.git("checkout", "-q", "main")
    origin.write("packages/core/index.js", "// main moved on\n").commit("main moves on")
    clone = Repo.clone(origin, tmp_path / "clone", "--depth", "1", "--branch", "feature")
    assert git.is_shallow(clone.path) and git.resolve(clone.path, "origin/main") is None
    output, _ = github_env(monkeypatch, tmp_path, "pull_request", {"pull_request": {"base": {"ref": "main"}}})
    code, _, err = run(clone, "--format", "github")
    assert code == 0, err
    assert _outputs(output)["affected"] == '["worker"]'
    assert git.resolve(clone.path, "origin/main") == origin.sha("main")


def test_a_pull_request_checked_out_as_its_merge_commit_like_actions_checkout(tmp_path, monkeypatch):
    origin = build_monorepo(tmp_path / "origin")
    origin.git("checkout", "-q", "-b", "feature")
    origin.write("apps/web/page.js", "x").commit("feature")
    origin.git("checkout", "-q", "main")
    origin.write("packages/ui/index.js", "// main moved on\n").commit("main moves on")
    # GitHub's refs/pull/N/merge: the pull request merged into its base's tip.
    origin.git("checkout", "-q", "--detach", "main")
    origin.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    origin.git("update-ref", "refs/pull/1/merge", "HEAD")
    origin.git("checkout", "-q", "main")
    # actions/checkout with the default fetch-depth 1: only the merge commit, detached.
    clone = Repo.init(tmp_path / "clone")
    clone.git("remote", "add", "origin", f"file://{origin.path}")
    clone.git("fetch", "-q", "--no-tags", "--depth=1", "origin", "+refs/pull/1/merge:refs/remotes/pull/1/merge")
    clone.git("checkout", "-q", "--detach", "refs/remotes/pull/1/merge")
    output, _ = github_env(monkeypatch, tmp_path, "pull_request", {"pull_request": {"base": {"ref": "main"}}})
    code, _, err = run(clone, "--format", "github")
    assert code == 0, err
    assert _outputs(output)["affected"] == '["web"]'


def test_a_shallow_clone_whose_merge_base_stays_out_of_reach_runs_everything_with_a_warning(
    tmp_path, monkeypatch
):
    origin = build_monorepo(tmp_path / "origin")
    origin.git("checkout", "-q", "-b", "feature")
    for i in range(6):
        origin.write(f"services/worker/f{i}.js", f"{i}").commit(f"feature {i}")
    clone = Repo.clone(origin, tmp_path / "clone", "--depth", "1", "--branch", "feature")
    monkeypatch.setattr(git, "DEEPEN_STEPS", (1, 1))
    output, _ = github_env(monkeypatch, tmp_path, "pull_request", {"pull_request": {"base": {"ref": "main"}}})
    code, _, err = run(clone, "--format", "github")
    assert code == 0
    values = _outputs(output)
    assert values["count"] == "8" and "shallow clone" in values["all"]
    assert "warning: no merge-base" in err


def test_a_push_compares_with_before(mono, monkeypatch, tmp_path):
    before = mono.sha()
    mono.write("services/worker/index.js", "// pushed\n").commit()
    output, _ = github_env(monkeypatch, tmp_path, "push", {"before": before, "after": mono.sha()})
    assert run(mono, "--format", "github")[0] == 0
    assert _outputs(output)["affected"] == '["worker"]'


def test_a_merge_group_compares_with_its_base_commit(mono, monkeypatch, tmp_path):
    base = mono.sha()
    mono.write("packages/ui/index.js", "// queued\n").commit()
    output, _ = github_env(monkeypatch, tmp_path, "merge_group", {"merge_group": {"base_sha": base, "head_sha": mono.sha()}})
    assert run(mono, "--format", "github")[0] == 0
    assert _outputs(output)["affected"] == '["ui"]'


@pytest.mark.parametrize(("event", "payload", "why"), [
    ("push", {"before": "0" * 40}, "creates a branch"),
    ("workflow_dispatch", {}, "workflow_dispatch"),
    ("schedule", {}, "scheduled"),
])
def test_events_without_a_base_run_everything_with_the_reason(mono, monkeypatch, tmp_path, event, payload, why):
    output, _ = github_env(monkeypatch, tmp_path, event, payload)
    assert run(mono, "--format", "github")[0] == 0
    values = _outputs(output)
    assert values["count"] == "8" and why in values["all"]


def test_a_push_whose_before_cannot_be_fetched_runs_everything(mono, monkeypatch, tmp_path):
    output, _ = github_env(monkeypatch, tmp_path, "push", {"before": "1" * 40})
    code, _, err = run(mono, "--format", "github")
    assert code == 0 and "could not be fetched" in _outputs(output)["all"]


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "no-such-branch"], "unknown revision 'no-such-branch' (--base)"),
    (["--base", "main", "--uncommitted"], "give only one of --base, --uncommitted and --files"),
    (["--head", "main"], "--head needs --base"),
    ([], "no change given"),
])
def test_bad_requests_exit_2_with_one_clear_line(mono, args, message):
    code, out, err = run(mono, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_monorepo_in_a_subfolder_of_the_repository_sees_paths_relative_to_its_root(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    repo = build_monorepo(tmp_path / "outer" / "js")
    outer = Repo(tmp_path / "outer")
    (repo.path / ".git").rename(outer.path / ".git")  # the repository is now the outer folder
    outer.commit("move the monorepo into js/")
    outer.write("js/services/worker/index.js", "// edited\n").write("tools/other.sh", "x").commit()
    doc = affected_json(Repo(outer.path / "js"), "--base", "HEAD~1")
    assert doc["changed_files"] == ["../tools/other.sh", "services/worker/index.js"]
    assert doc["affected"] == ["worker"]


def test_markdown_reports_a_cycle_instead_of_stages(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    repo = Repo.init(tmp_path / "cyclic")
    repo.write("package.json", json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*"]}))
    repo.package("packages/a", "a", {"b": "*"}).package("packages/b", "b", {"a": "*"}).commit()
    repo.write("packages/a/x.js").commit()
    code, out, _ = run(repo, "--base", "HEAD~1", "--format", "markdown")
    assert code == 0 and "**2 of 2 services affected**" in out
    assert "No stages:" in out and "### Stages" not in out


def test_a_full_step_summary_only_costs_the_report_not_the_outputs(mono, monkeypatch, tmp_path):
    mono.write("services/worker/index.js", "// edited\n").commit()
    output, summary = github_env(monkeypatch, tmp_path)
    summary.write_bytes(b"x" * (1024 * 1024 - 10))
    code, _, err = run(mono, "--base", "main", "--format", "github")
    assert code == 0 and _outputs(output)["affected"] == '["worker"]'
    assert "warning: no step summary written" in err
    assert summary.stat().st_size == 1024 * 1024 - 10


def test_uncommitted_in_a_repository_without_commits_lists_every_file(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    repo = Repo.init(tmp_path / "fresh")
    repo.write("package.json", json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*"]}))
    repo.package("packages/a", "a")
    doc = affected_json(repo, "--uncommitted")
    assert doc["all"] == "package.json changed (a global file)" and doc["merge_base"] is None


def test_only_the_markdown_report_imports_its_template_engine(mono):
    """jinja2 is ~30 ms of start-up that the names, json and github formats never use."""
    args = ("affected", "-C", str(mono.path), "--files", "packages/core/index.js")
    imported = {}
    for fmt in ("json", "markdown"):
        done = run_cigen_process(*args, "--format", fmt, cwd=mono.path, python_flags=("-X", "importtime"))
        assert done.exit_code == 0, done.stderr
        imported[fmt] = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "jinja2" not in imported["json"] and "jinja2" in imported["markdown"]
