"""The shop's third-party packages install offline: tools/node pins the very same ones, so
setting up (npm ci in tools/node) puts every one of them in npm's cache."""

from __future__ import annotations

import json
from pathlib import Path

from testing.paths import EXAMPLES

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "node"


def third_party(lockfile: Path) -> dict[str, str]:
    """Each registry package of a lockfile (workspace links have no integrity), by path, to its integrity."""
    packages = json.loads(lockfile.read_text())["packages"]
    return {path: entry["integrity"] for path, entry in packages.items() if "integrity" in entry}


def test_every_third_party_package_of_the_shop_is_one_tools_node_installs() -> None:
    shop = third_party(EXAMPLES / "shop" / "package-lock.json")
    tools = set(third_party(TOOLS / "package-lock.json").values())
    assert shop, "the shop's broker and event client come from npm"
    assert sorted(path for path, integrity in shop.items() if integrity not in tools) == []


def test_the_shops_direct_third_party_dependencies_are_pinned_exactly_as_in_tools_node() -> None:
    tools = json.loads((TOOLS / "package.json").read_text())["dependencies"]
    members = [m for folder in ("packages", "services", "apps") for m in (EXAMPLES / "shop" / folder).glob("*/package.json")]
    for manifest in sorted(members):
        for name, spec in json.loads(manifest.read_text()).get("dependencies", {}).items():
            if not name.startswith("@shop/"):
                assert tools.get(name) == spec, f"{manifest}: {name}@{spec} is not tools/node's {tools.get(name)}"
