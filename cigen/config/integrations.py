"""The cigen.yaml keys of cigen's GitHub integrations, inside the ``workflow:`` section::

    workflow:
      action: acme/cigen@<commit sha>   # run cigen through the composite action (plan and impact jobs)
      impact: true                       # also write the pull-request impact workflow
      impact:                            # ... or with settings
        path: .github/workflows/cigen-impact.yml
        name: cigen impact
        comment: true                    # false: the job summary only, no PR comment

``action`` names the composite action of the cigen repository (action.yml) by
a full commit SHA (a tag can move, a commit cannot), or a local action
(``./path``) in the repository itself. Without it the jobs pip-install cigen
(``workflow.cigen_requirement``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from cigen.config.base import StrictModel
from cigen.config.workflow_file import WorkflowFile, WorkflowName

# owner/repo[/path]@<40 hex>: GitHub's own name rules, and a commit pin.
ACTION_REF = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*)/[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*@[0-9a-f]{40}")
LOCAL_ACTION = re.compile(r"\./(?:[A-Za-z0-9._-]+/?)*")
DEFAULT_IMPACT_PATH = ".github/workflows/cigen-impact.yml"


def _action(value: str) -> str:
    if ACTION_REF.fullmatch(value) or (LOCAL_ACTION.fullmatch(value) and ".." not in value.split("/")):
        return value
    raise ValueError("must be owner/repo@<full 40-character commit SHA> (a tag can move; pin the commit "
                     "of the cigen version you generate with), or ./path for an action in this repository")


ActionRef = Annotated[str, AfterValidator(_action)]


class ImpactConfig(StrictModel):
    """``workflow.impact``: the pull-request impact workflow."""

    path: WorkflowFile = Field(default=DEFAULT_IMPACT_PATH, description="where the impact workflow is written")
    name: WorkflowName = Field(default="cigen impact", min_length=1, description="the workflow's name")
    comment: bool = Field(default=True, description="create or update one comment on the pull request")


def _shorthand(value: Any) -> Any:
    """``impact: true`` is the defaults, ``impact: false`` (or nothing) no impact workflow."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


ImpactSetting = Annotated[ImpactConfig | None, BeforeValidator(_shorthand)]
