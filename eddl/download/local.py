"""Files in the current folder, where PyEDDL's downloads put them and its scripts read them."""

import os
import shutil

from _deephealth.atomic import atomic_path

__all__ = ["exist", "place_in_cwd"]


def exist(name):
    """Return True if ``name`` is a readable file (PyEDDL's ``exist``).

    Parameters
    ----------
    name : str or os.PathLike
        A path, relative to the current folder or absolute.

    Returns
    -------
    bool
        False for a missing path, a folder or an unreadable file.

    Examples
    --------
    >>> import eddl
    >>> eddl.exist("no_such_file.bin")
    False
    """
    return os.path.isfile(name) and os.access(name, os.R_OK)


def place_in_cwd(path, name):
    """Make the file ``path`` available as ``name`` in the current folder; return that path.

    An existing ``name`` is left alone. A hard link costs no space and no copying; where
    links are impossible (another file system, Windows shares) the file is copied, under a
    temporary name first, so the final name never holds half a file.
    """
    dest = os.path.abspath(name)
    if os.path.exists(dest) or os.path.abspath(path) == dest:
        return dest
    try:
        os.link(path, dest)
    except FileExistsError:
        pass  # made meanwhile by another process
    except OSError:
        with atomic_path(dest) as tmp:
            shutil.copyfile(path, tmp)
    return dest
