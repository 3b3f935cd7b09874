"""Running a monorepo's services under PM2: the manifest, the PM2 client, health probes, the gate.

- ``manifest``: cigen.yaml ``services:`` and ``runtime:``; ``services`` resolves
  them against the workspace; ``project`` holds one project's view (namespace,
  logs folder, PM2 apps, the integration job);
- ``apps``: service specs as PM2 app definitions (``ecosystem.config.js`` and ``cigen up``);
- ``pm2``: finding pm2, the per-project PM2_HOME and its locks; ``processes``:
  telling the project's processes from whatever else has their PIDs, and stopping
  them by PID; ``daemon``: talking to the daemon through ``pm2_bridge.js``,
  watching that it lives, stopping it;
- ``probes``: HTTP, TCP and command health checks;
- ``orchestrate``: the per-service gates; ``startup``: ``cigen up`` from start
  to end; ``signals``: SIGTERM as Ctrl-C; ``report``: what ``up`` says;
- ``status``: ``cigen status``; ``logrotate``: pm2-logrotate.
"""
