"""Health monitoring of a running stack: the sampler ``cigen up`` starts, and the report of the run.

``cigen up`` writes the run's manifest (:mod:`cigen.monitor.run`) and starts the
sampler (:mod:`cigen.monitor.sampler`) as a process of the project's own PM2
daemon, so it lives exactly as long as the stack: it outlives the ``cigen up``
command (a CI step), is stopped first by ``cigen down``, and needs no step of
its own in a workflow. It appends what it sees to the run folder, and
:mod:`cigen.monitor.report` turns that into the report at any time.
"""
