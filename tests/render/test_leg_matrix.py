"""The matrix entries the plan job hands each leg: what it runs, builds, runs again, installs and downloads."""

from __future__ import annotations

import json

import pytest

from cigen.plan.legs import Leg
from cigen.plan.toolchains import Toolchain
from cigen.render.leg_matrix import artifact_name, leg_entries, pattern
from testing.minimatch import matching, npm_minimatch

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
                       toolchains=TOOLCHAINS, dependencies=NEEDS)


def test_an_entry_says_what_its_leg_runs_and_what_it_only_builds() -> None:
    first = entries()["stage-1"][0]
    assert first == {
        "name": "@x/core +1",
        "id": "stage-1-1",
        "artifact": "cigen-leg-stage-1-1",
        "run": ["lib"],
        "build": ["core"],
        "again": [],
        "toolchains": " npm ",
        "folders": [],
        "download": "",  # its dependencies are inside it
    }
    assert entries()["stage-1"][1]["name"] == "tool"  # no name: the folder


def test_a_leg_downloads_the_legs_of_its_dependencies_all_the_way_down_and_no_others() -> None:
    app = entries()["stage-3"][0]
    assert app["download"] == "cigen-leg-stage-1-1"  # lib directly, core through lib; not tool's leg
    assert app["toolchains"] == " pip " and app["folders"] == [["pip", "app"]]  # pip installs in its folder


def test_a_head_start_leg_runs_what_it_needs_itself_and_downloads_nothing_of_it() -> None:
    """app's leg of the head-start job runs core and lib (which stage-1's leg runs too) instead of waiting."""
    legs = {**LEGS, "stage-0": (Leg("stage-0-1", ("app",), 29.0, ("core", "lib")),)}
    del legs["stage-3"]
    [head] = leg_entries(legs, build_only=[], names={}, toolchains=TOOLCHAINS, dependencies=NEEDS)["stage-0"]
    assert (head["run"], head["build"], head["again"]) == (["core", "lib", "app"], [], ["core", "lib"])
    assert head["download"] == ""  # not stage-1-1's artifact: nothing waits for that leg
    assert head["toolchains"] == " npm pip "  # what core and lib need is set up too
    assert head["folders"] == [["pip", "app"]]
    # In a pull request that leaves core alone, it is only built there, as in its own leg.
    [head] = leg_entries(legs, build_only=["core"], names={}, toolchains=TOOLCHAINS, dependencies=NEEDS)["stage-0"]
    assert (head["run"], head["build"], head["again"]) == (["lib", "app"], ["core"], ["core", "lib"])


def test_several_legs_to_download_make_one_pattern_that_grows_with_the_jobs() -> None:
    jobs = {"stage-1": 2, "stage-2": 12, "stage-10": 3}
    assert pattern(["stage-1-2"], jobs) == "cigen-leg-stage-1-2"
    assert pattern(["stage-1-1", "stage-1-2"], jobs) == "cigen-leg-stage-1-*"  # all of its legs
    assert pattern(["stage-2-12", "stage-2-3", "stage-1-2"], jobs) == (
        "{cigen-leg-stage-1-2,cigen-leg-stage-2-{3,12}}")
    assert pattern([], jobs) == ""


@pytest.mark.skipif(npm_minimatch() is None, reason="needs npm, which bundles minimatch")
def test_minimatch_reads_the_pattern_as_exactly_the_legs_wanted() -> None:
    """What download-artifact does with it: no other leg, no timings artifact, stage-1 is not stage-10."""
    jobs = {"stage-1": 3, "stage-10": 2, "stage-2-part-1": 12, "stage-2-part-2": 2}
    legs = [f"{job}-{n}" for job, count in jobs.items() for n in range(1, count + 1)]
    names = [f"cigen-leg-{leg}" for leg in legs] + [f"cigen-timings-{leg}" for leg in legs]
    for wanted in (["stage-1-1", "stage-1-2", "stage-1-3"], ["stage-1-2", "stage-2-part-1-11", "stage-2-part-1-1"],
                   ["stage-10-2", "stage-2-part-2-1", "stage-2-part-2-2", "stage-1-3"], ["stage-2-part-1-12"]):
        assert matching(pattern(wanted, jobs), names) == sorted(f"cigen-leg-{leg}" for leg in wanted), wanted


def test_entries_are_json() -> None:
    assert json.loads(json.dumps(entries())) == entries()


def test_artifact_names_are_readable_and_safe_and_distinct_from_the_path_alone() -> None:
    assert artifact_name("packages/core").startswith("cigen-packages-core-")
    assert artifact_name(".").startswith("cigen-root-")
    assert artifact_name("apps/my app (v2)").startswith("cigen-apps-my-app-v2-")
    assert artifact_name("a/b") != artifact_name("a-b")  # one slug, two paths
    assert artifact_name("packages/core") == artifact_name("packages/core")
    assert len(artifact_name("x" * 300)) < 100


# --- a stage larger than a matrix ---------------------------------------------------------------
