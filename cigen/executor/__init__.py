"""``cigen run``: run tasks across the services on a laptop, in the order the plan gives CI.

- ``schedule``: the pure decisions, which services may start now given what has finished;
- ``processes``: one task's process group, its output read line by line;
- ``runner``: what each service runs, and the loop that joins the two, reporting through a
  :class:`~cigen.executor.runner.Reporter` (the core never prints).
"""
