"""cigen.yaml: one leaf base model, a module per section, one loader with located errors.

- ``base``: :class:`StrictModel`, the leaf every section subclasses.
- ``affected``, ``workflow`` (with ``workflow_file`` and ``integrations``),
  ``services``, ``runtime``: the sections, each a model of its own.
- ``root``: :class:`Config`, the whole file, assembled from the sections.
- ``file``: where cigen.yaml is, without importing pydantic (``cigen graph``
  on a monorepo without one never pays for the models).
- ``loader``: reading and validating it, every error one located line.

Nothing is re-exported here, so that ``cigen.config.file`` stays cheap to import.
"""
