"""Renderers: values in, text out (workflows, ecosystem files, reports, graph and plan formats).

Renderers never read files, run processes or print; the CLI writes what they return.
"""
