"""cigen's semver answers exactly as npm's node-semver does, in the loose mode package managers use.

The reference is the real node-semver in tools/node/node_modules/semver (pulled
in by the pinned tools), run once with node over a table of hand-picked and
generated ranges and versions.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from cigen.discovery.semver import max_satisfying, parse_range, parse_version, satisfies
from testing.paths import REPO_ROOT

NODE_SEMVER = REPO_ROOT / "tools" / "node" / "node_modules" / "semver"

HAND_PICKED_RANGES = [
    "*", "", "x", "X", "1", "1.x", "1.2", "1.2.x", "1.2.3", "=1.2.3", "v1.2.3", "^1.2.3", "^0.2.3", "^0.0.3",
    "^1.2", "^0.0", "^0", "^1.x", "~1.2.3", "~1.2", "~1", "~0.2.3", "~>1.2", ">1.2.3", ">=1.2.3", "<1.2.3",
    "<=1.2.3", ">=1.2.3 <2.0.0", "1.2.3 - 2.3.4", "1.2 - 2.3", "1 - 2", "1.2.3 - 2", "^1.2.3 || ^2.0.0",
    "<1.0.0 || >=2.0.0", ">=1.0.0-beta.0", "^1.2.3-beta.2", "~1.2.3-beta.2", "1.2.3-beta.2",
    ">=1.2.3-alpha <1.2.4", "^1.0.0-0", ">=0.0.0", ">=0.0.0-0", "<2", "<2.0.0-0", ">1", ">=1", "<=1.2",
    "~ 1.2.3", ">= 1.2.3", "^ 1.2.3", "  ^1.2.3  ", "1.2.3+build", "^1.2.3+build", "latest", "next", "foo",
    "1.2.3.4", "01.2.3", ">=1.2.3 || <1.0.0-beta", "^0.0.0", "~0", "0.x", "^0.1", "1.2.7 || >=1.2.9 <2.0.0",
    "=1", ">=01.02.03", "~1.2.3 || 3.x", "<=1.2.3-rc.1", ">1.2.3-rc.1", "*.*.*", "x.x.x", "1.*", "1.2.*",
    "^*", "~*", ">*", "<*", ">=*", ">=0 || <=0.0.3-beta", "99999999999999999.0.0", "^1.0.0 foo",
]
HAND_PICKED_VERSIONS = [
    "0.0.0", "0.0.3", "0.0.4", "0.1.0", "0.2.3", "0.2.9", "0.3.0", "1.0.0", "1.0.0-beta.1", "1.2.2", "1.2.3",
    "1.2.3-beta.2", "1.2.3-beta.10", "1.2.3-alpha", "1.2.4-beta.0", "1.2.4", "1.3.0", "1.9.9", "2.0.0",
    "2.0.0-rc.1", "2.3.4", "2.3.5", "3.0.0", "3.1.0-0", "v1.2.3", "=1.2.3", "1.2.3+build.5", "01.2.3",
    "0.0.3-alpha.beta", "1.0", "banana",
]


def _generated(seed: int) -> tuple[list[str], list[str]]:
    """Ranges and versions mixing every operator, x-ranges, hyphens, unions and prereleases."""
    rng = random.Random(seed)

    def version() -> str:
        v = f"{rng.choice([0, 0, 1, 1, 2, 10])}.{rng.choice([0, 1, 2, 10])}.{rng.choice([0, 1, 3, 9])}"
        if rng.random() < 0.35:
            v += "-" + rng.choice(["alpha", "beta.2", "beta.10", "rc.1", "0", "1", "alpha.beta", "beta"])
        return v + ("+build.1" if rng.random() < 0.05 else "")

    def part() -> str:
        roll = rng.random()
        if roll < 0.12:
            return rng.choice(["*", "x", "1.x", "1.2.x", "2", "0.x", "1.*", "0.1"])
        if roll < 0.2:
            return f"{version()} - {version()}"
        v = version()
        if rng.random() < 0.15:
            v = ".".join(v.split("-")[0].split(".")[: rng.choice([1, 2])])
        return rng.choice(["", "^", "~", ">", ">=", "<", "<=", "=", "~>"]) + v

    ranges = {
        " || ".join(" ".join(part() for _ in range(rng.choice([1, 1, 2]))) for _ in range(rng.choice([1, 1, 2, 3])))
        for _ in range(400)
    }
    return sorted(ranges), sorted({version() for _ in range(40)})


def _node_semver(ranges: list[str], versions: list[str]) -> dict[str, object]:
    if shutil.which("node") is None or not NODE_SEMVER.is_dir():
        pytest.fail("node and tools/node/node_modules/semver are needed: run ./dev setup", pytrace=False)
    script = """
const semver = require(process.argv[1]);
const {ranges, versions} = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {satisfies: {}, valid: {}, max: {}};
for (const r of ranges) {
  out.valid[r] = semver.validRange(r, {loose: true}) !== null;
  out.max[r] = semver.maxSatisfying(versions, r, {loose: true});
  for (const v of versions) out.satisfies[r + '\\t' + v] = semver.satisfies(v, r, {loose: true});
}
console.log(JSON.stringify(out));
"""
    done = subprocess.run(
        ["node", "-e", script, str(NODE_SEMVER)],
        input=json.dumps({"ranges": ranges, "versions": versions}),
        capture_output=True, text=True, check=True, timeout=120,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("table", ["hand-picked", "generated"])
def test_satisfies_valid_range_and_max_satisfying_agree_with_node_semver(table: str) -> None:
    ranges, versions = (
        (HAND_PICKED_RANGES, HAND_PICKED_VERSIONS) if table == "hand-picked" else _generated(seed=7)
    )
    reference = _node_semver(ranges, versions)
    wrong = [
        (r, v, want)
        for key, want in reference["satisfies"].items()
        for r, v in [key.split("\t")]
        if satisfies(v, r) is not want
    ]
    assert wrong == []
    assert {r: parse_range(r) is not None for r in ranges} == reference["valid"]
    assert {r: max_satisfying(versions, r) for r in ranges} == reference["max"]


def test_a_prerelease_satisfies_only_a_range_that_names_a_prerelease_of_its_release() -> None:
    assert not satisfies("1.2.3-beta.2", "^1.0.0")
    assert satisfies("1.2.3-beta.2", "^1.2.3-beta.1")
    assert not satisfies("1.2.4-beta.0", "^1.2.3-beta.1")  # another release line: excluded


def test_star_matches_every_release_but_no_prerelease() -> None:
    assert satisfies("0.0.0", "*") and satisfies("99.1.2", "*")
    assert not satisfies("1.0.0-rc.1", "*")


def test_a_union_with_an_unbounded_alternative_is_just_star() -> None:
    # node-semver 7 collapses the union, so the prerelease the second alternative names no longer passes.
    assert not satisfies("0.0.3-alpha.beta", ">=0 || <=0.0.3-beta")
    assert parse_range(">=0 || <=0.0.3-beta").is_any


def test_loose_versions_and_invalid_ones() -> None:
    assert parse_version("v1.2.3").text == "1.2.3"
    assert parse_version("=1.2.3-beta.1").prerelease == ("beta", 1)
    assert parse_version("1.0") is None and parse_version("banana") is None
    assert parse_range("latest") is None and parse_range("^1.0.0 || latest") is not None


def test_numeric_prerelease_identifiers_compare_as_numbers() -> None:
    assert parse_version("1.0.0-beta.10").key > parse_version("1.0.0-beta.2").key
    assert parse_version("1.0.0-1").key < parse_version("1.0.0-alpha").key
    assert parse_version("1.0.0").key > parse_version("1.0.0-rc.1").key
