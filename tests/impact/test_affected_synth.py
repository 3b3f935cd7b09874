"""``cigen affected`` equals the ground truth of ../shared/tools/synth_monorepo.py (--git --change K)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from testing.cli import run_cigen

CASES = [
    # (packages, seed, changed packages, extra generator flags)
    (30, 1, 3, ()),
    (200, 7, 10, ("--pm", "pnpm")),
    (500, 11, 40, ("--npm-spec", "exact")),
    (1500, 42, 150, ("--layers", "8", "--avg-deps", "2")),
]


@pytest.mark.parametrize(("packages", "seed", "change", "flags"), CASES, ids=[f"{c[0]}pkgs-seed{c[1]}" for c in CASES])
def test_affected_matches_the_generator_ground_truth(shared_dir, tmp_path, monkeypatch, packages, seed, change, flags):
    tree = tmp_path / "synth"
    subprocess.run(
        [sys.executable, str(shared_dir / "tools" / "synth_monorepo.py"), str(tree), "--packages", str(packages),
         "--seed", str(seed), "--git", "--change", str(change), *flags],
        check=True, capture_output=True,
    )
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    expected = json.loads((tree / ".expected.json").read_text(encoding="utf-8"))["change"]
    done = run_cigen("affected", "-C", str(tree), "--base", expected["base"], "--head", expected["head"],
                     "--format", "json")
    assert done.exit_code == 0
    doc = done.json()
    assert doc["all"] is False
    assert doc["changed"] == expected["changed"]
    assert doc["affected"] == expected["affected"]
    assert len(doc["changed_files"]) == change
