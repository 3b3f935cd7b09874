"""Helpers the tests share, kept beside ``tests/`` (as pre-commit keeps ``testing/``) and out of the wheel.

- :mod:`testing.paths`: where the checkout, its examples and the pinned Node tools are.
- :mod:`testing.cli`: run the cigen CLI in process, with a result object.
- :mod:`testing.workspace_builder`, :mod:`testing.trees`, :mod:`testing.monorepos`,
  :mod:`testing.npm_monorepo`: workspaces and monorepos built in memory or in tmp.
- :mod:`testing.gitrepos`: real git repositories in tmp.
- :mod:`testing.examples`, :mod:`testing.processes`, :mod:`testing.runtime`: the
  bundled example monorepos, real service processes, fixture monorepos under PM2.
- :mod:`testing.validators`: actionlint, zizmor and check-jsonschema, offline.
- :mod:`testing.gha`: a local executor for GitHub Actions workflows.
"""
