"""Running a monorepo's services under PM2: the manifest, the PM2 client, health probes, the gate.

``manifest`` (cigen.yaml ``services:``/``runtime:``) and ``services`` (resolved
against the workspace) describe what to run; ``apps`` turns it into PM2 app
definitions; ``pm2`` talks to a per-project PM2 daemon; ``probes`` checks
health; ``orchestrate`` starts services in dependency order, each gated on its
probe; ``report`` says what happened.
"""
