"""``cigen verify``: the checks of cigen.yaml run against the running stack.

- ``stack``: the running stack as checks see it (services, their URLs, PIDs, logs), attached to
  what ``cigen up`` started; a needed service that is not up is an environment error;
- ``model``: the results the engine, the reports and the pytest plugin share;
- ``retry``: :func:`eventually`, retrying until a condition holds;
- ``faults`` and ``proxy``: faults a resilience check injects, and always undoes.
"""

from cigen.verify.retry import eventually

__all__ = ["eventually"]
