"""Where the original data sets, models and FPGA bitstreams are published.

EDDL (``src/apis/eddl.cpp``) downloads every file from a Dropbox share:
``https://www.dropbox.com/s/<share id>/<file name>``. The tables below keep those share ids
and file names; :data:`BASE_URL` is read at each call, so a mirror with the same layout (or a
test server) is used by setting it, or by passing ``base_url=`` to the fetch functions.
"""

from dataclasses import dataclass

__all__ = ["BASE_URL", "DATASETS", "MODELS", "Dataset", "Model", "url"]

#: The root of every original URL; a mirror must serve ``<BASE_URL>/<share id>/<file name>``.
BASE_URL = "https://www.dropbox.com/s"


@dataclass(frozen=True)
class Dataset:
    """One of EDDL's data sets: files ``<prefix>_trX.bin``, ``_trY``, ``_tsX``, ``_tsY``."""

    prefix: str
    share_ids: tuple
    title: str
    content: str

    @property
    def files(self):
        """The original file names, in the order of :attr:`share_ids`."""
        return tuple(f"{self.prefix}_{split}.bin" for split in ("trX", "trY", "tsX", "tsY")
                     )[:len(self.share_ids)]


@dataclass(frozen=True)
class Model:
    """One of EDDL's pretrained ONNX models."""

    file: str
    share_id: str


#: The data sets of PyEDDL's ``download_<name>()`` functions, keyed by ``<name>``.
DATASETS = {
    "mnist": Dataset("mnist", ("khrb3th2z6owd9t", "m82hmmrg46kcugp", "7psutd4m4wna2d5",
                               "q0tnbjvaenb4tjs"),
                     "MNIST handwritten digits",
                     "x: N x 784 pixels in 0..255; y: N x 10 one-hot; N = 60000 / 10000"),
    "cifar10": Dataset("cifar", ("wap282xox5ew02d", "yxhw99cu1ktiwxq", "dh9vqxe9vt7scrp",
                                 "gdmsve6mbu82ndp"),
                       "CIFAR-10 images",
                       "x: N x 3 x 32 x 32 in 0..255; y: N x 10 one-hot; N = 50000 / 10000"),
    "imdb_2000": Dataset("imdb_2000", ("4m0h8ep53mixq6x", "zekpjclm58tdevk", "1bgdr8mz1lqkhgi",
                                       "6cwob77654lruwq"),
                         "IMDB movie reviews (2000 words)",
                         "x: N x 250 word ids (vocabulary 2000); y: N x 1 sentiment (0/1)"),
    "eutrans": Dataset("eutrans", ("2w0p7f4un6ci94v", "g4k1bc6p4bow9tf", "egcfin16gl9t92y",
                                   "n8ks3lyqyhxx1e8"),
                       "EuTrans translation",
                       "source and target word-id sequences (the examples use length 30 and "
                       "vocabularies of 687 and 514 words)"),
    "flickr": Dataset("flickr", ("452pyxe9x5jpnwb", "24c2d5bm6pug8gg"),
                      "Flickr image captions", "images and captions; training files only"),
    "drive": Dataset("drive", ("tf3uzrsjtv4jiey", "xakcuhby30ylpes"),
                     "DRIVE retina segmentation",
                     "x: images 3 x 584 x 584; y: masks 1 x 584 x 584; training files only"),
}

#: The pretrained models of PyEDDL's ``download_<name>()`` model functions, keyed by ``<name>``.
MODELS = {
    "vgg16": Model("vgg16.onnx", "2ovxkt64y11c083"),
    "vgg16_bn": Model("vgg16bn-7.onnx", "df7nd1ydsba9yp5"),
    "vgg19": Model("vgg19-7.onnx", "859b3zsr4dvvr26"),
    "vgg19_bn": Model("vgg19bn-7.onnx", "93ha0nilvin38rz"),
    "resnet18": Model("resnet18.onnx", "re7jodd12srksd7"),
    "resnet34": Model("resnet34.onnx", "ikcaak0q2cee8k1"),
    "resnet50": Model("resnet50.onnx", "hg4r3z8m6wsnwk3"),
    "resnet101": Model("resnet101.onnx", "eaxjju4ftrwoti0"),
    "resnet152": Model("resnet152.onnx", "phoffbhgnolg95u"),
    "densenet121": Model("densenet121.onnx", "mod7a1pf0eldyd1"),
}


def url(share_id, file, base_url=None):
    """Return the URL of ``file``: ``<base>/<share_id>/<file>``, or ``<base>/<file>`` without an id.

    Examples
    --------
    >>> from eddl.download.sources import url
    >>> url("khrb3th2z6owd9t", "mnist_trX.bin")
    'https://www.dropbox.com/s/khrb3th2z6owd9t/mnist_trX.bin'
    >>> url("khrb3th2z6owd9t", "mnist_trX.bin", base_url="http://mirror.local/eddl/")
    'http://mirror.local/eddl/khrb3th2z6owd9t/mnist_trX.bin'
    """
    base = (BASE_URL if base_url is None else base_url).rstrip("/")
    return f"{base}/{share_id}/{file}" if share_id else f"{base}/{file}"
