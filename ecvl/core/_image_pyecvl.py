"""PyECVL's accessor methods of :class:`~ecvl.core.image.Image`.

The accessors (``IsEmpty``, ``Width``, ``GetMeta``, ...) are bound in its class body beside
the pythonic properties that share them.
"""

from .metadata import MetaData

__all__ = []


def IsEmpty(self):
    """Return True when the image holds no data."""
    return self._data is None


def IsOwner(self):
    """Return True when the image's memory is not borrowed from another array."""
    return self._data is not None and self._owner


def Width(self):
    """Return the size of the x axis."""
    self._need_data("Image.Width")
    return self._axis_size("x")


def Height(self):
    """Return the size of the y axis."""
    self._need_data("Image.Height")
    return self._axis_size("y")


def Channels(self):
    """Return the size of the ``c`` axis, else of ``z``, else of ``o`` (1 if none)."""
    self._need_data("Image.Channels")
    for letter in "czo":
        if letter in self._channels:
            return self._axis_size(letter)
    return 1


def GetMeta(self, key):
    """Return the :class:`MetaData` stored under `key` (KeyError if absent)."""
    return self.meta_[key]


def SetMeta(self, key, value):
    """Store `value` under `key`; return True when the key is new."""
    new = key not in self.meta_
    self.meta_[key] = MetaData(value)
    return new


def get_meta(self, key, default=None):
    """Return the plain value stored under `key`, or `default`."""
    m = self.meta_.get(key)
    return default if m is None else m.Get()


def To(self, dev):
    """Move to a device; only ``Device.CPU`` is supported."""
    self._check_dev(dev)

