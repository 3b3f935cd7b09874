"""Change impact: changed paths + graph -> the affected set, lockfile narrowing, and the git change source.

- ``affected``: the rules (pure): which services a set of changed paths affects, and why.
- ``lockfiles``: a root lockfile's change narrowed to the members whose resolved dependencies changed.
- ``changes``: where the changed paths come from (git, a list, a GitHub Actions event).
"""
