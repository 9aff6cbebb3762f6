"""Whole-slide images through openslide-python (with the openslide-bin library)."""

import os

import numpy as np

from ..core.enums import ColorType
from ..core.errors import EcvlError, EcvlValueError, ImageIOError
from ..core.image import Image
from ..core.metadata import MetaData
from ._common import check_readable, reading

__all__ = ["OpenSlideImage", "available_memory"]


def available_memory():
    """Bytes of memory available to a new allocation (``MemAvailable`` on Linux).

    Returns
    -------
    int
        Available bytes, or 2**63 - 1 when the system does not say.
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2 ** 63 - 1


def _rgba_to_canonical(pil):
    a = np.asarray(pil)
    if a.ndim == 3 and a.shape[2] == 4:
        # OpenSlide marks pixels outside the scanned area fully transparent: show them white.
        rgb = a[..., :3].copy()
        rgb[a[..., 3] == 0] = 255
        return rgb
    return np.ascontiguousarray(np.asarray(pil.convert("RGB")))


class OpenSlideImage:
    """An open whole-slide image (Aperio, Hamamatsu, generic tiled TIFF, ...).

    The file stays open until :meth:`Close` (or the end of a ``with`` block), so
    reading many regions does not reopen it.

    Parameters
    ----------
    filename : str or os.PathLike
        The slide.
    max_bytes : int, optional
        Largest region :meth:`ReadRegion` may allocate; default: half the memory
        available when the slide is opened.

    Examples
    --------
    >>> import ecvl
    >>> with ecvl.OpenSlideImage("slide.tiff") as slide:          # doctest: +SKIP
    ...     print(slide.GetLevelCount(), slide.GetLevelsDimensions())
    ...     region = slide.ReadRegion(0, [1000, 2000, 512, 512])    # "cxy" RGB uint8
    ...     for x, y, tile in slide.tiles(level=1, size=1024):
    ...         pass
    """

    def __init__(self, filename, max_bytes=None):
        import openslide

        self.filename = check_readable(filename)
        with reading(self.filename, "opening slide"):
            try:
                self._slide = openslide.OpenSlide(self.filename)
            except openslide.OpenSlideUnsupportedFormatError:
                raise ImageIOError(self.filename, "not a slide format OpenSlide supports") from None
        self.max_bytes = int(max_bytes) if max_bytes is not None else available_memory() // 2

    # context manager and lifetime
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.Close()

    def Close(self):
        """Close the slide; later reads raise an error."""
        if self._slide is not None:
            self._slide.close()
            self._slide = None

    close = Close

    def _handle(self):
        if self._slide is None:
            raise EcvlError(f"{self.filename}: the slide is closed")
        return self._slide

    def __repr__(self):
        state = "closed" if self._slide is None else f"{self.GetLevelCount()} levels"
        return f"OpenSlideImage({self.filename!r}, {state})"

    # levels
    def GetLevelCount(self):
        """Return the number of resolution levels."""
        return self._handle().level_count

    def GetLevelsDimensions(self):
        """Return ``[(width, height), ...]`` per level, level 0 first."""
        return [tuple(d) for d in self._handle().level_dimensions]

    def GetLevelDownsamples(self):
        """Return the downsample factor of each level relative to level 0."""
        return [float(d) for d in self._handle().level_downsamples]

    def GetBestLevelForDownsample(self, downsample):
        """Return the level to read for a wanted downsample factor (-1 when invalid)."""
        try:
            downsample = float(downsample)
        except (TypeError, ValueError):
            return -1
        if not downsample > 0:
            return -1
        return int(self._handle().get_best_level_for_downsample(downsample))

    level_count = property(GetLevelCount)
    level_dimensions = property(GetLevelsDimensions)
    level_downsamples = property(GetLevelDownsamples)

    # properties and associated images
    @property
    def properties(self):
        """Slide properties (vendor, objective power, microns per pixel, ...) as a dict."""
        return dict(self._handle().properties)

    def GetProperties(self, dst):
        """Store the slide properties in ``dst.meta_`` (PyECVL).

        Parameters
        ----------
        dst : Image
            Image whose metadata receives the properties.
        """
        for key, value in self.properties.items():
            dst.meta_[key] = MetaData(value)

    @property
    def associated_images(self):
        """Names of the associated images (label, macro, thumbnail, ...)."""
        return sorted(self._handle().associated_images.keys())

    def associated_image(self, name):
        """Return the associated image `name` as an ``"xyc"`` RGB image."""
        images = self._handle().associated_images
        if name not in images:
            raise EcvlValueError(f"{self.filename}: no associated image {name!r}; have {sorted(images)}")
        return Image.from_canonical(_rgba_to_canonical(images[name]), "xyc", ColorType.RGB)

    def thumbnail(self, size=(512, 512)):
        """Return a thumbnail fitting in ``size = (width, height)``, ``"xyc"`` RGB."""
        w, h = (int(s) for s in size)
        if w <= 0 or h <= 0:
            raise EcvlValueError(f"thumbnail size must be positive, got {size}")
        with reading(self.filename, "making thumbnail"):
            pil = self._handle().get_thumbnail((w, h))
        return Image.from_canonical(_rgba_to_canonical(pil), "xyc", ColorType.RGB)

    def _spacings(self, level):
        props = self._handle().properties
        ds = self.GetLevelDownsamples()[level]
        try:
            mx = float(props["openslide.mpp-x"]) * ds / 1000.0
            my = float(props["openslide.mpp-y"]) * ds / 1000.0
        except (KeyError, ValueError):
            return None
        return [mx, my]

    # regions
    def read_region(self, x, y, w, h, level=0):
        """Return the ``w`` x ``h`` region at `level` whose top-left is (x, y) in level-0 pixels.

        Parameters
        ----------
        x, y : int
            Top-left corner in level-0 coordinates.
        w, h : int
            Size in pixels of `level`.
        level : int, optional
            Resolution level.

        Returns
        -------
        Image
            ``"xyc"`` RGB uint8; parts outside the slide are white. Spacings (mm)
            come from the slide's microns-per-pixel when known.

        Raises
        ------
        EcvlValueError
            Bad level or size, or a region needing more than ``max_bytes``.
        """
        slide = self._handle()
        level, w, h = int(level), int(w), int(h)
        if not 0 <= level < slide.level_count:
            raise EcvlValueError(f"{self.filename}: level {level} out of range 0..{slide.level_count - 1}")
        if w <= 0 or h <= 0:
            raise EcvlValueError(f"{self.filename}: region size {w}x{h} must be positive")
        need = w * h * 4 * 2  # OpenSlide's RGBA buffer plus our RGB copy
        if need > self.max_bytes:
            raise EcvlValueError(
                f"{self.filename}: region {w}x{h} at level {level} needs about {need / 2**30:.2f} GiB, more "
                f"than the {self.max_bytes / 2**30:.2f} GiB allowed; read it in tiles (tiles()) or a lower level")
        with reading(self.filename, f"reading region {w}x{h} at ({x}, {y}) level {level}"):
            pil = slide.read_region((int(x), int(y)), level, (w, h))
        sp = self._spacings(level)
        return Image.from_canonical(_rgba_to_canonical(pil), "xyc", ColorType.RGB,
                                    sp + [1.0] if sp else None)

    def ReadRegion(self, level, dims):
        """Read a region (PyECVL): ``dims = [x, y, w, h]``, x/y in level-0 coordinates.

        Parameters
        ----------
        level : int
            Resolution level.
        dims : sequence of int
            ``[x, y, w, h]``.

        Returns
        -------
        Image
            ``"cxy"`` RGB uint8, as PyECVL returns.
        """
        if len(dims) != 4:
            raise EcvlValueError(f"ReadRegion: dims must be [x, y, w, h], got {dims}")
        img = self.read_region(dims[0], dims[1], dims[2], dims[3], level)
        sp = img.spacings_
        return Image.from_canonical(img.canonical(), "cxy", ColorType.RGB,
                                    [1.0, sp[0], sp[1]] if sp else None)

    def tiles(self, level=0, size=512, overlap=0):
        """Iterate over the whole slide at `level` in tiles, without loading it at once.

        Parameters
        ----------
        level : int, optional
            Resolution level.
        size : int or (int, int), optional
            Tile width and height in pixels of `level`.
        overlap : int, optional
            Pixels shared by neighbouring tiles.

        Yields
        ------
        x, y : int
            Top-left corner of the tile in level-0 coordinates.
        tile : Image
            ``"xyc"`` RGB uint8; tiles on the right and bottom edges are cropped to
            the slide.
        """
        tw, th = (size, size) if np.isscalar(size) else size
        tw, th, overlap = int(tw), int(th), int(overlap)
        if tw <= 0 or th <= 0 or not 0 <= overlap < min(tw, th):
            raise EcvlValueError(f"tiles: need size > 0 and 0 <= overlap < size, got size={size} overlap={overlap}")
        W, H = self.GetLevelsDimensions()[level] if 0 <= level < self.GetLevelCount() else (None, None)
        if W is None:
            raise EcvlValueError(f"{self.filename}: level {level} out of range 0..{self.GetLevelCount() - 1}")
        ds = self.GetLevelDownsamples()[level]
        for ly in range(0, H, th - overlap):
            for lx in range(0, W, tw - overlap):
                w, h = min(tw, W - lx), min(th, H - ly)
                x0, y0 = int(round(lx * ds)), int(round(ly * ds))
                yield x0, y0, self.read_region(x0, y0, w, h, level)
                if lx + tw >= W:
                    break
            if ly + th >= H:
                break
