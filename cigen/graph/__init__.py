"""The dependency graph (pure): build, order, levels, cycles, reachability and selection."""
