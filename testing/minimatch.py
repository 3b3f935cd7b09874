"""minimatch itself, the matcher upload- and download-artifact read ``pattern`` with: the copy npm ships.

Every machine the tests run on has npm, and npm bundles minimatch; asking it
is how the local executor's own matcher, and the patterns cigen writes, are
checked against the real one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

_SCRIPT = """
const { minimatch } = require(process.argv[1]);
const { pattern, names } = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(names.filter((name) => minimatch(name, pattern))));
"""


def npm_minimatch() -> Path | None:
    """The minimatch folder inside the npm on PATH, if there is one."""
    npm = shutil.which("npm")
    if npm is None:
        return None
    folder = Path(npm).resolve().parents[1] / "node_modules" / "minimatch"
    return folder if (folder / "package.json").is_file() else None


def matching(pattern: str, names: Sequence[str]) -> list[str]:
    """The ``names`` minimatch matches ``pattern`` against, in their order."""
    folder = npm_minimatch()
    if folder is None:
        raise RuntimeError("no npm with its own minimatch on PATH")
    done = subprocess.run(["node", "-e", _SCRIPT, str(folder)], input=json.dumps({"pattern": pattern, "names": list(names)}),
                          capture_output=True, text=True, check=True, timeout=60)
    return list(json.loads(done.stdout))
