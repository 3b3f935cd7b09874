#!/usr/bin/env python3
"""Time ``cigen run build`` against ``turbo run build --force``, pnpm and Nx on builds of known length.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_run.py [--packages 40] [--concurrency 4] [--runs 3] [--warmup 1]
        [--pnpm PATH] [--nx PATH] [--baseline PYTHON] [--cache DIR] [--no-turbo]

The tree is ``../shared/tools/synth_monorepo.py OUT --packages N --seed 1
--turbo-json --lockfile`` (npm workspaces), with every package's ``build``
script replaced by ``node ../../.bench/build.js MS``: it fails unless each of
its workspace dependencies has ``dist/index.js``, sleeps MS milliseconds and
writes its own ``dist/index.js``. MS is drawn per package from 150 to 1,200 ms
(``random.Random(1)``, packages in name order), so the work is known and the
lower bound of any scheduler at concurrency C is ``max(critical path, work / C)``
(the sleeps only; every tool also pays a Node start-up per package).

cigen keeps what a run learns for the next in its cache (each service's
time, to start the longest remaining path first; npm's configuration): the
benchmark gives it a cache folder of its own under ``--cache``, emptied
before the first round, so the warm-up round fills it as a person's first
run would.

Each round cleans every ``dist/``, runs each command once in turn (cigen, turbo,
cigen through ``npm run`` with ``--package-manager``, pnpm, nx, baseline), and checks that every package was built. The first
``--warmup`` rounds are dropped; the table gives the median wall time of the
rest, and each median over turbo's and over the lower bound. pnpm runs on a copy of the
tree with a ``pnpm-workspace.yaml`` (``pnpm -r --workspace-concurrency C run
build``), Nx on a copy with an ``nx.json`` whose ``build`` depends on ``^build``
(``nx run-many -t build --skip-nx-cache --parallel C``); give ``--pnpm`` and
``--nx`` the executables (neither is a dependency of cigen's checkout), or they are left out.

Targets (issue 13), 40 packages at concurrency 4: cigen at most 0.8 x turbo and 1.4 x the lower bound.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess  # a benchmark measures raw child processes; cigen.adapters.proc would add its own overhead
import sys
import tempfile
from pathlib import Path

import common
from common import BASELINE_HELP, CIGEN, REPO, TURBO, measure_once, synth

TURBO_ENV = {"TURBO_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1", "TURBO_NO_UPDATE_NOTIFIER": "1",
             "NX_DAEMON": "false", "NX_NO_CLOUD": "true", "NX_TUI": "false"}
SHORTEST, LONGEST = 150, 1200  # milliseconds a build sleeps

BUILD_JS = """\
const fs = require("fs");
const path = require("path");
const where = require("./folders.json");
const root = path.dirname(__dirname);
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
for (const dep of Object.keys(pkg.dependencies || {})) {
  if (dep in where && !fs.existsSync(path.join(root, where[dep], "dist", "index.js"))) {
    console.error(`${pkg.name}: ${dep} is not built yet`);
    process.exit(1);
  }
}
setTimeout(() => {
  fs.mkdirSync("dist", { recursive: true });
  fs.writeFileSync(path.join("dist", "index.js"), `built ${pkg.name}\\n`);
}, Number(process.argv[2]));
"""


def _shared_of_main_checkout() -> None:
    """In a git worktree (``git worktree add``), ../shared is beside the main checkout, not beside this one."""
    if not common.GENERATOR.is_file():
        main_git = Path(subprocess.run(["git", "-C", str(REPO), "rev-parse", "--path-format=absolute",
                                        "--git-common-dir"], capture_output=True, text=True, check=True).stdout.strip())
        common.GENERATOR = main_git.parent.parent / "shared" / "tools" / "synth_monorepo.py"


def prepare(cache: Path, packages: int) -> tuple[Path, dict[str, str], dict[str, int], dict[str, list[str]]]:
    """The tree, with its folders, build durations (ms) and workspace dependencies, by package name."""
    tree = synth(cache, packages, "--turbo-json", "--lockfile")
    manifests = {p.parent: json.loads(p.read_text()) for p in sorted(tree.glob("*/*/package.json"))}
    folders = {m["name"]: str(folder.relative_to(tree)) for folder, m in manifests.items()}
    rng = random.Random(1)
    durations = {name: rng.randint(SHORTEST, LONGEST) for name in sorted(folders)}
    needs = {m["name"]: sorted(d for d in m.get("dependencies", {}) if d in folders) for m in manifests.values()}
    (tree / ".bench").mkdir(exist_ok=True)
    (tree / ".bench" / "build.js").write_text(BUILD_JS)
    (tree / ".bench" / "folders.json").write_text(json.dumps(folders))
    for folder, manifest in manifests.items():
        manifest["scripts"] = {"build": f"node ../../.bench/build.js {durations[manifest['name']]}"}
        (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return tree, folders, durations, needs


def lower_bound(durations: dict[str, int], needs: dict[str, list[str]], concurrency: int) -> tuple[float, float]:
    """(critical path, work / concurrency) in seconds."""
    finish: dict[str, int] = {}

    def done_at(name: str) -> int:
        if name not in finish:
            finish[name] = durations[name] + max((done_at(d) for d in needs[name]), default=0)
        return finish[name]

    return max(done_at(n) for n in durations) / 1000, sum(durations.values()) / 1000 / concurrency


def variant(tree: Path, name: str, files: dict[str, str], workspace_protocol: bool = False) -> Path:
    """A copy of ``tree`` with extra files (a pnpm or Nx workspace definition), made once.

    ``workspace_protocol``: dependencies on members become ``workspace:*``, which pnpm (without
    link-workspace-packages, its default) needs to order ``-r`` runs by them.
    """
    copy = tree.with_name(f"{tree.name}-{name}")
    if not copy.is_dir():
        shutil.copytree(tree, copy, symlinks=True)
        for relative, text in files.items():
            (copy / relative).write_text(text)
        for manifest in copy.glob("*/*/package.json") if workspace_protocol else ():
            data = json.loads(manifest.read_text())
            data["dependencies"] = {d: "workspace:*" for d in data.get("dependencies", {})}
            manifest.write_text(json.dumps(data, indent=2) + "\n")
    return copy


def clean(trees: list[Path], folders: dict[str, str]) -> None:
    for tree in trees:
        for folder in folders.values():
            shutil.rmtree(tree / folder / "dist", ignore_errors=True)
        shutil.rmtree(tree / ".turbo", ignore_errors=True)


def built(tree: Path, folders: dict[str, str]) -> list[str]:
    return [name for name, folder in folders.items() if not (tree / folder / "dist" / "index.js").is_file()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--pnpm", default=shutil.which("pnpm"), help="the pnpm executable (default: on PATH)")
    parser.add_argument("--nx", help="node_modules/.bin/nx of a folder nx is installed in (`npm install nx`)")
    parser.add_argument("--package-manager", action="store_true",
                        help="also time cigen with run.scripts: package-manager (each task through npm run)")
    parser.add_argument("--baseline", help=BASELINE_HELP)
    parser.add_argument("--no-turbo", action="store_true",
                        help="leave turbo out (at 400 packages on a loaded 2-core machine a round of it takes half an hour)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cigen-bench-run")
    args = parser.parse_args()
    c = args.concurrency

    _shared_of_main_checkout()
    tree, folders, durations, needs = prepare(args.cache, args.packages)
    runs: dict[str, tuple[list[str], Path]] = {"cigen run build": ([*CIGEN, "run", "build", "-j", str(c)], tree)}
    if not args.no_turbo:
        runs["turbo run build --force"] = ([str(TURBO), "run", "build", "--force", f"--concurrency={c}"], tree)
    if args.package_manager:
        npm_run = variant(tree, "npm-run", {"cigen.yaml": "run:\n  scripts: package-manager\n"})
        runs["cigen run build, npm run"] = ([*CIGEN, "run", "build", "-j", str(c)], npm_run)
    if args.baseline:
        runs["baseline cigen run build"] = ([args.baseline, "-m", "cigen", "run", "build", "-j", str(c)], tree)
    if args.pnpm:
        root = json.loads((tree / "package.json").read_text())
        globs = root.pop("workspaces")
        del root["packageManager"]  # pnpm refuses a project pinned to npm, and would download the pinned pnpm
        pnpm_tree = variant(tree, "pnpm", {"pnpm-workspace.yaml": "packages:\n" + "".join(f"  - '{g}'\n" for g in globs),
                                           "package.json": json.dumps(root, indent=2)}, workspace_protocol=True)
        runs["pnpm -r run build"] = ([args.pnpm, "-r", f"--workspace-concurrency={c}", "run", "build"], pnpm_tree)
    if args.nx:
        nx_json = {"targetDefaults": {"build": {"dependsOn": ["^build"], "cache": False}}, "useDaemonProcess": False}
        nx_tree = variant(tree, "nx", {"nx.json": json.dumps(nx_json)})
        if not (nx_tree / "node_modules").exists():  # nx looks for its own modules in the workspace
            (nx_tree / "node_modules").symlink_to(Path(args.nx).absolute().parent.parent)
        runs["nx run-many -t build"] = ([args.nx, "run-many", "-t", "build", "--skip-nx-cache", f"--parallel={c}"],
                                        nx_tree)
    cigen_cache = args.cache / "cigen-cache"
    shutil.rmtree(cigen_cache, ignore_errors=True)
    env = {**os.environ, **TURBO_ENV, "CIGEN_CACHE_DIR": str(cigen_cache)}
    trees = sorted({where for _, where in runs.values()})
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(args.warmup + args.runs):
        for name, (argv, where) in runs.items():
            clean(trees, folders)
            wall = measure_once(argv, where, env)["wall"]
            if missing := built(where, folders):
                sys.exit(f"{name}: {len(missing)} packages not built, {missing[0]} first")
            if round_ >= args.warmup:
                samples[name].append(wall)
            print(f"round {round_ + 1}{' (warm-up)' * (round_ < args.warmup)}: {name} {wall:.2f} s",
                  file=sys.stderr, flush=True)
    clean(trees, folders)

    path, share = lower_bound(durations, needs, c)
    bound = max(path, share)
    turbo = statistics.median(samples["turbo run build --force"]) if not args.no_turbo else None
    print(f"{args.packages} packages, concurrency {c}, medians of {args.runs} alternating runs "
          f"({args.warmup} warm-up dropped), on {os.cpu_count()} CPUs")
    print(f"lower bound {bound:.2f} s = max(critical path {path:.2f} s, work / {c} {share:.2f} s)")
    width = max(map(len, runs))
    print(f"{'command':<{width}}  {'median':>8}  {'x turbo':>7}  {'x bound':>7}  runs")
    for name, walls in samples.items():
        median = statistics.median(walls)
        versus = f"{median / turbo:>7.2f}" if turbo else f"{'-':>7}"
        print(f"{name:<{width}}  {median:>7.2f}s  {versus}  {median / bound:>7.2f}  "
              + " ".join(f"{w:.2f}" for w in walls))


if __name__ == "__main__":
    main()
