"""Command-line entry points: ``deephealth-train`` and ``deephealth-predict``.

``deephealth-train`` also runs as ``python -m bridge``.
"""

import argparse
import errno
import os
import sys

from ..tta import TTA_PRESETS
from .experiment import MONITORS, ExperimentError, load_yaml, resolve

__all__ = ["main", "predict_main", "train_parser"]


def train_parser():
    """Build the argument parser of ``deephealth-train``."""
    p = argparse.ArgumentParser(
        prog="deephealth-train",
        description="Train a classification or segmentation model on a DeepHealth dataset. "
                    "With no arguments, trains a small CNN on a built-in synthetic "
                    "skin-lesion dataset (generated on first use).")
    p.add_argument("--config", metavar="YAML", help="experiment file; flags override it")
    p.add_argument("--dataset", metavar="DDF", help="dataset YAML (DeepHealth Dataset Format)")
    p.add_argument("--task", choices=["auto", "classification", "segmentation"])
    p.add_argument("--augs", action="append", metavar="SPLIT=FILE", default=[],
                   help="augmentation DSL file for a split (repeatable), e.g. training=aug.txt")
    p.add_argument("--model", help="small_cnn, small_unet or an eddl.zoo name (default: by task)")
    p.add_argument("--optimizer", choices=["adam", "adamw", "sgd", "rmsprop"])
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--loss", help="loss name (default: by task)")
    p.add_argument("--metric", help="metric name (default: by task)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"),
                   help="resize every image to H x W")
    p.add_argument("--seed", type=int)
    p.add_argument("--workers", type=int, help="data loading threads")
    p.add_argument("--name", help="run name (default: dataset name and task)")
    p.add_argument("--out", help="output folder (default ./runs/<name>)")
    p.add_argument("--overlays", type=int, help="segmentation overlay PNGs to write")
    p.add_argument("--monitor", choices=MONITORS,
                   help="what best.npz follows (default val_metric; exact ties break on the "
                        "split's loss, or on its metric when monitoring a loss)")
    p.add_argument("--early-stop", type=int, metavar="N",
                   help="stop after N epochs without a better monitored value (default 0: never)")
    p.add_argument("--fold", type=int, metavar="K",
                   help="train on fold K (0-based) of a k-fold split of the dataset's samples "
                        "outside its test split: stratified by class, written to "
                        "<out>/dataset.yml")
    p.add_argument("--folds", type=int, metavar="N", help="number of folds (default 5)")
    p.add_argument("--group-by", metavar="FEATURE",
                   help="dataset feature holding a group id (e.g. patient): all samples of "
                        "a group land in the same fold")
    p.add_argument("--cross-validate", type=int, metavar="N",
                   help="train every fold of an N-fold split, one run per fold in "
                        "<out>/fold-<k>, and write <out>/cv_summary.csv (per-fold metrics, "
                        "mean and standard deviation)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the last checkpoint in the output folder")
    p.add_argument("--quiet", action="store_true", help="no progress or per-epoch output")
    return p


def _augs_flags(items):
    out = {}
    for item in items:
        split, sep, path = item.partition("=")
        if not sep or not split or not path:
            raise ExperimentError(f"--augs takes SPLIT=FILE, got {item!r}")
        out[split] = path
    return out


def main(argv=None):
    """Run ``deephealth-train``; returns the process exit status.

    Parameters
    ----------
    argv : list of str, optional
        The options of :func:`train_parser` (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for invalid settings or data, 1 when a file cannot be written or
        read (read-only folder, full disk), 130 when interrupted.
    """
    args = train_parser().parse_args(argv)
    from ..loader import SampleError
    from .crossval import run_cross_validation
    from .train import run_experiment  # imports eddl; keep --help fast

    def train():
        file_cfg = load_yaml(args.config) if args.config else {}
        flags = {k: getattr(args, k) for k in ("dataset", "task", "model", "optimizer", "lr",
                                               "loss", "metric", "batch_size", "epochs",
                                               "input_size", "seed", "workers", "name", "out",
                                               "overlays", "monitor", "early_stop", "fold",
                                               "folds", "group_by")}
        flags["augmentations"] = _augs_flags(args.augs) or None
        if args.group_by is not None and args.fold is None and args.cross_validate is None:
            raise ExperimentError("--group-by needs --fold or --cross-validate: it groups the "
                                  "samples of the folds")
        if args.folds is not None and args.fold is None and args.cross_validate is None:
            raise ExperimentError("--folds needs --fold: it says how many folds to split into")
        if args.cross_validate is None:
            run_experiment(resolve(file_cfg, flags), resume=args.resume,
                           verbose=not args.quiet)
            return
        if args.fold is not None or args.folds is not None:
            raise ExperimentError("--cross-validate N runs every fold: it takes neither --fold "
                                  "nor --folds")
        if args.cross_validate < 2:
            raise ExperimentError(f"--cross-validate needs at least 2 folds, got "
                                  f"{args.cross_validate}")
        run_cross_validation(resolve(file_cfg, flags), args.cross_validate,
                             resume=args.resume, verbose=not args.quiet)

    try:
        status, _ = _guarded("deephealth-train", (ValueError, SampleError, RuntimeError), train)
    except KeyboardInterrupt:
        status = 130
    if status:
        from eddl.distributed import abort_distributed

        # the other ranks of an MPI job may be waiting for this one: end them too
        abort_distributed(status)
    return status


def _guarded(prog, user_errors, fn, *args):
    """Call ``fn(*args)``, turning its expected errors into one line on stderr and a status.

    Parameters
    ----------
    prog : str
        Program name that starts the error line.
    user_errors : tuple of type
        Errors in the user's settings or data: exit status 2.
    fn : callable
        The work.
    *args
        Its arguments.

    Returns
    -------
    tuple
        ``(0, fn's result)``; ``(2, None)`` after a user error; ``(1, None)`` after an
        :class:`OSError` (read-only output folder, full disk...: files are written atomically,
        so nothing is left half-written).
    """
    try:
        return 0, fn(*args)
    except user_errors as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2, None
    except OSError as e:
        print(f"{prog}: error: {os_error_message(e)}", file=sys.stderr)
        return 1, None


def os_error_message(e):
    """One line for an operating-system error: what failed, on which file, and why.

    Parameters
    ----------
    e : OSError
        The error.

    Returns
    -------
    str
        E.g. ``cannot write runs/a/state.json: No space left on device``.
    """
    reason = e.strerror or str(e) or type(e).__name__
    if e.filename is None:
        return f"{reason}"
    what = "cannot write" if e.errno in (errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS,
                                          errno.EDQUOT, errno.EFBIG) else "cannot access"
    name = os.fspath(e.filename)
    if os.path.basename(name).startswith(".") and ".tmp" in name:
        name = os.path.dirname(name) or "."  # our temporary's name means nothing to the user
    return f"{what} {name}: {reason}"


def predict_main(argv=None):
    """Run ``deephealth-predict``: a trained run on images or volumes -> CSV (+ pictures).

    Parameters
    ----------
    argv : list of str, optional
        The run folder, the input and the options (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for an invalid run, input or option value, 1 when a file cannot be
        read or written.
    """
    p = argparse.ArgumentParser(
        prog="deephealth-predict",
        description="Predict with a run of deephealth-train on a folder of images (or one "
                    "image), a DICOM series folder or DICOM file, NIfTI volumes, or a "
                    "whole-slide image; writes a CSV and, for segmentation, overlay PNGs (and "
                    "NIfTI masks for NIfTI inputs); a slide gives a heat map PNG and a label "
                    "TIFF. Volumes are predicted slice by slice by 2-D networks.")
    p.add_argument("run", help="output folder of a training run")
    p.add_argument("images", help="folder of images or one image file, a DICOM series folder "
                                  "or DICOM file, a NIfTI file or a folder of NIfTI files, "
                                  "or a slide")
    p.add_argument("--out", help="output folder (default <run>/predictions)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--kind", choices=["auto", "images", "dicom", "nifti", "slide"],
                   default="auto",
                   help="what the input is (default: from the files' content; slides from "
                        "their extension, .svs, .ndpi...: a tiled TIFF slide needs "
                        "--kind slide)")
    p.add_argument("--intensity-window", type=float, nargs=2, metavar=("CENTER", "WIDTH"),
                   help="intensity window for volumes (default: uint8 data / 255, else the "
                        "DICOM window, else the volume's min..max)")
    p.add_argument("--max-overlays", type=int, metavar="N",
                   help="segmentation overlays per volume (default: every slice)")
    p.add_argument("--window", type=int, nargs="+", metavar="N",
                   help="sliding-window inference: H W (2-D network) or H W D (3-D network), "
                        "the network's input size; images and volumes are then predicted at "
                        "their own size, window by window (segmentation runs)")
    p.add_argument("--overlap", type=float,
                   help="fraction of a window shared with its neighbours, in [0, 1) "
                        "(default 0.25)")
    p.add_argument("--blend", choices=["constant", "gaussian"],
                   help="weights of overlapping windows (default constant)")
    p.add_argument("--slide-level", type=int, default=0, metavar="N",
                   help="slides: the pyramid level to tile (default 0, full resolution); "
                        "tiles have the network's input size and --overlap/--blend apply")
    p.add_argument("--slide-cell", type=int, metavar="N",
                   help="slides: level pixels per cell of the heat map and label TIFF "
                        "(default: the tiles' step)")
    p.add_argument("--tta", choices=list(TTA_PRESETS), default="none",
                   help="test-time augmentation: average the predictions of flipped (and "
                        "rotated) copies, mapped back (default none)")
    args = p.parse_args(argv)
    from .predict import _SLIDE_EXT, predict_path

    if args.batch_size < 1:
        p.error(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.intensity_window is not None and not args.intensity_window[1] >= 1:
        p.error(f"--intensity-window WIDTH must be >= 1, got {args.intensity_window[1]}")
    roi = None
    if args.window is not None:
        if len(args.window) not in (2, 3) or min(args.window) < 1:
            p.error(f"--window takes H W or H W D positive sizes, got "
                    f"{' '.join(map(str, args.window))}")
        h, w, *d = args.window
        roi = tuple(d) + (h, w)  # the networks' (D, H, W) axis order
    is_slide = args.kind == "slide" or (args.kind == "auto" and os.path.isfile(args.images)
                                        and args.images.lower().endswith(_SLIDE_EXT))
    if roi is None and not is_slide and (args.overlap is not None or args.blend is not None):
        p.error("--overlap and --blend need --window (or a slide)")
    if not is_slide and (args.slide_level != 0 or args.slide_cell is not None):
        p.error("--slide-level and --slide-cell need a slide input (--kind slide)")
    if is_slide and (roi is not None or args.tta != "none"):
        p.error("a slide is tiled at the network's input size: --window and --tta do not "
                "apply (use --overlap and --blend)")
    if args.slide_level < 0:
        p.error(f"--slide-level must be >= 0, got {args.slide_level}")
    if args.slide_cell is not None and args.slide_cell < 1:
        p.error(f"--slide-cell must be >= 1, got {args.slide_cell}")
    overlap = (0.0 if is_slide else 0.25) if args.overlap is None else args.overlap
    if not 0 <= overlap < 1:
        p.error(f"--overlap must be in [0, 1), got {overlap}")
    windows = {"roi_size": roi, "overlap": overlap, "blend": args.blend or "constant",
               "tta": args.tta}
    slide = {"level": args.slide_level, "overlap": overlap, "blend": args.blend or "constant",
             "downsample": args.slide_cell}
    status, csv_path = _guarded("deephealth-predict", (ValueError, RuntimeError), predict_path,
                                args.run, args.images, args.out, args.batch_size, args.kind,
                                args.intensity_window, args.max_overlays, windows, slide)
    if status:
        return status
    print(f"Predictions written to {csv_path}")
    return 0
