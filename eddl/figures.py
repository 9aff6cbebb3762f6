"""Figures of training and evaluation, drawn with matplotlib.

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure` (shown inline in a
notebook) and has a ``save_*`` twin that writes it as a PNG atomically: the file is complete or
absent, never half written. Figures are made without :mod:`matplotlib.pyplot` on the Agg
canvas, so nothing needs a display and no global figure state is kept; matplotlib itself is
imported on first use only, so ``import eddl`` stays fast.
"""

import math

import numpy as np

from _deephealth.atomic import atomic_path

from .metrics import curves
from .metrics.functional import _host, average_precision, roc_auc

__all__ = ["plot_training_curves", "plot_confusion_matrix", "plot_roc", "plot_pr",
           "plot_lr_finder", "plot_calibration", "plot_overlay", "plot_slice_sheet",
           "save_figure", "save_training_curves", "save_confusion_matrix", "save_roc", "save_pr",
           "save_lr_finder", "save_calibration", "save_overlay", "save_slice_sheet",
           "slice_indices", "plot_class_scores", "save_class_scores"]

_TRAIN, _VAL, _BEST = "#1f77b4", "#d62728", "#2ca02c"


def _figure(figsize, layout="constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, dpi=120):
    r"""Write ``fig`` as a PNG at ``path`` atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike
        Destination; its folder must exist.
    dpi : int, optional
        Resolution (120 gives about 1000 pixels across the default figures).

    Examples
    --------
    >>> import os, tempfile
    >>> fig = plot_lr_finder([1e-4, 1e-3, 1e-2], [1.0, 0.5, 2.0])
    >>> p = os.path.join(tempfile.mkdtemp(), "lr.png")
    >>> save_figure(fig, p)
    >>> open(p, "rb").read(4) == b"\x89PNG"
    True
    """
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)


# ---------------------------------------------------------------------------------------------
# training curves

def _flat_rows(history):
    """Per-epoch dicts with plain keys from :func:`eddl.fit`'s or ``deephealth-train``'s history."""
    rows = []
    for i, row in enumerate(history):
        if not isinstance(row, dict):
            raise TypeError(f"history[{i}] must be a dict, got {type(row).__name__}")
        row = row["logs"] if isinstance(row.get("logs"), dict) else row
        flat = {(k[6:] if k.startswith("train_") else k): v for k, v in row.items()}
        flat.setdefault("epoch", i + 1)
        rows.append(flat)
    return rows


def _series(rows, key):
    vals = []
    for r in rows:
        v = r.get(key)
        vals.append(math.nan if v is None or isinstance(v, (list, tuple)) else float(v))
    return np.array(vals, dtype=np.float64)


def plot_training_curves(history, metric="metric", metric_name=None, best_epoch=None,
                         loss_scale="auto"):
    """Loss and metric per epoch, training and validation, with the best epoch marked.

    Parameters
    ----------
    history : list of dict
        One dict per epoch: the flat logs of :func:`eddl.fit` (``loss``, ``val_loss``,
        ``metric``, ... or the ``"logs"`` entry of each record it returns), or
        ``deephealth-train``'s rows (``train_loss``, ``val_loss``, ...). Missing or None
        values are left out.
    metric : str, optional
        Log key of the metric panel (its validation twin is ``"val_" + metric``).
    metric_name : str, optional
        Title of the metric panel (default ``metric``).
    best_epoch : int, optional
        Epoch to mark; default the one with the lowest validation loss (training loss
        without validation).
    loss_scale : {"auto", "log", "linear"}
        ``"auto"`` is logarithmic when every loss is positive.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, loss and metric; only the loss panel when no metric is logged.

    Examples
    --------
    >>> h = [{"loss": 1.0, "val_loss": 0.9, "metric": 0.5, "val_metric": 0.6},
    ...      {"loss": 0.5, "val_loss": 0.6, "metric": 0.8, "val_metric": 0.7}]
    >>> fig = plot_training_curves(h, metric_name="accuracy")
    >>> [ax.get_yscale() for ax in fig.axes]
    ['log', 'linear']
    """
    if loss_scale not in ("auto", "log", "linear"):
        raise ValueError(f"loss_scale must be 'auto', 'log' or 'linear', got {loss_scale!r}")
    rows = _flat_rows(history)
    if not rows:
        raise ValueError("plot_training_curves: the history is empty")
    from matplotlib.ticker import MaxNLocator

    epochs = _series(rows, "epoch")
    losses = (_series(rows, "loss"), _series(rows, "val_loss"))
    if best_epoch is None:
        ref = losses[1] if np.isfinite(losses[1]).any() else losses[0]
        best_epoch = int(epochs[np.nanargmin(ref)]) if np.isfinite(ref).any() else None
    panels = [("loss", losses)]
    metrics = (_series(rows, metric), _series(rows, "val_" + metric))
    if any(np.isfinite(m).any() for m in metrics):  # a model built without metrics has none
        panels.append((metric_name or metric, metrics))
    fig = _figure((4.5 * len(panels), 3.6))
    for j, (title, (tr, va)) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), j + 1)
        for ys, label, colour in ((tr, "training", _TRAIN), (va, "validation", _VAL)):
            ok = np.isfinite(ys)
            if ok.any():
                ax.plot(epochs[ok], ys[ok], "o-", ms=3, lw=1.5, color=colour, label=label)
        if j == 0:
            finite = np.concatenate([s[np.isfinite(s)] for s in losses])
            if loss_scale == "log" or (loss_scale == "auto" and finite.size and finite.min() > 0):
                ax.set_yscale("log")
        if best_epoch is not None:
            ax.axvline(best_epoch, color=_BEST, ls="--", lw=1, label=f"best epoch ({best_epoch})")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.35)
        ax.grid(True, which="minor", alpha=0.12)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    if handles:
        # above the panels, never over the data
        fig.legend(handles, labels, loc="outside upper center", ncol=len(handles), frameon=False)
    return fig


def save_training_curves(history, path, **kwargs):
    """Write :func:`plot_training_curves` as a PNG (keywords as there).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "curves.png")
    >>> save_training_curves([{"loss": 1.0}, {"loss": 0.5}], p)
    >>> os.path.getsize(p) > 0
    True
    """
    save_figure(plot_training_curves(history, **kwargs), path)


# ---------------------------------------------------------------------------------------------
# confusion matrix

_NORMALIZE = {"true": ("fraction of the true class", 1), "pred": ("fraction of the prediction", 0),
              "all": ("fraction of all samples", None)}


def plot_confusion_matrix(cm, class_names=None, normalize="true", title=None, cmap="Blues"):
    r"""Confusion matrix with counts, normalised fractions and a colour bar.

    Parameters
    ----------
    cm : array_like
        ``[C, C]`` counts, ``cm[i, j]`` samples of true class ``i`` predicted as ``j``
        (:func:`eddl.metrics.confusion_matrix`).
    class_names : list of str, optional
    normalize : {"true", "pred", "all", None}
        Colour by the fraction of each row (true class: the recalls on the diagonal), of each
        column (precisions), of all samples, or by the counts (None). Cells show the count
        and, when normalised, the fraction.
    title : str, optional
    cmap : str, optional
        A matplotlib colour map name.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_confusion_matrix([[5, 1], [2, 7]], ["benign", "malignant"])
    >>> [t.get_text() for t in fig.axes[0].texts][:2]
    ['5\n83.3%', '1\n16.7%']
    """
    cm = np.asarray(_host(cm, "cm"))
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] < 1:
        raise ValueError(f"cm must be a square [C, C] matrix, got shape {list(cm.shape)}")
    if not np.all(np.isfinite(cm)) or (cm < 0).any():
        raise ValueError("cm must hold finite non-negative counts")
    if normalize is not None and normalize not in _NORMALIZE:
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}")
    c = cm.shape[0]
    names = [str(k) for k in range(c)] if class_names is None else [str(n) for n in class_names]
    if len(names) != c:
        raise ValueError(f"{len(names)} class names for a {c}x{c} confusion matrix")
    if normalize is None:
        values, label, vmax = cm.astype(np.float64), "count", max(float(cm.max()), 1.0)
    else:
        label, axis = _NORMALIZE[normalize]
        den = cm.sum() if axis is None else cm.sum(axis=axis, keepdims=True)
        values = np.divide(cm, den, out=np.zeros(cm.shape), where=np.asarray(den) > 0)
        vmax = 1.0
    side = min(2.2 + 0.6 * c, 14.0)
    # "compressed" lays out fixed-aspect axes: "constrained" clipped the label left of long
    # class names
    fig = _figure((side + 1.6, side), layout="compressed")
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax, label=label, shrink=0.85)
    if c <= 30:  # beyond that the numbers no longer fit their cells
        for i in range(c):
            for j in range(c):
                count = f"{cm[i, j]:g}"
                text = count if normalize is None else f"{count}\n{values[i, j]:.1%}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if values[i, j] > 0.6 * vmax else "black")
    tilt = c > 4 or sum(len(n) for n in names) > 30  # names that would run into each other
    ax.set_xticks(range(c), names, rotation=30 if tilt else 0, ha="right" if tilt else "center",
                  rotation_mode="anchor")
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return fig


def save_confusion_matrix(cm, path, **kwargs):
    """Write :func:`plot_confusion_matrix` as a PNG (keywords as there)."""
    save_figure(plot_confusion_matrix(cm, **kwargs), path)


# ---------------------------------------------------------------------------------------------
# ROC and precision-recall curves

def _score_columns(y_true, y_score, fn_name):
    """``(membership [N, K], scores [N, K], binary)``: one column per curve to draw."""
    s = _host(y_score, "y_score").astype(np.float64)
    if s.ndim == 2 and s.shape[1] == 2:
        s = s[:, 1]  # two-class softmax: the second column is the positive class
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim == 1:
        t = _host(y_true, "y_true")
        if t.ndim == 2:
            t = t[:, -1]  # [N, 1] targets, or one-hot [N, 2] rows: the positive column
        return t.reshape(-1, 1), s.reshape(-1, 1), True
    if s.ndim != 2:
        raise ValueError(f"{fn_name}: y_score must be [N] or [N, C], got shape {list(s.shape)}")
    onehot = curves.one_vs_rest(y_true, s.shape[1])
    if onehot.shape[0] != s.shape[0]:
        raise ValueError(f"{fn_name}: {onehot.shape[0]} labels for {s.shape[0]} score rows")
    return onehot, s, False


def _ranking_figure(y_true, y_score, class_names, title, kind):
    roc = kind == "roc"
    fn_name = "plot_roc" if roc else "plot_pr"
    onehot, s, binary = _score_columns(y_true, y_score, fn_name)
    curve = curves.roc_curve if roc else curves.precision_recall_curve
    area, area_name = (roc_auc, "AUC") if roc else (average_precision, "AP")
    names = (["positive"] if binary else [str(k) for k in range(s.shape[1])]) \
        if class_names is None else [str(n) for n in class_names]
    if binary and class_names is not None and len(names) == 2:
        names = names[1:]
    if len(names) != s.shape[1]:
        raise ValueError(f"{fn_name}: {len(names)} class names for {s.shape[1]} score columns")
    fig = _figure((6.4, 4.8) if binary else (7.6, 4.8))
    ax = fig.add_subplot()
    drawn = 0
    for k in range(s.shape[1]):
        t = onehot[:, k].astype(np.int64)
        if t.min(initial=1) == t.max(initial=0) and (roc or t.max(initial=0) == 0):
            continue  # a class with no positive (or, for ROC, no negative) sample has no curve
        x, y = _xy(curve, t, s[:, k], roc)
        ax.plot(x, y, lw=1.6, label=f"{names[k]} ({area_name} {area(t, s[:, k]):.3f})")
        drawn += 1
    if drawn == 0:
        raise ValueError(f"{fn_name}: no class has both positive and negative samples")
    if not binary and s.shape[1] > 2:
        t, sc = onehot.ravel().astype(np.int64), s.ravel()
        x, y = _xy(curve, t, sc, roc)
        ax.plot(x, y, "k--", lw=1.2, label=f"micro-average ({area_name} {area(t, sc):.3f})")
    if roc:
        ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="chance")
        ax.set_xlabel("false positive rate (1 - specificity)")
        ax.set_ylabel("true positive rate (sensitivity)")
    else:
        prevalence = float(onehot.mean()) if not binary else float(onehot[:, 0].mean())
        ax.axhline(prevalence, color="0.6", ls=":", lw=1, label=f"chance ({prevalence:.2f})")
        ax.set_xlabel("recall (sensitivity)")
        ax.set_ylabel("precision")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.35)
    ax.set_title(title or ("ROC curve" if roc else "precision-recall curve")
                 + ("" if binary else " (one-vs-rest)"))
    # beside the axes, never over the curves
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, fontsize=8)
    return fig


def _xy(curve, t, s, roc):
    if roc:
        fpr, tpr, _ = curve(t, s)
        return fpr, tpr
    p, r, _ = curve(t, s)
    return r, p


def plot_roc(y_true, y_score, class_names=None, title=None):
    """ROC curves, binary or one-vs-rest per class, with their areas.

    Parameters
    ----------
    y_true : array_like
        ``[N]`` labels (0/1 for a binary problem), or ``[N, C]`` one-hot rows.
    y_score : array_like
        ``[N]`` or ``[N, 1]`` positive-class scores (binary); ``[N, 2]`` two-class scores
        (binary, the second column is the positive class); ``[N, C]`` class scores
        (one curve per class against the rest, plus the micro-average).
    class_names : list of str, optional
        One per class (for a binary problem, the negative and positive names or just one).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Classes with no positive or no negative sample are left out.

    Examples
    --------
    >>> fig = plot_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'positive (AUC 0.750)'
    """
    return _ranking_figure(y_true, y_score, class_names, title, "roc")


def save_roc(y_true, y_score, path, **kwargs):
    """Write :func:`plot_roc` as a PNG (keywords as there)."""
    save_figure(plot_roc(y_true, y_score, **kwargs), path)


def plot_pr(y_true, y_score, class_names=None, title=None):
    """Precision-recall curves, binary or one-vs-rest, with their average precision.

    Inputs as :func:`plot_roc`; classes without a positive sample are left out. The chance
    line is the prevalence of the positives.

    Examples
    --------
    >>> fig = plot_pr([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'positive (AP 0.833)'
    """
    return _ranking_figure(y_true, y_score, class_names, title, "pr")


def save_pr(y_true, y_score, path, **kwargs):
    """Write :func:`plot_pr` as a PNG (keywords as there)."""
    save_figure(plot_pr(y_true, y_score, **kwargs), path)


# ---------------------------------------------------------------------------------------------
# learning-rate finder and calibration

def plot_lr_finder(lrs, losses, suggestion=None, raw_losses=None):
    """Loss against learning rate of a range test (log-scale rates), suggestion marked.

    Parameters
    ----------
    lrs, losses : array_like
        The rates tried and the (smoothed) loss after each.
    suggestion : float, optional
        The suggested rate, drawn as a dashed line and a point on the curve.
    raw_losses : array_like, optional
        The unsmoothed losses, drawn faintly behind.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_lr_finder([1e-4, 1e-3, 1e-2], [1.0, 0.5, 2.0], suggestion=1e-3)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    if lrs.ndim != 1 or lrs.shape != losses.shape or lrs.size == 0:
        raise ValueError(f"lrs and losses must be 1-D of one length, got {list(lrs.shape)} and "
                         f"{list(losses.shape)}")
    if (lrs <= 0).any():
        raise ValueError("learning rates must be positive (they are drawn on a log scale)")
    fig = _figure((6.4, 4.2))
    ax = fig.add_subplot()
    if raw_losses is not None:
        ax.plot(lrs, np.asarray(raw_losses, dtype=np.float64), color=_TRAIN, alpha=0.25, lw=1,
                label="loss")
    ax.plot(lrs, losses, color=_TRAIN, lw=1.8, label="smoothed loss" if raw_losses is not None
            else "loss")
    if suggestion is not None:
        k = int(np.argmin(np.abs(np.log(lrs) - math.log(suggestion))))
        ax.axvline(suggestion, color=_BEST, ls="--", lw=1)
        ax.plot([lrs[k]], [losses[k]], "o", color=_BEST, label=f"suggested lr {suggestion:.2e}")
    finite = losses[np.isfinite(losses)]
    if raw_losses is not None and finite.size:
        # the noisy raw losses of the diverging end would squash the smoothed curve
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.05 * (hi - lo) or 0.05 * abs(hi) or 0.05
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)
    ax.set_title("learning-rate range test")
    ax.legend(frameon=False)
    return fig


def save_lr_finder(lrs, losses, path, **kwargs):
    """Write :func:`plot_lr_finder` as a PNG (keywords as there)."""
    save_figure(plot_lr_finder(lrs, losses, **kwargs), path)


def plot_calibration(y_true, y_prob, n_bins=10, strategy="uniform", title=None):
    """Reliability diagram with the histogram of predicted probabilities below.

    Parameters
    ----------
    y_true : array_like
        ``[N]`` labels (0/1 for a binary problem) or ``[N, C]`` one-hot rows.
    y_prob : array_like
        ``[N]`` or ``[N, 1]`` probabilities of the positive class, ``[N, 2]`` two-class
        probabilities, or ``[N, C]`` class probabilities: then the top-label confidence
        (largest probability) is compared with how often the arg-max is right.
    n_bins : int
    strategy : {"uniform", "quantile"}
        As :func:`eddl.metrics.curves.calibration_curve`.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The legend gives the expected calibration error (ECE): the sample-weighted mean gap
        between accuracy and confidence over the bins.

    Examples
    --------
    >>> fig = plot_calibration([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    >>> fig.axes[0].get_legend().get_texts()[1].get_text()
    'model (ECE 0.175)'
    """
    p = _host(y_prob, "y_prob").astype(np.float64)
    t = _host(y_true, "y_true")
    if p.ndim == 2 and p.shape[1] == 2:
        p = p[:, 1]
        t = t[:, 1] if t.ndim == 2 else t
    if p.ndim == 2 and p.shape[1] == 1:
        p, t = p[:, 0], (t[:, 0] if t.ndim == 2 else t)
    if p.ndim == 2:
        onehot = curves.one_vs_rest(t, p.shape[1])
        t = onehot[np.arange(p.shape[0]), p.argmax(axis=1)].astype(np.int64)
        p, what = p.max(axis=1), ("confidence (largest probability)", "accuracy")
    else:
        what = ("mean predicted probability", "fraction of positives")
    frac, mean, counts = curves.calibration_curve(t, p, n_bins, strategy, return_counts=True)
    ece = float(np.sum(counts * np.abs(frac - mean)) / max(counts.sum(), 1))
    fig = _figure((5.6, 6.0))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="perfectly calibrated")
    top.plot(mean, frac, "o-", color=_TRAIN, lw=1.6, ms=4, label=f"model (ECE {ece:.3f})")
    top.set_ylabel(what[1])
    top.set_xlim(-0.01, 1.01)
    top.set_ylim(-0.01, 1.01)
    top.grid(True, alpha=0.35)
    top.legend(loc="upper left", frameon=False)
    top.set_title(title or "calibration")
    bottom.hist(p, bins=n_bins if strategy == "uniform" else 20, range=(0, 1), color=_TRAIN,
                alpha=0.7)
    bottom.set_xlabel(what[0])
    bottom.set_ylabel("samples")
    bottom.grid(True, alpha=0.35)
    return fig


def save_calibration(y_true, y_prob, path, **kwargs):
    """Write :func:`plot_calibration` as a PNG (keywords as there)."""
    save_figure(plot_calibration(y_true, y_prob, **kwargs), path)


# ---------------------------------------------------------------------------------------------
# segmentation overlays and volume slice sheets

_AXIS_NAMES = ("z", "y", "x")


def _class_colours(n):
    """``[n, 4]`` RGBA colours of classes ``0..n-1`` (tab10, then tab20 beyond ten classes)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return np.array([cmap(k % cmap.N) for k in range(n)], dtype=np.float64)


def _check_labels(labels, class_names, what):
    lab = np.asarray(_host(labels, what))
    if lab.dtype.kind == "b":
        lab = lab.astype(np.int64)
    if lab.dtype.kind not in "iu":
        raise ValueError(f"{what} must hold integer class labels, got dtype {lab.dtype}")
    if lab.size and lab.min() < 0:
        raise ValueError(f"{what} must hold labels >= 0, got {int(lab.min())}")
    top = int(lab.max()) + 1 if lab.size else 1
    if class_names is None:
        names = [str(k) for k in range(max(top, 2))]
    else:
        names = [str(n) for n in class_names]
        if top > len(names):
            raise ValueError(f"{what} holds label {top - 1} but only {len(names)} class names "
                             "were given")
    return lab, names


def _label_rgba(lab, n_classes, alpha, background):
    """RGBA picture of a label map: each class its colour, the background transparent."""
    colours = _class_colours(n_classes)
    colours[:, 3] = alpha
    if background is not None and 0 <= background < n_classes:
        colours[background, 3] = 0.0
    return colours[lab]


def _class_legend(fig_or_ax, names, background, present=None, **kw):
    from matplotlib.patches import Patch

    colours = _class_colours(len(names))
    handles = [Patch(facecolor=colours[k], edgecolor="none", label=names[k])
               for k in range(len(names))
               if k != background and (present is None or k in present)]
    if handles:
        fig_or_ax.legend(handles=handles, frameon=False, fontsize=8, **kw)
    return handles


def _check_image(image):
    img = np.asarray(_host(image, "image"))
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise ValueError(f"image must be (H, W) grey or (H, W, 3|4) colour, got shape "
                         f"{list(img.shape)}")
    if img.ndim == 3 and img.dtype != np.uint8:
        img = np.clip(img.astype(np.float64), 0.0, 1.0)  # imshow wants floats in [0, 1]
    return img


def _show_image(ax, img, extent=None, vmin=None, vmax=None):
    if img.ndim == 2:
        return ax.imshow(img, cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest",
                         extent=extent)
    return ax.imshow(img, interpolation="nearest", extent=extent)


def plot_overlay(image, overlay, kind="auto", class_names=None, alpha=0.5, background=0,
                 cmap="inferno", vmin=0.0, vmax=1.0, colorbar_label="probability", title=None,
                 overlay_extent=None):
    """Draw a label map (legend per class) or a probability map (colour bar) over an image.

    Parameters
    ----------
    image : array_like or None
        ``(H, W)`` grey or ``(H, W, 3|4)`` colour picture (uint8, or floats in [0, 1] for
        colour); None draws the overlay alone.
    overlay : array_like
        ``(h, w)`` integer class labels or a float probability map. It need not have the
        image's size: it is stretched over the image's extent, so a map predicted at a coarser
        grid (a whole-slide heat map over the slide's thumbnail) lies where it belongs.
    kind : {"auto", "labels", "probability"}
        ``"auto"``: integer and boolean maps are labels, float maps probabilities.
    class_names : list of str, optional
        Names of the classes ``0..C-1`` for the legend (labels only); default the numbers.
    alpha : float
        Opacity of the overlay, in [0, 1].
    background : int or None
        Label left transparent and out of the legend (labels only).
    cmap : str
        Colour map of a probability map.
    vmin, vmax : float
        Range of the probability colour map (and of its colour bar).
    colorbar_label : str
        Label of the colour bar (probability maps).
    title : str, optional
    overlay_extent : (float, float, float, float), optional
        ``(left, right, bottom, top)`` of the overlay in the image's pixel coordinates (pixel
        centres at integers), for a map that covers a little more or less than the image;
        default the image's extent.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with the image then the overlay as images; a probability map adds the colour
        bar's axes, a label map a legend with one entry per class other than ``background``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.linspace(0, 1, 64).reshape(8, 8)
    >>> lab = np.zeros((8, 8), int)
    >>> lab[2:5, 3:6] = 1
    >>> fig = plot_overlay(img, lab, class_names=["background", "lesion"])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['lesion']
    """
    if kind not in ("auto", "labels", "probability"):
        raise ValueError(f"kind must be 'auto', 'labels' or 'probability', got {kind!r}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    ov = np.asarray(_host(overlay, "overlay"))
    if ov.ndim != 2 or 0 in ov.shape:
        raise ValueError(f"overlay must be a non-empty 2-D (h, w) map, got shape {list(ov.shape)}")
    if kind == "auto":
        kind = "labels" if ov.dtype.kind in "biu" else "probability"
    img = None if image is None else _check_image(image)
    shape = ov.shape if img is None else img.shape[:2]
    extent = (-0.5, shape[1] - 0.5, shape[0] - 0.5, -0.5)
    ov_extent = extent if overlay_extent is None else tuple(float(v) for v in overlay_extent)
    if len(ov_extent) != 4:
        raise ValueError(f"overlay_extent must be (left, right, bottom, top), got "
                         f"{overlay_extent!r}")
    h, w = shape
    side = 6.0
    fig = _figure((side * min(w / h, 2.0) + 1.8, side) if w <= h else
                  (side + 1.8, max(side * h / w, 2.5)), layout="compressed")
    ax = fig.add_subplot()
    if img is not None:
        _show_image(ax, img, extent)
    if kind == "labels":
        lab, names = _check_labels(ov, class_names, "overlay")
        ax.imshow(_label_rgba(lab, len(names), float(alpha), background),
                  interpolation="nearest", extent=ov_extent)
        _class_legend(ax, names, background, loc="upper left", bbox_to_anchor=(1.02, 1))
    else:
        if ov.dtype.kind not in "fiub":
            raise ValueError(f"a probability overlay must be numeric, got dtype {ov.dtype}")
        if not vmin < vmax:
            raise ValueError(f"vmin must be below vmax, got {vmin} and {vmax}")
        im = ax.imshow(ov.astype(np.float64), cmap=cmap, vmin=vmin, vmax=vmax,
                       alpha=float(alpha) if img is not None else 1.0,
                       interpolation="nearest", extent=ov_extent)
        fig.colorbar(im, ax=ax, label=colorbar_label, shrink=0.85)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def save_overlay(image, overlay, path, **kwargs):
    """Write :func:`plot_overlay` as a PNG (keywords as there)."""
    save_figure(plot_overlay(image, overlay, **kwargs), path)


def slice_indices(size, n_slices):
    """Return the indices of ``n_slices`` evenly spaced slices of an axis of ``size``.

    They are the centres of ``n_slices`` equal parts (the first and last slices, often empty,
    are not forced in).

    Examples
    --------
    >>> slice_indices(10, 3)
    [1, 5, 8]
    """
    if isinstance(n_slices, bool) or not isinstance(n_slices, (int, np.integer)) \
            or not 1 <= n_slices <= size:
        raise ValueError(f"n_slices must be an int in [1, {size}] (the axis length), "
                         f"got {n_slices!r}")
    return [int((k + 0.5) * size / n_slices) for k in range(n_slices)]


def plot_slice_sheet(volume, n_slices=9, axis=0, labels=None, spacing=None, class_names=None,
                     alpha=0.4, background=0, ncols=None, title=None):
    """Evenly spaced slices of a 3-D volume on a grid, optionally with a label overlay.

    Parameters
    ----------
    volume : array_like
        ``(D, H, W)`` intensities; every slice shares one grey range (the volume's min to
        max), so slices compare.
    n_slices : int
        Slices to show, at most the length of ``axis`` (see :func:`slice_indices`).
    axis : {0, 1, 2}
        Axis the slices cut across (0: axial ``z`` slices of a ``(D, H, W)`` volume).
    labels : array_like, optional
        ``(D, H, W)`` integer class labels drawn over the slices, with a legend.
    spacing : sequence of 3 float, optional
        Voxel size along the volume's axes (same order); each slice is drawn with the aspect
        ratio of its two axes' spacings, so anisotropic voxels look as they are.
    class_names : list of str, optional
    alpha : float
        Opacity of the labels.
    background : int or None
        Label left transparent and out of the legend.
    ncols : int, optional
        Columns of the grid (default ``ceil(sqrt(n_slices))``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes per slice, titled ``"z=12"`` (``y``, ``x`` for the other axes), with the
        slice (and the labels) as images.

    Examples
    --------
    >>> import numpy as np
    >>> vol = np.random.default_rng(0).random((12, 8, 8))
    >>> fig = plot_slice_sheet(vol, n_slices=4, spacing=(3.0, 1.0, 1.0), axis=1)
    >>> [ax.get_title() for ax in fig.axes], fig.axes[0].get_aspect()
    (['y=1', 'y=3', 'y=5', 'y=7'], 3.0)
    """
    vol = np.asarray(_host(volume, "volume"))
    if vol.ndim != 3 or 0 in vol.shape:
        raise ValueError(f"volume must be a non-empty (D, H, W) array, got shape {list(vol.shape)}")
    if vol.dtype.kind not in "fiub":
        raise ValueError(f"volume must be numeric, got dtype {vol.dtype}")
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2, got {axis!r}")
    idx = slice_indices(vol.shape[axis], n_slices)
    sp = np.ones(3) if spacing is None else np.asarray(spacing, dtype=np.float64)
    if sp.shape != (3,) or not (np.isfinite(sp) & (sp > 0)).all():
        raise ValueError(f"spacing must be 3 positive numbers, got {spacing!r}")
    if labels is not None:
        lab, names = _check_labels(labels, class_names, "labels")
        if lab.shape != vol.shape:
            raise ValueError(f"labels have shape {list(lab.shape)}, the volume {list(vol.shape)}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    ncols = math.ceil(math.sqrt(len(idx))) if ncols is None else int(ncols)
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    ncols = min(ncols, len(idx))
    nrows = math.ceil(len(idx) / ncols)
    rows, cols = [a for a in range(3) if a != axis]
    aspect = float(sp[rows] / sp[cols])
    # each panel as wide as it is drawn: its pixel columns, and rows stretched by the aspect
    ph, pw = vol.shape[rows] * aspect, vol.shape[cols]
    scale = 2.4 / max(ph, pw)
    fig = _figure((ncols * pw * scale + 0.4, nrows * ph * scale + 0.6 + 0.35 * nrows),
                  layout="compressed")
    lo, hi = float(np.min(vol)), float(np.max(vol))
    present = set()
    for k, i in enumerate(idx):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        take = [slice(None)] * 3
        take[axis] = i
        _show_image(ax, vol[tuple(take)], vmin=lo, vmax=hi if hi > lo else lo + 1)
        if labels is not None:
            sl = lab[tuple(take)]
            present.update(np.unique(sl).tolist())
            ax.imshow(_label_rgba(sl, len(names), float(alpha), background),
                      interpolation="nearest")
        ax.set_aspect(aspect)
        ax.set_title(f"{_AXIS_NAMES[axis]}={i}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if labels is not None:
        _class_legend(fig, names, background, loc="outside lower center",
                      ncol=max(len(names) - 1, 1))
    if title:
        fig.suptitle(title)
    return fig


def save_slice_sheet(volume, path, **kwargs):
    """Write :func:`plot_slice_sheet` as a PNG (keywords as there)."""
    save_figure(plot_slice_sheet(volume, **kwargs), path)


def plot_class_scores(scores, class_names=None, metric_name="Dice", title=None):
    """Bar chart of a score per class (Dice, IoU, ...) with the values written on the bars.

    Parameters
    ----------
    scores : array_like
        ``[C]`` scores in [0, 1] (e.g. :func:`eddl.metrics.dice_per_class`); NaN (a class
        absent from both maps) is drawn as an empty slot marked ``n/a``.
    class_names : list of str, optional
    metric_name : str, optional
        Label of the value axis.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One bar per class and a dashed line at the mean of the finite scores.

    Examples
    --------
    >>> fig = plot_class_scores([0.9, 0.75], ["liver", "tumour"])
    >>> [round(float(b.get_height()), 2) for b in fig.axes[0].patches]
    [0.9, 0.75]
    """
    s = np.asarray(_host(scores, "scores"), dtype=np.float64)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"scores must be a non-empty 1-D array, got shape {list(s.shape)}")
    finite = np.isfinite(s)
    if ((s[finite] < 0) | (s[finite] > 1)).any():
        raise ValueError("scores must lie in [0, 1] (or be NaN)")
    names = [str(k) for k in range(s.size)] if class_names is None else [str(n) for n in class_names]
    if len(names) != s.size:
        raise ValueError(f"{len(names)} class names for {s.size} scores")
    fig = _figure((1.6 + 0.9 * s.size, 3.8))
    ax = fig.add_subplot()
    colours = _class_colours(s.size)
    ax.bar(range(s.size), np.where(finite, s, 0.0), color=colours, edgecolor="0.2", lw=0.6)
    for k, v in enumerate(s):
        ax.text(k, (v if finite[k] else 0.0) + 0.02, f"{v:.3f}" if finite[k] else "n/a",
                ha="center", va="bottom", fontsize=8)
    if finite.any():
        mean = float(s[finite].mean())
        ax.axhline(mean, color="0.3", ls="--", lw=1, label=f"mean {mean:.3f}")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
    tilt = s.size > 4 or sum(len(n) for n in names) > 30
    ax.set_xticks(range(s.size), names, rotation=30 if tilt else 0,
                  ha="right" if tilt else "center", rotation_mode="anchor")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel(metric_name)
    ax.grid(True, axis="y", alpha=0.35)
    ax.set_title(title or f"{metric_name} per class")
    return fig


def save_class_scores(scores, path, **kwargs):
    """Write :func:`plot_class_scores` as a PNG (keywords as there)."""
    save_figure(plot_class_scores(scores, **kwargs), path)
