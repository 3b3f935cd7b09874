"""Real git repositories for tests: build histories in tmp_path with a few calls.

Every commit has a fixed author and date, so commit ids are the same on every run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_AUTHOR_NAME": "cigen tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "cigen tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        return repo

    @classmethod
    def clone(cls, source: Repo, path: Path, *args: str) -> Repo:
        subprocess.run(["git", "clone", "-q", *args, f"file://{source.path}", str(path)],
                       check=True, env={**os.environ, **GIT_ENV})
        return cls(path)

    def git(self, *args: str) -> str:
        result = subprocess.run(["git", *args], cwd=self.path, env={**os.environ, **GIT_ENV},
                                check=True, capture_output=True, text=True)
        return result.stdout.strip()

    def write(self, rel: str, text: str = "x\n") -> Repo:
        file = self.path / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        return self

    def package(self, folder: str, name: str, deps: dict[str, str] | None = None) -> Repo:
        manifest: dict[str, Any] = {"name": name, "version": "1.0.0"}
        if deps:
            manifest["dependencies"] = deps
        return self.write(f"{folder}/package.json" if folder != "." else "package.json", json.dumps(manifest, indent=2) + "\n")

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)
