"""Computing backends (``cpu``, ``reference``; later ``cuda``, ``fpga``).

What every backend provides is stated in :mod:`eddl.backend.contract`; which backends are
usable is known to :mod:`eddl.backend.registry`. Layers and tensors reach a backend only through
the computing service or their device, never by importing a backend package.
"""
