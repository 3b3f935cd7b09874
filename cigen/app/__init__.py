"""The application layer: one function per use case, called by the CLI and by the composite action alike."""
