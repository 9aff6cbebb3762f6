"""EDDL's data sets: PyEDDL's ``download_<name>()`` and a twin that returns the tensors.

The files keep their original names (``mnist_trX.bin`` ...) and EDDL's ``.bin`` tensor
layout, so :meth:`eddl.Tensor.load` reads them. Each download is checked to be a
well-formed ``.bin`` file before it is kept (a web page instead of the data is refused).
"""

from ..tensor import Tensor
from ..tensor.io import read_bin_header
from . import sources
from .fetcher import fetch
from .local import place_in_cwd

__all__ = ["fetch_dataset", "load_dataset", "download_mnist", "download_cifar10",
           "download_imdb_2000", "download_eutrans", "download_flickr", "download_drive"]


def _dataset(name):
    try:
        return sources.DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown data set {name!r}; valid: {', '.join(sources.DATASETS)}") from None


def fetch_dataset(name, *, cache_dir=None, base_url=None, progress=True, **options):
    """Return the paths of the files of EDDL's data set ``name``, downloading what is missing.

    Files already in the current folder under their original names are used as they are;
    the others come from the cache, or are downloaded into it (see :func:`fetch`).

    Parameters
    ----------
    name : str
        A key of :data:`eddl.download.sources.DATASETS`: ``"mnist"``, ``"cifar10"``,
        ``"imdb_2000"``, ``"eutrans"``, ``"flickr"`` or ``"drive"``.
    cache_dir : str or os.PathLike, optional
        The cache folder (default ``$DEEPHEALTH_DATA`` or ``~/.cache/deephealth``).
    base_url : str, optional
        A mirror serving ``<base_url>/<share id>/<file name>``; default
        :data:`eddl.download.sources.BASE_URL`.
    progress : bool, default True
        Show progress bars; False is quiet.
    **options
        ``timeout``, ``max_bytes``, ``retries``, ``accept_cwd`` of :func:`fetch`.

    Returns
    -------
    list of str
        Training inputs and targets, then test inputs and targets (``trX, trY, tsX, tsY``;
        only the first two for ``"flickr"`` and ``"drive"``).

    Examples
    --------
    >>> from eddl.download import fetch_dataset
    >>> fetch_dataset("mnist")  # doctest: +SKIP
    ['/home/me/.cache/deephealth/mnist_trX.bin', ..., '/home/me/.cache/deephealth/mnist_tsY.bin']
    """
    ds = _dataset(name)
    return [fetch(sources.url(sid, file, base_url), file, cache_dir=cache_dir, progress=progress,
                  validate=read_bin_header, **options)
            for sid, file in zip(ds.share_ids, ds.files)]


def load_dataset(name, *, cache_dir=None, base_url=None, progress=True, **options):
    """Return EDDL's data set ``name`` as tensors, downloading what is missing.

    The pythonic twin of PyEDDL's ``download_<name>()``: the same files, found the same way
    as :func:`fetch_dataset` finds them, loaded with :meth:`eddl.Tensor.load`. Nothing is
    written to the current folder.

    Parameters
    ----------
    name : str
        ``"mnist"``, ``"cifar10"``, ``"imdb_2000"``, ``"eutrans"``, ``"flickr"`` or ``"drive"``.
    cache_dir, base_url, progress, **options
        As for :func:`fetch_dataset`.

    Returns
    -------
    tuple of Tensor
        ``(x_train, y_train, x_test, y_test)``; ``(x_train, y_train)`` for ``"flickr"``
        and ``"drive"``. float32, shaped as stored (MNIST: ``x`` is ``N x 784``).

    Examples
    --------
    >>> from eddl.download import load_dataset
    >>> x_train, y_train, x_test, y_test = load_dataset("mnist")  # doctest: +SKIP
    >>> x_train.shape, y_train.shape  # doctest: +SKIP
    ((60000, 784), (60000, 10))
    """
    paths = fetch_dataset(name, cache_dir=cache_dir, base_url=base_url, progress=progress,
                          **options)
    return tuple(Tensor.load(p) for p in paths)


def _pyeddl_download(name):
    """Make PyEDDL's ``download_<name>()`` for the data set ``name``."""
    ds = _dataset(name)

    def download(*, cache_dir=None, base_url=None, progress=True):
        for path, file in zip(fetch_dataset(name, cache_dir=cache_dir, base_url=base_url,
                                            progress=progress), _dataset(name).files):
            place_in_cwd(path, file)

    files = ", ".join(f"``{f}``" for f in ds.files)
    download.__name__ = download.__qualname__ = f"download_{name}"
    download.__module__ = __name__
    download.__doc__ = f"""Put the {ds.title} data set into the current folder (PyEDDL's name).

    Like PyEDDL, leaves {files} in the current folder, skipping those already there, and
    returns None. Content (float32 ``.bin`` tensors): {ds.content}. They are downloaded once into the cache (default ``~/.cache/deephealth``,
    or ``$DEEPHEALTH_DATA``) and linked or copied from there, so later calls in other folders
    need no network. :func:`eddl.download.load_dataset` returns the tensors instead.

    Parameters
    ----------
    cache_dir : str or os.PathLike, optional
        The cache folder.
    base_url : str, optional
        A mirror with the original layout (``<base_url>/<share id>/<file name>``).
    progress : bool, default True
        Show progress bars; False is quiet.

    Raises
    ------
    eddl.DownloadError
        Offline or on an HTTP error; the message says where to put each file by hand.

    Examples
    --------
    >>> import eddl
    >>> eddl.download_{name}()  # doctest: +SKIP
    >>> x_train = eddl.Tensor.load("{ds.files[0]}")  # doctest: +SKIP
    """
    return download


download_mnist = _pyeddl_download("mnist")
download_cifar10 = _pyeddl_download("cifar10")
download_imdb_2000 = _pyeddl_download("imdb_2000")
download_eutrans = _pyeddl_download("eutrans")
download_flickr = _pyeddl_download("flickr")
download_drive = _pyeddl_download("drive")
