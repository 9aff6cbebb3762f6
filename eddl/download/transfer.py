"""One HTTP transfer into a ``.part`` file, resumed with a ``Range`` request when it exists.

Only this module talks to the network. It knows nothing of caches or checksums: it appends
the bytes of ``url`` to ``part`` and says, with a :class:`TransferError`, why it stopped
early and whether trying again (which resumes) may help.

A resumed part must belong to the same version of the file: the server's validator (a strong
``ETag``, else ``Last-Modified``) is kept in ``<part>.validator`` when a transfer starts and
sent back as ``If-Range`` when it resumes, so a file changed meanwhile comes back whole
(status 200) instead of being spliced onto the old bytes.
"""

import http.client
import os
import re
import urllib.error
import urllib.request

__all__ = ["TransferError", "download", "discard"]

_CHUNK = 1 << 16
_USER_AGENT = "deephealth-toolkit (eddl.download)"
_VALIDATOR = ".validator"
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)\s*\Z")


class TransferError(Exception):
    """Why a transfer stopped; ``retriable`` when the part kept so far can be resumed."""

    def __init__(self, reason, retriable=False):
        super().__init__(reason)
        self.reason, self.retriable = reason, retriable


def download(url, part, *, timeout, max_bytes, progress, label):
    """Append the rest of ``url`` to the file ``part`` (start it when absent).

    Parameters
    ----------
    url : str
    part : str
        The partial file; its size is the offset asked for with ``Range: bytes=<size>-``.
        A server that answers with the whole file (status 200) restarts it from zero.
    timeout : float
        Seconds to wait for the connection and for each read.
    max_bytes : int or None
        The transfer is refused (and ``part`` removed) once the file is known to be larger.
    progress : bool
        Show a tqdm bar on stderr.
    label : str
        The bar's label.

    Raises
    ------
    TransferError
    """
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    try:
        resp = _open(url, offset, _read_validator(part) if offset else None, timeout)
    except _RangeNotSatisfiable:
        # the part is as long as the file, or longer (the file changed): start over
        discard(part)
        offset, resp = 0, _open(url, 0, None, timeout)
    with resp:
        offset, total, length = _plan(resp, offset, part)
        if offset == 0:
            _write_validator(part, resp.headers)
        if max_bytes is not None and total is not None and total > max_bytes:
            discard(part)
            raise TransferError(f"the file is {total} bytes, more than the limit of {max_bytes} "
                                "bytes (max_bytes=)")
        _stream(resp, part, offset, total, length, max_bytes, progress, label)


class _RangeNotSatisfiable(Exception):
    pass


def discard(part):
    """Remove the partial file ``part`` and its validator, if there."""
    for path in (part, part + _VALIDATOR):
        _remove(path)


def _read_validator(part):
    try:
        with open(part + _VALIDATOR, encoding="utf-8") as f:
            value = f.read(1024).strip()
    except (OSError, ValueError):
        return None
    return value if value and value.isprintable() else None


def _write_validator(part, headers):
    etag = headers.get("ETag")
    value = etag if etag and not etag.startswith("W/") else headers.get("Last-Modified")
    if value:
        with open(part + _VALIDATOR, "w", encoding="utf-8") as f:
            f.write(value)
    else:
        _remove(part + _VALIDATOR)


def _open(url, offset, validator, timeout):
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:
            headers["If-Range"] = validator
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        e.close()
        if e.code == 416 and offset:
            raise _RangeNotSatisfiable() from None
        raise TransferError(f"HTTP error {e.code} ({e.reason})") from e
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, TimeoutError):
            raise TransferError(f"no connection within {timeout:g} s") from e
        raise TransferError(f"no connection ({reason})") from e
    except TimeoutError as e:
        raise TransferError(f"no answer within {timeout:g} s", retriable=True) from e
    except (http.client.HTTPException, OSError) as e:
        raise TransferError(f"the server closed the connection ({type(e).__name__}: {e})",
                            retriable=True) from e


def _plan(resp, offset, part):
    """Return ``(offset, total, length)`` for the answer: where its bytes go and how many."""
    length = _int_header(resp.headers.get("Content-Length"))
    if offset and resp.status == 206:
        m = _CONTENT_RANGE.match(resp.headers.get("Content-Range") or "")
        if not m or int(m.group(1)) != offset:
            discard(part)
            raise TransferError("the server answered the resume request with the wrong range "
                                f"({resp.headers.get('Content-Range')!r}); starting over",
                                retriable=True)
        total = int(m.group(3)) if m.group(3) != "*" else None
        return offset, total, length
    # 200: the server ignored Range (or none was sent) and sends the whole file
    return 0, length, length


def _stream(resp, part, offset, total, length, max_bytes, progress, label):
    got = 0
    too_large = False
    with open(part, "ab" if offset else "wb") as f, \
            _bar(total, offset, label, progress) as bar:
        while True:
            try:
                chunk = resp.read(_CHUNK)
            except (http.client.HTTPException, OSError) as e:
                raise TransferError(_interrupted(offset + got, total, part, e), retriable=True) from e
            if not chunk:
                break
            got += len(chunk)
            if max_bytes is not None and offset + got > max_bytes:
                too_large = True
                break
            f.write(chunk)
            bar.update(len(chunk))
    if too_large:
        discard(part)
        raise TransferError(f"the file is more than the limit of {max_bytes} bytes (max_bytes=)")
    if length is not None and got < length:
        raise TransferError(_interrupted(offset + got, total, part, None), retriable=True)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _bar(total, initial, label, progress):
    if progress:
        try:
            from tqdm import tqdm
        except ImportError:  # a dependency of the package, but a bar is no reason to fail
            pass
        else:
            return tqdm(total=total, initial=initial, unit="B", unit_scale=True,
                        unit_divisor=1024, desc=label, leave=False)
    return _NoBar()


def _interrupted(have, total, part, e):
    of = f" of {total}" if total is not None else ""
    why = f" ({type(e).__name__})" if e is not None else ""
    return (f"the transfer was interrupted after {have}{of} bytes{why}; they are kept in {part} "
            "and the next call resumes from there")


def _int_header(value):
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
