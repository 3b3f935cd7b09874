"""``ecosystem.config.js``: PM2 app definitions as the file ``pm2 start`` reads without cigen.

Every value is emitted as JSON (a subset of JavaScript), never quoted by hand;
the template around it is fixed code. Paths in the data are relative to the
repository root and resolved by the file itself against its own folder, so the
output is byte-identical on every machine and checkout.

Values in, text out: the caller (:mod:`cigen.app.ecosystem`) builds the app
definitions and the log-rotation settings from the runtime's service specs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

DEFAULT_FILENAME = "ecosystem.config.js"


@lru_cache(maxsize=1)
def _source() -> str:
    return (files("cigen") / "templates" / "ecosystem.config.js.j2").read_text(encoding="utf-8")


def header_line() -> str:
    """The file's first line as written (plain text in the template): what makes an ecosystem file cigen's."""
    return _source().split("\n", 1)[0]


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    # lazy: cigen generate reads DEFAULT_FILENAME on every run and renders this file only when the
    # repository has one; jinja2 costs ~30 ms of start-up.
    import jinja2

    text = _source()
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def render_ecosystem(apps: Sequence[Mapping[str, Any]], *, filename: str, root: str,
                     rotation: Sequence[tuple[str, str]] = ()) -> str:
    """The ecosystem file named ``filename`` holding ``apps`` (paths relative to the repository root).

    ``root`` is the repository root as seen from the file's folder ("." when the
    file sits at the root); ``rotation`` the pm2-logrotate settings, if any.
    """
    return _template().render(
        filename=filename,
        root=root,
        # ensure_ascii: every string stays plain ASCII JavaScript, whatever the names hold.
        apps=json.dumps(list(apps), indent=2, ensure_ascii=True),
        rotation=list(rotation),
    )
