"""Planning (pure): modes -> stages and legs (``stages``), the tasks each service runs (``tasks``), toolchains (``toolchains``)."""
