"""ecvl augment."""
