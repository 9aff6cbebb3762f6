"""ecvl io."""
