"""The edge: files and atomic writes, the one process gateway, git, GitHub's environment, signals.

Everything that touches the outside world outside the runtime's PM2 session
goes through a module here, so the core (config, discovery, graph, plan,
impact, render) stays values in, values out.
"""
