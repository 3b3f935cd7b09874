"""The ``run:`` section of cigen.yaml: how ``cigen run`` runs tasks on this machine.

::

    run:
      scripts: direct      # or package-manager: every Node task through `npm run`, `pnpm run`, ...
      worktree: false      # true: each service of a parallel group in a git worktree of its own

``direct`` runs an npm workspace's package.json script the way ``npm run``
does (through ``sh -c``, with ``node_modules/.bin`` of the package and its
ancestors first on PATH, npm's ``npm_*`` variables, pre and post scripts),
without starting npm for every task; other package managers' scripts run
through the package manager either way (:mod:`cigen.executor.scripts`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cigen.config.base import StrictModel

ScriptRunner = Literal["direct", "package-manager"]


class RunConfig(StrictModel):
    scripts: ScriptRunner = Field(
        default="direct", description="direct: run npm scripts as npm does, without npm; package-manager: npm run"
    )
    worktree: bool = Field(default=False, description="each service of a parallel group in its own git worktree")
