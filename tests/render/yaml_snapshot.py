"""A syrupy extension that stores a text snapshot as a real ``.yml`` file.

The snapshot of a generated workflow is then a workflow file a person can open,
diff, and run the validators on, under ``__snapshots__/<test module>/<test>.yml``.
Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class YamlSnapshotExtension(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "yml"


@pytest.fixture
def snapshot_yml(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(YamlSnapshotExtension)
