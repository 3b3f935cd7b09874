"""The matrix entries the plan job hands each leg: what it runs, builds, installs, packs and downloads."""

from __future__ import annotations

import json

from cigen.plan.legs import Leg
from cigen.plan.toolchains import Toolchain
from cigen.render.leg_matrix import artifact_names, leg_entries, pattern

NPM = Toolchain(key="npm", manager="npm", root=".", lockfile="package-lock.json")
PIP = Toolchain(key="pip", manager="pip", root=None, lockfile=None)
# core <- lib <- app, and tool alone; app is the only Python service.
NEEDS = {"core": (), "lib": ("core",), "app": ("lib",), "tool": ()}
TOOLCHAINS = {"core": NPM, "lib": NPM, "app": PIP, "tool": NPM}
LEGS = {
    "stage-1": (Leg("stage-1-1", ("core", "lib"), 20.0), Leg("stage-1-2", ("tool",), 5.0)),
    "stage-3": (Leg("stage-3-1", ("app",), 9.0),),
}


def entries() -> dict[str, list[dict[str, object]]]:
    return leg_entries(LEGS, build_only=["core"], names={"core": "@x/core", "lib": "@x/lib"},
                       toolchains=TOOLCHAINS, artifacts=artifact_names(NEEDS), dependencies=NEEDS)


def test_an_entry_says_what_its_leg_runs_and_what_it_only_builds() -> None:
    first = entries()["stage-1"][0]
    assert first == {
        "name": "@x/core +1",
        "id": "stage-1-1",
        "artifact": "cigen-leg-stage-1-1",
        "run": ["lib"],
        "build": ["core"],
        "toolchains": " npm ",
        "folders": [],
        "outputs": [["cigen-core", "core"], ["cigen-lib", "lib"]],
        "download": "",  # its dependencies are inside it
    }
    assert entries()["stage-1"][1]["name"] == "tool"  # no name: the folder


def test_a_leg_downloads_the_legs_of_its_dependencies_all_the_way_down_and_no_others() -> None:
    app = entries()["stage-3"][0]
    assert app["download"] == "cigen-leg-stage-1-1"  # lib directly, core through lib; not tool's leg
    assert app["toolchains"] == " pip " and app["folders"] == [["pip", "app"]]  # pip installs in its folder


def test_a_head_start_leg_builds_what_it_needs_itself_and_downloads_and_packs_only_its_own() -> None:
    """app's leg of the head-start job builds core and lib (which stage-1's leg runs) instead of waiting."""
    legs = {**LEGS, "stage-0": (Leg("stage-0-1", ("app",), 29.0, ("core", "lib")),)}
    del legs["stage-3"]
    [head] = leg_entries(legs, build_only=[], names={}, toolchains=TOOLCHAINS, artifacts=artifact_names(NEEDS),
                         dependencies=NEEDS)["stage-0"]
    assert (head["run"], head["build"]) == (["app"], ["core", "lib"])
    assert head["download"] == ""  # not stage-1-1's artifact: nothing waits for that leg
    assert head["outputs"] == [["cigen-app", "app"]]  # core's and lib's are stage-1-1's to pack
    assert head["toolchains"] == " npm pip "  # what its builds need is set up too
    assert head["folders"] == [["pip", "app"]]


def test_several_legs_to_download_make_one_pattern() -> None:
    assert pattern(["cigen-leg-stage-1-1", "cigen-leg-stage-1-2"]) == "{cigen-leg-stage-1-1,cigen-leg-stage-1-2}"
    assert pattern([]) == ""


def test_entries_are_json() -> None:
    assert json.loads(json.dumps(entries())) == entries()


def test_artifact_names_are_readable_and_safe() -> None:
    assert artifact_names(["packages/core", ".", "apps/my app (v2)"]) == {
        "packages/core": "cigen-packages-core",
        ".": "cigen-root",
        "apps/my app (v2)": "cigen-apps-my-app-v2",
    }


def test_artifact_names_that_would_collide_get_a_hash_of_their_path() -> None:
    names = artifact_names(["a/b", "a-b", "c"])
    assert names["c"] == "cigen-c"
    assert names["a/b"] != names["a-b"]
    assert names["a/b"].startswith("cigen-a-b-") and names["a-b"].startswith("cigen-a-b-")


# --- a stage larger than a matrix ---------------------------------------------------------------
