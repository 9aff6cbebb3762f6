"""Progress bars of the training loops (tqdm), shown only on a terminal."""

import sys

__all__ = ["batch_bar", "is_terminal"]

#: seconds between redraws: a redraw costs more than a small batch
MININTERVAL = 0.2


def is_terminal(stream):
    """Whether ``stream`` is an interactive terminal (False when it cannot tell)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


def batch_bar(total, desc, stream=None):
    """Make a tqdm bar over ``total`` batches on ``stream``, or None when it is no terminal.

    A bar redraws itself with carriage returns; in a log file or a pipe those become one
    garbled line per refresh, so redirected output gets only the per-epoch lines.

    Parameters
    ----------
    total : int
        Number of batches.
    desc : str
        Text before the bar (``"Epoch 3/10"``).
    stream : file, optional
        Default :data:`sys.stdout` (looked up at call time, so redirections apply).

    Returns
    -------
    tqdm.tqdm or None
        Erased when closed (``leave=False``): the epoch's summary line takes its place. None
        as well when tqdm (a dependency of the package) is missing from a source checkout.
    """
    stream = sys.stdout if stream is None else stream
    if not is_terminal(stream):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    return tqdm(total=total, desc=desc, file=stream, leave=False, unit="batch",
                dynamic_ncols=True, mininterval=MININTERVAL)
