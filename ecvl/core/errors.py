"""Exceptions raised by ecvl.

Every error ecvl raises on purpose derives from :class:`EcvlError`, itself a
:class:`RuntimeError` (what PyECVL raised), so ``except RuntimeError`` in ported
scripts keeps working. Errors about arguments also derive from :class:`ValueError`
or :class:`TypeError`, and I/O errors from :class:`OSError`, so code can catch them
the usual Python way.
"""

__all__ = ["EcvlError", "EcvlValueError", "EcvlTypeError", "ImageIOError"]


class EcvlError(RuntimeError):
    """Base class of the errors raised by ecvl."""


class EcvlValueError(EcvlError, ValueError):
    """An argument has the right type but a wrong value (shape, range, layout)."""


class EcvlTypeError(EcvlError, TypeError):
    """An argument has the wrong type (for example an unsupported dtype)."""


class ImageIOError(EcvlError, OSError):
    """A file could not be read or written; the message names the file and the reason.

    Parameters
    ----------
    filename : str or os.PathLike
        The file concerned.
    reason : str
        Why the operation failed.
    """

    def __init__(self, filename, reason):
        self.filename = str(filename)
        self.reason = reason
        super().__init__(f"{self.filename}: {reason}")

    def __str__(self):
        return f"{self.filename}: {self.reason}"

    def __reduce__(self):
        return (type(self), (self.filename, self.reason))


def short(value, limit=200):
    """``str(value)`` cut to ``limit`` characters, for values echoed in error messages.

    Values come from files that may be corrupt or hostile: a message must stay one readable
    line, however large the value.
    """
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"
