"""Name a rank of an MPI job that ends without a Python exception.

Run as a script (``python -I -S _rank_watch.py FD RANK SIZE``) by
:func:`eddl.distributed.init_distributed`, one per rank, as that rank's child; it imports
nothing of the toolkit so that it starts in milliseconds. The rank holds the write end of a
pipe whose read end is ``FD``: it writes one byte when it leaves the world normally (or after
naming itself on an uncaught exception). End of file without that byte, or a new parent, means
the rank is gone: killed by a signal, ``os._exit``, or a crash in compiled code, where no
Python code of the rank could run. The launcher then kills the other ranks with their process
groups, watchers included, so only the watcher of the rank that ended first gets to speak.
"""

import os
import select
import signal
import socket
import sys

# how often the parent is checked where the pipe stays open (a child of the rank forked
# without exec holds a copy of its write end)
POLL_S = 0.05


def watch(fd, rank, size):
    # Ctrl-C reaches the whole group: the rank reports its KeyboardInterrupt itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    # the rank waits for this byte: a rank ending before its watcher runs would go unnamed
    sys.stdout.buffer.write(b"r")
    sys.stdout.buffer.flush()
    sys.stdout.close()
    while True:
        ready, _, _ = select.select([fd], [], [], POLL_S)
        if ready:
            if os.read(fd, 1):
                return 0  # the rank left normally, or has already said why it failed
            break
        if os.getppid() != parent:
            break
    sys.stderr.write(f"eddl.distributed: rank {rank} of {size} (pid {parent} on "
                     f"{socket.gethostname()}) ended without a Python exception: killed by a "
                     f"signal, os._exit or a crash in compiled code; the launcher ends the "
                     f"other ranks\n")
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(watch(*map(int, sys.argv[1:4])))
