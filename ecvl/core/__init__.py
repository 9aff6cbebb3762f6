"""ecvl core."""
