"""Reading images in a child process with a time limit, for untrusted datasets.

Some third-party decoders (JPEG-LS and JPEG 2000 in DICOM, for instance) can spin for minutes
on a damaged file, inside compiled code that no Python thread can interrupt. A read in a
child process can be: past the limit, the child is killed, the read raises
:class:`~ecvl.ImageIOError` naming the file, and the next read starts a fresh child. Each
calling thread has its own child, so loader threads never wait on each other.
"""

import multiprocessing
import threading

import ecvl
from ecvl import ImageIOError

__all__ = ["IsolatedReader"]


def _serve(conn):
    """Child process: read each path received, send back the image or the exception."""
    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, ecvl.imread(path)))
        except Exception as e:  # sent to the parent, which raises it there
            if not isinstance(e, ImageIOError):
                e = ImageIOError(path, f"reading failed ({type(e).__name__}: {e})")
            conn.send((False, e))


class IsolatedReader:
    """Callable ``reader(path) -> Image`` that decodes in a child process with a time limit.

    Parameters
    ----------
    timeout : float
        Seconds one read may take, decoding included.

    Examples
    --------
    >>> from bridge._isolated import IsolatedReader
    >>> reader = IsolatedReader(timeout=30.0)               # doctest: +SKIP
    >>> img = reader("scan.dcm")                            # doctest: +SKIP
    >>> reader.close()                                      # doctest: +SKIP
    """

    def __init__(self, timeout):
        timeout = float(timeout)
        if not timeout > 0:
            raise ValueError(f"read timeout must be positive, got {timeout}")
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("spawn")  # fork is unsafe with threads running
        self._local = threading.local()
        self._lock = threading.Lock()
        self._children = []

    def _child(self):
        child = getattr(self._local, "child", None)
        if child is None or not child[1].is_alive():
            parent, remote = self._ctx.Pipe()
            proc = self._ctx.Process(target=_serve, args=(remote,), daemon=True)
            proc.start()
            remote.close()
            child = self._local.child = (parent, proc)
            with self._lock:
                self._children.append(child)
        return child

    def _drop(self, child):
        conn, proc = child
        proc.kill()
        proc.join()
        conn.close()
        self._local.child = None
        with self._lock:
            if child in self._children:
                self._children.remove(child)

    def __call__(self, path):
        child = self._child()
        conn, proc = child
        try:
            conn.send(str(path))
            # the first read in a child includes importing ecvl there: not the decoder's time
            if not conn.poll(self.timeout + (10.0 if not getattr(proc, "_dh_used", False) else 0.0)):
                self._drop(child)
                raise ImageIOError(path, f"decoding took more than {self.timeout:g} s and was "
                                         "stopped (a damaged file, or raise read_timeout)")
            ok, value = conn.recv()
        except (EOFError, OSError) as e:
            self._drop(child)
            raise ImageIOError(path, f"the decoder process ended while reading it ({e or 'crash'})"
                               ) from e
        proc._dh_used = True
        if ok:
            return value
        raise value

    def close(self):
        """End every child process."""
        with self._lock:
            children, self._children = self._children, []
        for conn, proc in children:
            proc.kill()
            proc.join()
            conn.close()
        self._local = threading.local()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass
