"""A local HTTP server on the loopback address for the download tests (never the internet).

``FileServer(files)`` serves ``{path: bytes}`` from a thread on ``127.0.0.1`` and a free
port, records each request's path and ``Range`` header, and can misbehave on purpose:
ignore ``Range``, cut the connection after some bytes, omit ``Content-Length``, or wait
before answering.
"""

import hashlib
import http.server
import re
import socket
import threading
import time

_RANGE = re.compile(r"bytes=(\d+)-\Z")


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        srv = self.server.owner
        with srv.lock:
            srv.requests.append((self.path, self.headers.get("Range")))
            srv.if_ranges.append(self.headers.get("If-Range"))
            cut = srv.cut_after if srv.cuts_left != 0 else None
            if cut is not None and srv.cuts_left > 0:
                srv.cuts_left -= 1
        if srv.delay:
            time.sleep(srv.delay)
        data = srv.files.get(self.path)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"' if srv.etag else None
        m = _RANGE.match(self.headers.get("Range") or "")
        if_range = self.headers.get("If-Range")
        if m and srv.ranges and (if_range is None or if_range == etag):
            start = int(m.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        if etag:
            self.send_header("ETag", etag)
        if srv.send_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if cut is None else body[:cut])
        self.wfile.flush()
        self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class FileServer:
    """Serve ``files`` ({URL path: bytes}); use as a context manager.

    Parameters
    ----------
    ranges : bool
        Honour ``Range: bytes=N-`` (206, or 416 past the end); False answers 200 with all.
    cut_after : int, optional
        Send only this many bytes of the body (after announcing all), then close.
    cuts : int
        How many answers are cut (-1: all).
    send_length : bool
        Send ``Content-Length``; False ends the body by closing the connection.
    delay : float
        Seconds to wait before answering.
    etag : bool
        Send a strong ``ETag`` (from the content) and honour ``If-Range`` with it.
    """

    def __init__(self, files, *, ranges=True, cut_after=None, cuts=-1, send_length=True, delay=0.0,
                 etag=False):
        self.files = dict(files)
        self.etag = etag
        self.ranges, self.cut_after, self.cuts_left = ranges, cut_after, cuts
        self.send_length, self.delay = send_length, delay
        self.requests = []
        self.if_ranges = []
        self.lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path=""):
        """The URL of ``path`` on this server (the root without an argument)."""
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def refused_url(path="/file.bin"):
    """A loopback URL on a port nothing listens on: connecting is refused, as when offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
