"""eddl.figures overlays and slice sheets: the images drawn (checked pixel by pixel against the
class colours), aspect ratios from voxel spacing, legends, colour bars and the PNG twins."""

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("matplotlib")

from eddl import figures as F  # noqa: E402


def _tab10(k):
    from matplotlib import colormaps

    return np.array(colormaps["tab10"](k))


def _labels(shape, seed=0, n=3):
    return np.random.default_rng(seed).integers(0, n, shape)


def test_label_overlay_colours_legend_and_extent():
    img = np.random.default_rng(1).random((20, 30))
    lab = _labels((20, 30))
    fig = F.plot_overlay(img, lab, class_names=["bg", "liver", "tumour"], alpha=0.6)
    ax = fig.axes[0]
    assert len(fig.axes) == 1  # no colour bar for labels
    base, over = ax.get_images()
    np.testing.assert_array_equal(base.get_array(), img)
    rgba = np.asarray(over.get_array())
    assert rgba.shape == (20, 30, 4)
    for k in range(3):
        want = _tab10(k)
        want[3] = 0.0 if k == 0 else 0.6  # the background is transparent
        np.testing.assert_allclose(rgba[lab == k], np.broadcast_to(want, ((lab == k).sum(), 4)))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["liver", "tumour"]
    assert base.get_extent() == over.get_extent() == [-0.5, 29.5, 19.5, -0.5]


def test_probability_overlay_is_stretched_over_the_image_with_a_colour_bar():
    rgb = (np.random.default_rng(2).random((64, 96, 3)) * 255).astype(np.uint8)
    prob = np.random.default_rng(3).random((8, 12))
    fig = F.plot_overlay(rgb, prob, colorbar_label="p(tumour)", title="slide")
    ax, cbar = fig.axes
    base, heat = ax.get_images()
    np.testing.assert_array_equal(base.get_array(), rgb)
    np.testing.assert_allclose(heat.get_array(), prob)
    # the coarse map covers exactly the picture
    assert heat.get_extent() == base.get_extent() == [-0.5, 95.5, 63.5, -0.5]
    assert heat.get_clim() == (0.0, 1.0) and cbar.get_ylabel() == "p(tumour)"
    assert ax.get_title() == "slide"
    alone = F.plot_overlay(None, prob)
    assert len(alone.axes[0].get_images()) == 1 and alone.axes[0].get_images()[0].get_alpha() == 1


def test_overlay_kind_detection_and_bad_input():
    assert len(F.plot_overlay(None, np.zeros((4, 4), bool)).axes) == 1  # bool: labels
    assert len(F.plot_overlay(None, np.zeros((4, 4), np.float32)).axes) == 2  # float: colour bar
    with pytest.raises(ValueError, match="overlay must be a non-empty 2-D"):
        F.plot_overlay(None, np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="image must be"):
        F.plot_overlay(np.zeros((4, 4, 2)), np.zeros((4, 4), int))
    with pytest.raises(ValueError, match="label 2 but only 2 class names"):
        F.plot_overlay(None, np.array([[0, 2]]), class_names=["a", "b"])
    with pytest.raises(ValueError, match="labels >= 0"):
        F.plot_overlay(None, np.array([[0, -1]]))
    with pytest.raises(ValueError, match="integer class labels"):
        F.plot_overlay(None, np.zeros((3, 3)), kind="labels")
    with pytest.raises(ValueError, match="kind"):
        F.plot_overlay(None, np.zeros((3, 3)), kind="heat")
    with pytest.raises(ValueError, match="alpha"):
        F.plot_overlay(None, np.zeros((3, 3)), alpha=2)


def test_slice_indices_are_evenly_spaced_centres():
    assert F.slice_indices(10, 3) == [1, 5, 8]
    assert F.slice_indices(4, 4) == [0, 1, 2, 3]
    for size in range(1, 40):
        for n in range(1, size + 1):
            idx = F.slice_indices(size, n)
            assert len(set(idx)) == n and 0 <= idx[0] and idx[-1] < size
            gaps = np.diff(idx)
            assert gaps.size == 0 or gaps.max() - gaps.min() <= 1
    with pytest.raises(ValueError, match="n_slices"):
        F.slice_indices(5, 6)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_slice_sheet_slices_aspect_and_labels(axis):
    rng = np.random.default_rng(4)
    vol = rng.random((9, 12, 15))
    lab = _labels(vol.shape, 5)
    spacing = (2.5, 0.5, 1.0)
    fig = F.plot_slice_sheet(vol, n_slices=5, axis=axis, labels=lab, spacing=spacing,
                             class_names=["bg", "a", "b"])
    assert len(fig.axes) == 5
    idx = F.slice_indices(vol.shape[axis], 5)
    rows, cols = [a for a in range(3) if a != axis]
    for ax, i in zip(fig.axes, idx):
        assert ax.get_title() == f"{'zyx'[axis]}={i}"
        grey, over = ax.get_images()
        np.testing.assert_array_equal(grey.get_array(), np.take(vol, i, axis=axis))
        assert grey.get_clim() == (vol.min(), vol.max())  # one grey range for every slice
        sl = np.take(lab, i, axis=axis)
        rgba = np.asarray(over.get_array())
        np.testing.assert_allclose(rgba[sl == 2][:, :3], np.broadcast_to(_tab10(2)[:3],
                                                                         ((sl == 2).sum(), 3)))
        assert (rgba[sl == 0][:, 3] == 0).all()
        assert ax.get_aspect() == pytest.approx(spacing[rows] / spacing[cols])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b"]


def test_slice_sheet_bad_input():
    vol = np.zeros((4, 5, 6))
    with pytest.raises(ValueError, match="volume must be"):
        F.plot_slice_sheet(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="axis"):
        F.plot_slice_sheet(vol, 2, axis=3)
    with pytest.raises(ValueError, match=r"n_slices must be an int in \[1, 4\]"):
        F.plot_slice_sheet(vol, 9)
    with pytest.raises(ValueError, match="spacing"):
        F.plot_slice_sheet(vol, 2, spacing=(1, 0, 1))
    with pytest.raises(ValueError, match="labels have shape"):
        F.plot_slice_sheet(vol, 2, labels=np.zeros((4, 5, 5), int))


def test_class_scores_bars_values_and_mean():
    fig = F.plot_class_scores([0.9, np.nan, 0.6], ["bg", "liver", "tumour"], "IoU")
    ax = fig.axes[0]
    np.testing.assert_allclose([b.get_height() for b in ax.patches], [0.9, 0.0, 0.6])
    assert [t.get_text() for t in ax.texts] == ["0.900", "n/a", "0.600"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["bg", "liver", "tumour"]
    assert ax.get_legend().get_texts()[0].get_text() == "mean 0.750"
    assert ax.get_ylabel() == "IoU" and ax.get_title() == "IoU per class"
    for bad, words in [([[0.5]], "1-D"), ([], "1-D"), ([1.5], r"\[0, 1\]")]:
        with pytest.raises(ValueError, match=words):
            F.plot_class_scores(bad)
    with pytest.raises(ValueError, match="2 class names for 3 scores"):
        F.plot_class_scores([0.1, 0.2, 0.3], ["a", "b"])


@pytest.mark.parametrize("which", ["overlay", "sheet"])
def test_png_twins_write_valid_images_of_the_figure_size(which, tmp_path):
    vol = np.random.default_rng(6).random((6, 16, 16))
    lab = _labels(vol.shape, 7)
    path = tmp_path / f"{which}.png"
    if which == "overlay":
        fig = F.plot_overlay(vol[0], lab[0])
        F.save_overlay(vol[0], lab[0], path)
    else:
        fig = F.plot_slice_sheet(vol, 4, labels=lab)
        F.save_slice_sheet(vol, path, n_slices=4, labels=lab)
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        w, h = fig.get_size_inches() * 120
        assert im.format == "PNG" and im.size == (round(w), round(h))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{which}.png"]  # no temporary left
