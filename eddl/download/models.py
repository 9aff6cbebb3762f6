"""EDDL's pretrained ONNX models and FPGA bitstreams, fetched by name.

Only the files: turning an ONNX file into a network is the ONNX importer's job
(``download_resnet18()`` and its siblings are built on :func:`fetch_model`).
"""

from . import sources
from .fetcher import fetch
from .local import place_in_cwd

__all__ = ["fetch_model", "download_model", "download_hlsinf"]

_XCLBIN_MAGIC = b"xclbin2\0"


def _onnx_start(path):
    # An ONNX model is a protobuf message; byte '<' (field 7, wire type "end group") cannot
    # start one, but it starts every web page a share link answers with when the file is gone.
    with open(path, "rb") as f:
        head = f.read(64).lstrip()
    if not head or head[:1] == b"<":
        raise ValueError("it is empty or a web page, not an ONNX model")


def _xclbin_start(path):
    with open(path, "rb") as f:
        if f.read(len(_XCLBIN_MAGIC)) != _XCLBIN_MAGIC:
            raise ValueError("it does not start with the xclbin2 magic, so it is not a bitstream")


def fetch_model(name, *, cache_dir=None, base_url=None, sha256=None, progress=True, **options):
    """Return the path of EDDL's pretrained ONNX model ``name``, downloading it when needed.

    A file with the original name in the current folder is used as it is; otherwise the
    cache is used, or the file is downloaded into it (see :func:`fetch`).

    Parameters
    ----------
    name : str
        A key of :data:`eddl.download.sources.MODELS` (``"vgg16"``, ``"vgg16_bn"``,
        ``"vgg19"``, ``"vgg19_bn"``, ``"resnet18"``, ``"resnet34"``, ``"resnet50"``,
        ``"resnet101"``, ``"resnet152"``, ``"densenet121"``) or its file name
        (``"resnet18.onnx"``, ``"vgg16bn-7.onnx"``...).
    cache_dir : str or os.PathLike, optional
        The cache folder (default ``$DEEPHEALTH_DATA`` or ``~/.cache/deephealth``).
    base_url : str, optional
        A mirror serving ``<base_url>/<share id>/<file name>``.
    sha256 : str, optional
        The expected SHA-256 of the file.
    progress : bool, default True
        Show a progress bar; False is quiet.
    **options
        ``timeout``, ``max_bytes``, ``retries``, ``accept_cwd`` of :func:`fetch`.

    Returns
    -------
    str
        The path of the ``.onnx`` file.

    Examples
    --------
    >>> from eddl.download import fetch_model
    >>> fetch_model("resnet18")  # doctest: +SKIP
    '/home/me/.cache/deephealth/resnet18.onnx'
    """
    model = _model(name)
    return fetch(sources.url(model.share_id, model.file, base_url), model.file, sha256=sha256,
                 cache_dir=cache_dir, progress=progress, validate=_onnx_start, **options)


def _model(name):
    by_file = {m.file: m for m in sources.MODELS.values()}
    try:
        return sources.MODELS.get(name) or by_file[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(sources.MODELS)} "
                         "(or their file names)") from None


def download_model(name, link, *, cache_dir=None, progress=True):
    """Put the file ``name`` from the share ``link`` into the current folder (PyEDDL's name).

    As in PyEDDL, the file comes from ``https://www.dropbox.com/s/<link>/<name>`` and is
    skipped when already in the current folder; it is downloaded once into the cache and
    linked or copied from there. ``link`` may also be a whole ``http(s)://`` URL.

    Parameters
    ----------
    name : str
        The file name, e.g. ``"resnet18.onnx"``.
    link : str
        The Dropbox share id (``"re7jodd12srksd7"``) or a URL.
    cache_dir : str or os.PathLike, optional
        The cache folder.
    progress : bool, default True
        Show a progress bar; False is quiet.

    Examples
    --------
    >>> import eddl
    >>> eddl.download_model("resnet18.onnx", "re7jodd12srksd7")  # doctest: +SKIP
    >>> eddl.exist("resnet18.onnx")  # doctest: +SKIP
    True
    """
    if not isinstance(link, str):
        raise TypeError(f"download_model: link must be a str, got {type(link).__name__}")
    url = link if link.startswith(("http://", "https://")) else sources.url(link, name)
    place_in_cwd(fetch(url, name, cache_dir=cache_dir, progress=progress), name)


def download_hlsinf(version, subversion, *, cache_dir=None, base_url=None, progress=True):
    """Put the HLSinf FPGA bitstream ``hlsinf_v<version>.<subversion>.xclbin`` into the current folder.

    PyEDDL's name. EDDL fetches it from ``https://www.dropbox.com/s/<file name>``, with no
    share id, which Dropbox does not serve as a file; the same URL is kept, so with the
    original sources this fails, and the error says where to put a bitstream obtained
    otherwise (or give ``base_url=`` a server holding ``<base_url>/<file name>``). The
    download is refused unless it starts with the ``xclbin2`` magic.

    Parameters
    ----------
    version, subversion : int
        For example ``1, 0`` for ``hlsinf_v1.0.xclbin``.
    cache_dir : str or os.PathLike, optional
        The cache folder.
    base_url : str, optional
        A server holding the bitstreams by file name.
    progress : bool, default True
        Show a progress bar; False is quiet.

    Examples
    --------
    >>> import eddl
    >>> eddl.download_hlsinf(1, 0)  # doctest: +SKIP
    """
    for arg, value in (("version", version), ("subversion", subversion)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"download_hlsinf: {arg} must be a non-negative integer, got {value!r}")
    file = f"hlsinf_v{version}.{subversion}.xclbin"
    path = fetch(sources.url("", file, base_url), file, cache_dir=cache_dir, progress=progress,
                 validate=_xclbin_start)
    place_in_cwd(path, file)
