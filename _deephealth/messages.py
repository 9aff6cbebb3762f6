"""Text that error messages echo from files, kept to one bounded line."""

__all__ = ["one_line"]


def one_line(value, limit=200):
    r"""Return ``str(value)`` on one line (white space folded), cut to ``limit`` characters.

    Values come from files that may be damaged or hostile: a message must stay one readable
    line, however large or multi-line the value.

    Examples
    --------
    >>> one_line("a\n  b")
    'a b'
    >>> one_line("x" * 300, limit=5)
    'xxxxx...'
    """
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit] + "..."
