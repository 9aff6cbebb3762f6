"""Downloads of EDDL's data sets, pretrained models and bitstreams, with a checked cache.

PyEDDL's functions (``eddl.download_mnist()``, ``eddl.download_model(name, link)``,
``eddl.exist(name)`` ...) put the original files into the current folder and return None.
The pythonic functions here return paths (:func:`fetch`, :func:`fetch_dataset`,
:func:`fetch_model`) or tensors (:func:`load_dataset`). Everything goes through one cache,
``~/.cache/deephealth`` unless ``$DEEPHEALTH_DATA`` or ``cache_dir=`` says otherwise, where
each file is checked against its SHA-256. Nothing is downloaded at import time.
"""

from . import sources
from .cache import ENV_VAR, get_cache_dir
from .datasets import (
    download_cifar10,
    download_drive,
    download_eutrans,
    download_flickr,
    download_imdb_2000,
    download_mnist,
    fetch_dataset,
    load_dataset,
)
from .errors import ChecksumError, DownloadError
from .fetcher import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, fetch
from .local import exist
from .models import download_hlsinf, download_model, fetch_model

#: The names PyEDDL has, exported by ``eddl`` itself.
PYEDDL_NAMES = [
    "download_mnist", "download_cifar10", "download_imdb_2000", "download_eutrans",
    "download_flickr", "download_drive", "download_hlsinf", "download_model", "exist",
]

__all__ = PYEDDL_NAMES + [
    "fetch", "fetch_dataset", "load_dataset", "fetch_model", "get_cache_dir", "DownloadError",
    "ChecksumError", "ENV_VAR", "DEFAULT_TIMEOUT", "DEFAULT_MAX_BYTES", "sources",
]
