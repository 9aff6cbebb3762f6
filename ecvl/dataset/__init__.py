"""ecvl dataset."""
