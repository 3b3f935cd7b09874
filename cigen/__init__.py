"""cigen: a monorepo's service graph, turned into CI."""

__version__ = "0.1.0"
