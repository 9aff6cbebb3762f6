"""ecvl imgproc."""
