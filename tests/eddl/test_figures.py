"""eddl.figures: what each figure draws (checked on the artists), and the atomic PNG twins."""

import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("matplotlib")
skm = pytest.importorskip("sklearn.metrics")

from eddl import figures as F  # noqa: E402
from eddl import metrics as M  # noqa: E402


def _lines(ax):
    return {l.get_label(): l for l in ax.get_lines()}


def _overlaps(fig, artist, ax):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return artist.get_window_extent(r).overlaps(ax.get_window_extent(r))


def _inside_figure(fig, artists):
    fig.canvas.draw()
    r, box = fig.canvas.get_renderer(), fig.bbox
    for a in artists:
        if hasattr(a, "get_text") and not a.get_text():
            continue
        bb = a.get_window_extent(r)
        assert box.x0 - 1 <= bb.x0 and bb.x1 <= box.x1 + 1 and box.y0 - 1 <= bb.y0 \
            and bb.y1 <= box.y1 + 1, (a, bb, box)


def _labels(ax):
    # tick labels outside the view limits exist but are not drawn
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    xt = [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
    yt = [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
    return [ax.xaxis.label, ax.yaxis.label, ax.title, *xt, *yt]


def test_import_eddl_does_not_load_matplotlib():
    code = "import sys, eddl, eddl.figures, eddl.callbacks; print('matplotlib' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir(), env=env).stdout
    assert out.strip() == "False"


def test_training_curves_log_loss_best_epoch_and_legend_outside():
    h = [{"epoch": e, "loss": 2.0 / e, "val_loss": v, "metric": 0.1 * e, "val_metric": 0.05 * e}
         for e, v in zip(range(1, 7), [1.5, 1.0, 0.7, 0.8, 0.9, 1.1])]
    fig = F.plot_training_curves(h, metric_name="accuracy")
    loss_ax, metric_ax = fig.axes
    assert loss_ax.get_yscale() == "log" and metric_ax.get_yscale() == "linear"
    assert metric_ax.get_title() == "accuracy"
    best = _lines(loss_ax)["best epoch (3)"]
    assert list(best.get_xdata()) == [3, 3]
    np.testing.assert_allclose(_lines(loss_ax)["validation"].get_ydata(), [d["val_loss"] for d in h])
    np.testing.assert_allclose(_lines(metric_ax)["training"].get_ydata(), [d["metric"] for d in h])
    ticks = [t for t in loss_ax.get_xticks() if 1 <= t <= 6]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert loss_ax.xaxis.get_gridlines()[0].get_visible()
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["training", "validation", "best epoch (3)"]
    assert not any(_overlaps(fig, legend, ax) for ax in fig.axes)
    _inside_figure(fig, [legend] + _labels(loss_ax) + _labels(metric_ax))


def test_training_curves_accepts_fit_and_command_histories():
    fit_style = [{"epoch": 1, "loss": [0.5], "logs": {"loss": 0.5, "metric": 0.2}},
                 {"epoch": 2, "loss": [0.2], "logs": {"loss": 0.2, "metric": 0.4}}]
    cmd_style = [{"epoch": 1, "train_loss": 0.5, "val_loss": None, "train_metric": 0.2},
                 {"epoch": 2, "train_loss": 0.2, "val_loss": None, "train_metric": 0.4}]
    for h in (fit_style, cmd_style):
        fig = F.plot_training_curves(h, best_epoch=1)
        lines = _lines(fig.axes[0])
        np.testing.assert_allclose(lines["training"].get_ydata(), [0.5, 0.2])
        assert "validation" not in lines and "best epoch (1)" in lines
    lin = F.plot_training_curves([{"loss": -1.0}, {"loss": 0.5}])  # a negative loss: linear
    assert lin.axes[0].get_yscale() == "linear"
    assert len(lin.axes) == 1  # no metric logged: no empty metric panel
    with pytest.raises(ValueError, match="empty"):
        F.plot_training_curves([])
    with pytest.raises(ValueError, match="loss_scale"):
        F.plot_training_curves([{"loss": 1.0}], loss_scale="symlog")


def test_confusion_matrix_counts_fractions_and_colour_bar():
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 0]])
    fig = F.plot_confusion_matrix(cm, ["a", "b", "c"])
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the colour bar has its own axes
    rows = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), rows)
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "5\n83.3%" and texts[4] == "7\n70.0%" and texts[8] == "0\n0.0%"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    long = F.plot_confusion_matrix(cm, ["nevus", "melanoma", "seborrheic keratosis"], title="t")
    _inside_figure(long, _labels(long.axes[0]) + _labels(long.axes[1]))
    cols = F.plot_confusion_matrix(cm, normalize="pred").axes[0].get_images()[0].get_array()
    np.testing.assert_allclose(cols, cm / cm.sum(axis=0, keepdims=True))
    counts = F.plot_confusion_matrix(cm, normalize=None).axes[0]
    assert counts.texts[0].get_text() == "5"
    with pytest.raises(ValueError, match="square"):
        F.plot_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="class names"):
        F.plot_confusion_matrix(cm, ["a"])
    with pytest.raises(ValueError, match="normalize"):
        F.plot_confusion_matrix(cm, normalize="rows")


def _scores(n=90, c=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    s = rng.random((n, c)) + 0.8 * np.eye(c)[y]
    return y, s / s.sum(axis=1, keepdims=True)


def test_roc_one_vs_rest_curves_and_areas_match_sklearn():
    y, s = _scores()
    ax = F.plot_roc(y, s, ["x", "y", "z"]).axes[0]
    lines = list(ax.get_lines())
    assert len(lines) == 5  # three classes, micro-average, chance
    for k, name in enumerate("xyz"):
        fpr, tpr, _ = skm.roc_curve(y == k, s[:, k])
        np.testing.assert_allclose(lines[k].get_xdata(), fpr)
        np.testing.assert_allclose(lines[k].get_ydata(), tpr)
        assert lines[k].get_label() == f"{name} (AUC {skm.roc_auc_score(y == k, s[:, k]):.3f})"
    micro = skm.roc_auc_score(np.eye(3)[y], s, average="micro")
    assert lines[3].get_label() == f"micro-average (AUC {micro:.3f})"


def test_roc_binary_forms_agree():
    y, s = _scores(c=2)
    labels = [F.plot_roc(y, a).axes[0].get_lines()[0].get_label() for a in (s, s[:, 1], s[:, 1:])]
    assert labels == [f"positive (AUC {skm.roc_auc_score(y, s[:, 1]):.3f})"] * 3
    assert len(F.plot_roc(y, s).axes[0].get_lines()) == 2  # one curve and chance


def test_pr_curves_match_sklearn_and_skip_absent_classes():
    y, s = _scores()
    y = np.where(y == 2, 0, y)  # class 2 has no positive sample
    ax = F.plot_pr(y, s).axes[0]
    lines = list(ax.get_lines())
    for k in (0, 1):
        p, r, _ = skm.precision_recall_curve(y == k, s[:, k])
        np.testing.assert_allclose(lines[k].get_xdata(), r)
        np.testing.assert_allclose(lines[k].get_ydata(), p)
        ap = skm.average_precision_score(y == k, s[:, k])
        assert lines[k].get_label() == f"{k} (AP {ap:.3f})"
    assert not any(l.get_label().startswith("2 ") for l in lines)
    legend = ax.get_legend()
    assert not _overlaps(ax.figure, legend, ax)
    _inside_figure(ax.figure, [legend] + _labels(ax))
    with pytest.raises(ValueError, match="no class"):
        F.plot_roc(np.zeros(4, int), np.eye(2)[[0, 1, 0, 1]] * 0.5 + 0.25)


def test_lr_finder_and_calibration_figures():
    fig = F.plot_lr_finder([1e-4, 1e-3, 1e-2], [1.0, 0.5, 2.0], suggestion=1e-3,
                           raw_losses=[1.1, 0.4, 2.5])
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    point = _lines(ax)["suggested lr 1.00e-03"]
    assert list(point.get_xdata()) == [1e-3] and list(point.get_ydata()) == [0.5]
    with pytest.raises(ValueError, match="positive"):
        F.plot_lr_finder([0.0, 1.0], [1.0, 2.0])
    y, s = _scores(c=2, n=200)
    frac, mean = skm_cal(y, s[:, 1])
    top = F.plot_calibration(y, s, n_bins=5).axes[0]
    model = [l for l in top.get_lines() if l.get_label().startswith("model")][0]
    np.testing.assert_allclose(model.get_xdata(), mean)
    np.testing.assert_allclose(model.get_ydata(), frac)
    counts = np.histogram(s[:, 1], bins=5, range=(0, 1))[0]
    counts = counts[counts > 0]
    ece = np.sum(counts * np.abs(frac - mean)) / counts.sum()
    assert model.get_label() == f"model (ECE {ece:.3f})"
    # multi-class: top-label confidence against the arg-max being right
    y3, s3 = _scores()
    top3 = F.plot_calibration(y3, s3, n_bins=4).axes[0]
    frac3, mean3 = skm_cal(s3.argmax(1) == y3, s3.max(1), 4)
    model3 = [l for l in top3.get_lines() if l.get_label().startswith("model")][0]
    np.testing.assert_allclose(model3.get_ydata(), frac3)
    np.testing.assert_allclose(model3.get_xdata(), mean3)


def skm_cal(y, p, n_bins=5):
    from sklearn.calibration import calibration_curve
    return calibration_curve(y, p, n_bins=n_bins)


def test_save_twins_write_pngs_atomically(tmp_path):
    y, s = _scores()
    writers = {
        "curves.png": lambda p: F.save_training_curves([{"loss": 1.0}, {"loss": 0.5}], p),
        "cm.png": lambda p: F.save_confusion_matrix(M.confusion_matrix(y, s), p),
        "roc.png": lambda p: F.save_roc(y, s, p),
        "pr.png": lambda p: F.save_pr(y, s, p),
        "lr.png": lambda p: F.save_lr_finder([1e-3, 1e-2], [1.0, 0.8], p),
        "cal.png": lambda p: F.save_calibration(y, s, p),
    }
    for name, write in writers.items():
        write(tmp_path / name)
        with Image.open(tmp_path / name) as im:
            assert im.format == "PNG" and min(im.size) > 300
    assert sorted(os.listdir(tmp_path)) == sorted(writers)  # no temporaries left behind
    before = (tmp_path / "roc.png").read_bytes()
    with pytest.raises(ValueError):
        F.save_roc(y, s[:, :2], tmp_path / "roc.png")
    assert (tmp_path / "roc.png").read_bytes() == before
    with pytest.raises(FileNotFoundError, match="does not exist"):
        F.save_roc(y, s, tmp_path / "missing" / "roc.png")
