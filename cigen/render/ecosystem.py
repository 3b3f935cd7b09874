"""``ecosystem.config.js``: the services as PM2 apps, for ``pm2 start`` without cigen.

Every value is emitted as JSON (a subset of JavaScript), never quoted by hand;
the template around it is fixed code. Paths in the data are relative to the
repository root and resolved by the file itself against its own folder, so the
output is byte-identical on every machine and checkout.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

    from cigen.runtime.project import Project

DEFAULT_FILENAME = "ecosystem.config.js"


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    from importlib.resources import files

    import jinja2

    text = (files("cigen") / "templates" / "ecosystem.config.js.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def render_ecosystem(project: Project, output: Path, services: list[str] | None = None) -> str:
    """The ecosystem file for ``services`` (default: all), to be written at ``output``."""
    from cigen.runtime.logrotate import settings

    names = sorted(services) if services else sorted(project.specs)
    apps = list(project.apps(names, absolute=False).values())
    root = Path(os.path.relpath(project.root.resolve(), output.parent.resolve())).as_posix()
    rotation = project.config.runtime.log_rotation
    return _template().render(
        filename=output.name,
        root=root,
        # ensure_ascii: every string stays plain ASCII JavaScript, whatever the names hold.
        apps=json.dumps(apps, indent=2, ensure_ascii=True),
        rotation=settings(rotation) if rotation else [],
    )
