"""The git calls, against real repositories in tmp_path."""

from __future__ import annotations

import pytest

from cigen.adapters import git
from cigen.errors import InputError
from testing.gitrepos import Repo


@pytest.fixture
def repo(tmp_path) -> Repo:
    r = Repo.init(tmp_path / "repo")
    r.write("a/one.txt").write("b/two.txt").write("README.md").commit("base")
    return r


def test_a_rename_is_reported_with_both_paths(repo):
    base = repo.sha()
    repo.git("mv", "a/one.txt", "b/one.txt")
    repo.commit("move")
    assert git.diff(repo.path, base, repo.sha()) == [git.FileChange("R", "b/one.txt", "a/one.txt")]


def test_a_deletion_and_an_addition_are_reported(repo):
    base = repo.sha()
    (repo.path / "b/two.txt").unlink()
    repo.write("c/new.txt", "something else entirely\n").commit("delete and add")
    assert git.diff(repo.path, base, "HEAD") == [git.FileChange("D", "b/two.txt"), git.FileChange("A", "c/new.txt")]


def test_names_with_spaces_quotes_newlines_and_unicode_come_back_verbatim(repo):
    base = repo.sha()
    names = ["a/with space.txt", 'a/quote".txt', "a/ünïcødé/文件.txt", "a/new\nline.txt"]
    for name in names:
        repo.write(name)
    repo.commit("odd names")
    assert sorted(c.path for c in git.diff(repo.path, base, "HEAD")) == sorted(names)


def test_the_merge_base_ignores_what_the_base_branch_did_after_the_branch_point(repo):
    fork = repo.sha()
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a/feature.txt").commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write("b/main-later.txt").commit("main moves on")
    assert git.merge_base(repo.path, "main", "feature") == fork
    changed = [c.path for c in git.diff(repo.path, git.merge_base(repo.path, "main", "feature"), "feature")]
    assert changed == ["a/feature.txt"]


def test_after_merging_the_base_into_the_branch_only_the_branch_own_changes_remain(repo):
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a/feature.txt").commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write("b/main-later.txt").commit("main moves on")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-edit", "main")
    mb = git.merge_base(repo.path, "main", "feature")
    assert mb == repo.sha("main")
    assert [c.path for c in git.diff(repo.path, mb, "feature")] == ["a/feature.txt"]


def test_unrelated_histories_have_no_merge_base(repo):
    repo.git("checkout", "-q", "--orphan", "other")
    repo.write("z.txt").commit("unrelated root")
    assert git.merge_base(repo.path, "main", "other") is None


def test_resolve_names_commits_and_rejects_unknown_or_option_like_refs(repo):
    assert git.resolve(repo.path, "main") == repo.sha()
    assert git.resolve(repo.path, "no-such-branch") is None
    assert git.resolve(repo.path, "--help") is None


def test_toplevel_gives_the_repository_and_the_root_prefix_inside_it(repo):
    top, prefix = git.toplevel(repo.path / "a")
    assert top == repo.path.resolve() and prefix == "a/"


def test_a_folder_outside_any_repository_is_an_input_error(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="not inside a git repository"):
        git.toplevel(tmp_path / "plain")


def test_working_tree_diff_and_untracked_files(repo):
    repo.write("a/one.txt", "edited\n").write("new/untracked.txt").write(".gitignore", "ignored/\n").write("ignored/x")
    assert git.diff(repo.path, "HEAD", None) == [git.FileChange("M", "a/one.txt")]
    assert sorted(git.untracked(repo.path)) == [".gitignore", "new/untracked.txt"]


def test_show_reads_a_file_at_a_revision_or_none_when_absent(repo):
    first = repo.sha()
    repo.write("a/one.txt", "second\n").commit()
    assert git.show(repo.path, first, "a/one.txt") == "x\n"
    assert git.show(repo.path, first, "missing.txt") is None


def _long_history(tmp_path, commits_after_fork: int) -> Repo:
    origin = Repo.init(tmp_path / "origin")
    origin.write("base.txt").commit("root")
    for i in range(5):
        origin.write(f"old/{i}.txt").commit(f"old {i}")
    origin.git("checkout", "-q", "-b", "feature")
    for i in range(commits_after_fork):
        origin.write(f"feature/{i}.txt").commit(f"feature {i}")
    origin.git("checkout", "-q", "main")
    origin.write("main-later.txt").commit("main moves on")
    return origin


def test_a_shallow_clone_is_deepened_until_the_merge_base_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(git, "DEEPEN_STEPS", (8, 8, 8, 8))  # the fork is 21 commits down, the root 26
    origin = _long_history(tmp_path, commits_after_fork=20)
    clone = Repo.clone(origin, tmp_path / "clone", "--depth", "1", "--branch", "feature")
    git.fetch(clone.path, "+refs/heads/main:refs/remotes/origin/main", depth=1)
    assert git.merge_base(clone.path, "origin/main", "HEAD") is None
    head = clone.sha()
    found = git.find_merge_base(clone.path, "origin/main", head, ("+refs/heads/main:refs/remotes/origin/main", head))
    assert found == origin.sha("main~1")
    assert git.is_shallow(clone.path)  # deepened by a bounded step, not unshallowed


def test_deepening_stops_after_the_bounded_steps(tmp_path, monkeypatch):
    origin = _long_history(tmp_path, commits_after_fork=12)
    clone = Repo.clone(origin, tmp_path / "clone", "--depth", "1", "--branch", "feature")
    git.fetch(clone.path, "+refs/heads/main:refs/remotes/origin/main", depth=1)
    monkeypatch.setattr(git, "DEEPEN_STEPS", (2, 3))
    head = clone.sha()
    assert git.find_merge_base(clone.path, "origin/main", head, ("+refs/heads/main:refs/remotes/origin/main", head)) is None
    assert git.is_shallow(clone.path)


def test_a_detached_head_is_deepened_by_its_commit_id(tmp_path):
    origin = _long_history(tmp_path, commits_after_fork=8)
    feature = origin.sha("feature")
    clone = Repo.clone(origin, tmp_path / "clone", "--depth", "1", "--branch", "main")
    git.fetch(clone.path, feature, depth=1)
    clone.git("checkout", "-q", "--detach", feature)
    found = git.find_merge_base(clone.path, "origin/main", feature, ("+refs/heads/main:refs/remotes/origin/main", feature))
    assert found == origin.sha("main~1")
