"""A local executor for GitHub Actions workflows, faithful to GitHub's semantics for what cigen generates.

Use::

    from testing.gha.events import dispatch_event, pull_request_event, push_event
    from testing.gha.runner import run_workflow

    run = run_workflow(repo / ".github/workflows/cigen.yml", repo, push_event(repo), workdir=tmp_path / "run")
    assert run.result == "success", run.report()
    run["stage-2"].result            # success | failure | cancelled | skipped
    run["stage-2"].legs[0].step("test").log
    run.order, run.legs_run(), run.artifacts

- ``repo`` is a real git repository; every job (every matrix leg) starts from an
  empty workspace and sees the repository only through actions/checkout.
- Events are built from the repository: ``push_event(repo, branch)``,
  ``dispatch_event(repo, inputs, branch)``, ``pull_request_event(repo, base,
  head)`` (which creates GitHub's merge commit).
- What is and is not supported, and how each part mirrors GitHub, is in the
  docstrings of :mod:`runner` (jobs), :mod:`leg` (steps), :mod:`expressions`,
  :mod:`matrix`, :mod:`actions`, :mod:`checkout` and :mod:`artifacts`.
"""
