"""Selecting members with Turborepo's filter syntax."""

from __future__ import annotations

import pytest

from cigen.errors import InputError
from cigen.graph.graph import build_graph
from cigen.graph.select import select
from testing.workspace_builder import workspace

# web -> ui -> utils, api -> db -> utils, admin -> ui; docs alone; tools/gen unnamed.
G = build_graph(workspace({
    "apps/web:@acme/web": ["@acme/ui", "@acme/utils"],
    "apps/admin:@acme/admin": ["@acme/ui"],
    "services/api:api": ["@acme/db"],
    "packages/ui:@acme/ui": ["@acme/utils"],
    "packages/db:@acme/db": ["@acme/utils"],
    "packages/utils:@acme/utils": [],
    "packages/nested/docs:docs": [],
    "tools/gen:": [],
}))
ALL = set(G)


def sel(*patterns: str) -> set[str]:
    return select(G, patterns)


def test_a_name_selects_that_member() -> None:
    assert sel("api") == {"services/api"}


def test_a_name_glob_matches_scoped_names() -> None:
    assert sel("@acme/u*") == {"packages/ui", "packages/utils"}
    assert sel("@acme/*") == ALL - {"services/api", "packages/nested/docs", "tools/gen"}


def test_a_path_glob_star_stays_inside_one_folder() -> None:
    assert sel("./apps/*") == {"apps/web", "apps/admin"}
    assert sel("./packages/*") == {"packages/ui", "packages/db", "packages/utils"}


def test_a_path_glob_double_star_crosses_folders() -> None:
    assert sel("./packages/**") == {"packages/ui", "packages/db", "packages/utils", "packages/nested/docs"}


def test_a_path_without_dot_slash_is_a_path_when_it_holds_a_slash_outside_a_scope() -> None:
    assert sel("services/api") == {"services/api"}
    assert sel("apps/*") == {"apps/web", "apps/admin"}


def test_an_unnamed_member_is_selected_by_its_path() -> None:
    assert sel("./tools/gen") == {"tools/gen"}


def test_braces_mark_a_path_and_combine_with_a_name_glob() -> None:
    assert sel("{./apps/*}") == {"apps/web", "apps/admin"}
    assert sel("@acme/w*{./apps/*}") == {"apps/web"}


def test_three_dots_before_add_the_transitive_dependents() -> None:
    assert sel("...@acme/ui") == {"packages/ui", "apps/web", "apps/admin"}
    assert sel("...@acme/utils") == ALL - {"packages/nested/docs", "tools/gen"}


def test_three_dots_after_add_the_transitive_dependencies() -> None:
    assert sel("api...") == {"services/api", "packages/db", "packages/utils"}


def test_three_dots_on_both_sides_add_dependents_and_everything_they_depend_on() -> None:
    assert sel("...@acme/ui...") == {"packages/ui", "apps/web", "apps/admin", "packages/utils"}


def test_a_caret_leaves_out_the_member_itself() -> None:
    assert sel("...^@acme/ui") == {"apps/web", "apps/admin"}
    assert sel("api^...") == {"packages/db", "packages/utils"}


def test_patterns_add_up() -> None:
    assert sel("api", "docs") == {"services/api", "packages/nested/docs"}


def test_an_exclamation_mark_removes_what_its_pattern_selects() -> None:
    assert sel("...@acme/utils", "!./apps/*") == {"packages/ui", "packages/db", "packages/utils", "services/api"}


def test_exclusions_alone_start_from_every_member() -> None:
    assert sel("!api", "!./apps/*") == ALL - {"services/api", "apps/web", "apps/admin"}


def test_exclusions_apply_after_every_inclusion_whatever_the_order() -> None:
    assert sel("!api", "api...") == {"packages/db", "packages/utils"}


def test_duplicate_names_select_every_member_with_the_name() -> None:
    g = build_graph(workspace({"a/x:dup": [], "b/x:dup": [], "c:other": []}))
    assert select(g, ["dup"]) == {"a/x", "b/x"}


def test_a_pattern_matching_nothing_is_an_error_naming_it_with_close_names() -> None:
    with pytest.raises(InputError) as err:
        sel("@acme/uttils")
    assert str(err.value) == "selection '@acme/uttils' matches no member (did you mean @acme/utils or @acme/ui?)"


def test_a_path_pattern_matching_nothing_suggests_paths() -> None:
    with pytest.raises(InputError, match=r"did you mean services/api\?"):
        sel("./service/api")


def test_a_pattern_with_no_close_name_points_at_the_member_list() -> None:
    with pytest.raises(InputError, match=r"selection '\.\.\.zzz' matches no member \(`cigen graph"):
        sel("...zzz")


def test_an_exclusion_matching_nothing_is_an_error_too() -> None:
    with pytest.raises(InputError, match=r"selection '!nope' matches no member"):
        sel("api", "!nope")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("[main]", "git ranges are not supported here"),
        ("api...[HEAD^1]", "git ranges are not supported here"),
        ("^api", r"\^ goes with \.\.\."),
        ("api^", r"\^ goes with \.\.\."),
        ("...", "nothing to match"),
        ("!", "nothing to match"),
        ("{}", r"empty \{\}"),
        ("../elsewhere/*", "the path leaves the workspace root"),
    ],
)
def test_malformed_patterns_are_bad_input(pattern: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        sel(pattern)


def test_the_root_is_selected_by_dot_when_the_graph_holds_it() -> None:
    g = build_graph(workspace({"a": []}, root=True), include_root=True)
    assert select(g, ["."]) == {"."}
    assert select(g, ["./"]) == {"."}


@pytest.mark.parametrize("glob", ["packages/[du]*", "packages/[!u]*", "packages/?b", "packages/**/docs", "*/ui"])
def test_a_path_glob_selects_the_members_whose_folder_affected_ignore_reads_it_as(glob: str) -> None:
    # --select './glob' and affected.ignore: [glob] read the same glob: they match the same paths.
    from cigen.impact.affected import Rules

    ignored = {p for p in ALL if Rules(ignore=(glob,)).ignored(p)}
    assert ignored, glob
    assert sel("./" + glob) == ignored


def test_a_bracket_in_a_path_glob_is_a_character_class_not_a_git_range() -> None:
    assert sel("./packages/[du]*") == {"packages/db", "packages/ui", "packages/utils"}
    assert sel("{./packages/[u]i}") == {"packages/ui"}
    with pytest.raises(InputError, match="git ranges"):
        sel("{./packages/*}[main]")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("@acme/utils^...", "selection '@acme/utils^...' selects nothing: @acme/utils depends on no other member "
                            "(did you mean ...^@acme/utils, what depends on it?)"),
        ("docs^...", "selection 'docs^...' selects nothing: docs depends on no other member (did you mean docs?)"),
        ("...^@acme/web", "selection '...^@acme/web' selects nothing: no other member depends on @acme/web "
                          "(did you mean @acme/web^..., what it depends on?)"),
        ("...^docs...", "selection '...^docs...' selects nothing: nothing depends on docs and it depends on nothing "
                        "(did you mean docs?)"),
        ("@acme/u*^...", "selection '@acme/u*^...' selects nothing: @acme/ui, @acme/utils depend on no member besides "
                         "themselves (did you mean ...^@acme/u*, what depends on them?)"),
    ],
)
def test_a_caret_pattern_that_leaves_nothing_says_so_instead_of_planning_nothing(pattern: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        sel(pattern)
    assert str(err.value) == message


def test_exclusions_that_leave_nothing_are_an_error() -> None:
    with pytest.raises(InputError) as err:
        sel("api", "!api")
    assert str(err.value) == ("the selection 'api' '!api' selects nothing: its ! patterns exclude every member it "
                              "selects (drop or narrow a ! pattern)")
