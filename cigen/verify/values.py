"""``${NAME}`` in checks: environment variables and saved values, and the redaction of every secret.

A value from the environment, and any credential of an auth check, is a secret: :class:`Secrets` holds them
for the whole run and :meth:`Secrets.redact` replaces each with ``***`` in every text a result carries
(messages, bodies, headers, JSON, JUnit, the step summary). Values saved from answers (``save: {order: $.id}``)
are not secret. A secret shorter than :data:`SHORTEST_SECRET` characters is not redacted: it cannot be told from
ordinary text ("1" would turn "status 201" into "status 20***"), and so is no secret worth the name.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from cigen.config.checks import REFERENCE

SHORTEST_SECRET = 4
MASK = "***"


class Secrets:
    """The secrets of a run; shared by the checks, which may run on several threads."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if len(value) >= SHORTEST_SECRET:
            with self._lock:
                self._values.add(value)
                # what a service echoes may be the JSON-escaped form of the value
                self._values.add(json.dumps(value)[1:-1])

    def redact(self, text: str) -> str:
        with self._lock:
            ordered = sorted(self._values, key=len, reverse=True)  # the longest first: one may contain another
        for value in ordered:
            text = text.replace(value, MASK)
        return text


class MissingValue(Exception):
    """``${NAME}`` is neither saved by an earlier step nor set in the environment."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Values:
    """What ``${NAME}`` stands for in one run of one check: its saved values first, then the environment."""

    def __init__(self, environ: Mapping[str, str], secrets: Secrets) -> None:
        self._environ = environ
        self.secrets = secrets
        self.saved: dict[str, Any] = {}

    def text(self, template: str) -> str:
        """``template`` with each reference replaced; ``$${`` becomes ``${``."""
        def value(match: re.Match[str]) -> str:
            if match[1]:
                return "${" + match[2] + "}"
            found = self._lookup(match[2])
            if isinstance(found, str):
                return found
            return json.dumps(found)

        return REFERENCE.sub(value, template)

    def json(self, template: Any) -> Any:
        """A JSON body with its references replaced; a string that is one reference to a saved value takes the
        value's own type (``qty: "${count}"`` sends the number)."""
        if isinstance(template, str):
            match = REFERENCE.fullmatch(template)
            if match and not match[1]:
                return self._lookup(match[2])
            return self.text(template)
        if isinstance(template, dict):
            return {key: self.json(item) for key, item in template.items()}
        if isinstance(template, list):
            return [self.json(item) for item in template]
        return template

    def secret_text(self, template: str) -> str:
        """A credential: its text with references replaced, itself a secret whatever it came from."""
        text = self.text(template)
        self.secrets.add(text)
        for word in text.split():
            self.secrets.add(word)  # the token of "Bearer <token>", which a service may echo alone
        return text

    def _lookup(self, name: str) -> Any:
        if name in self.saved:
            return self.saved[name]
        if name in self._environ:
            value = self._environ[name]
            self.secrets.add(value)
            return value
        raise MissingValue(name)
