"""Patch samplers: patches inside the input, TorchIO-style label balance within binomial
tolerance, and DLDataset patches that are the same per seed, epoch and sample index however
many workers load them."""

import itertools
import math

import nibabel as nib
import numpy as np
import pytest

import ecvl
from bridge import DLDataset
from bridge.convert import image_to_array
from bridge.patches import (
    AugLabelPatch,
    AugUniformPatch,
    label_map,
    label_patch_start,
    uniform_patch_start,
)
from ecvl import ColorType
from ecvl.augment import REGISTRY, DatasetAugmentations, sample_rng


def _within(count, n, p, sigmas=4.5):
    """``count`` successes of ``n`` draws is within ``sigmas`` binomial deviations of ``p``."""
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1e-9


def test_uniform_starts_are_inside_and_equally_likely():
    shape, patch = (5, 4, 6), (2, 4, 3)
    rng = np.random.default_rng(0)
    n = 6000
    starts = [uniform_patch_start(shape, patch, rng) for _ in range(n)]
    positions = list(itertools.product(*[range(s - p + 1) for s, p in zip(shape, patch)]))
    counts = {pos: 0 for pos in positions}
    for st in starts:
        counts[st] += 1  # a start outside the input would be a KeyError
    for c in counts.values():
        assert _within(c, n, 1 / len(positions))
    assert uniform_patch_start(shape, shape, rng) == (0, 0, 0)


def _labels():
    """A (6, 9, 11) map: much background, a block of 1, one voxel of 2, a 3 near the border."""
    lab = np.zeros((6, 9, 11), np.int64)
    lab[1:5, 2:7, 3:9] = 1
    lab[3, 4, 5] = 2
    lab[0, 0, 0] = 3  # no 3x5x5 patch is centred there: never a centre
    return lab


def _centres(shape, patch):
    """Voxels on which a patch can be centred without leaving the input."""
    ok = np.zeros(shape, bool)
    ok[tuple(slice(p // 2, s - p + p // 2 + 1) for s, p in zip(shape, patch))] = True
    return ok


def test_label_centres_follow_the_probabilities():
    lab, patch = _labels(), (3, 5, 5)
    probs = {0: 0.2, 1: 0.5, 2: 0.3, 3: 7.0, 9: 1.0}  # 3 cannot be a centre, 9 is absent
    rng = np.random.default_rng(1)
    n = 5000
    got = {0: 0, 1: 0, 2: 0}
    seen = set()
    for _ in range(n):
        start = label_patch_start(lab, patch, rng, probs)
        assert all(0 <= s <= m - p for s, m, p in zip(start, lab.shape, patch))
        centre = tuple(s + p // 2 for s, p in zip(start, patch))
        got[int(lab[centre])] += 1
        seen.add(centre)
    for label, p in ((0, 0.2), (1, 0.5), (2, 0.3)):
        assert _within(got[label], n, p), (label, got)
    # every voxel of label 1 that can be a centre is reached (uniform within the label)
    ones = {tuple(v) for v in np.argwhere((lab == 1) & _centres(lab.shape, patch))}
    assert ones <= seen


def test_label_default_is_uniform_over_foreground():
    lab, patch = _labels(), (3, 5, 5)
    rng = np.random.default_rng(2)
    n = 4000
    hits = 0
    for _ in range(n):
        start = label_patch_start(lab, patch, rng)
        centre = tuple(s + p // 2 for s, p in zip(start, patch))
        assert lab[centre] > 0
        hits += centre == (3, 4, 5)
    fg = int(((lab > 0) & _centres(lab.shape, patch)).sum())  # the 3 is out of reach
    assert fg == 120
    assert _within(hits, n, 1 / fg)


def test_label_sampler_without_foreground_places_the_patch_uniformly():
    rng = np.random.default_rng(3)
    starts = {label_patch_start(np.zeros((4, 7)), (2, 3), rng) for _ in range(500)}
    assert starts == set(itertools.product(range(3), range(5)))
    assert {label_patch_start(np.zeros((4, 7)), (2, 3), rng, {5: 1.0})
            for _ in range(500)} == starts


def test_same_stream_same_patch():
    lab = _labels()
    a = [label_patch_start(lab, (3, 5, 5), sample_rng(7, i, 2), {0: 1, 1: 1}) for i in range(20)]
    b = [label_patch_start(lab, (3, 5, 5), sample_rng(7, i, 2), {0: 1, 1: 1}) for i in range(20)]
    c = [label_patch_start(lab, (3, 5, 5), sample_rng(7, i, 3), {0: 1, 1: 1}) for i in range(20)]
    assert a == b and a != c


def test_augmentations_crop_image_and_mask_together():
    rng = np.random.default_rng(4)
    img = rng.random((7, 12, 10, 2)).astype(np.float32)  # (D, H, W, C)
    gt = np.zeros((7, 12, 10, 1), np.uint8)
    gt[2:5, 6:9, 1:4] = 255
    aug = AugLabelPatch(size=[4, 6, 3])  # x first: W=4, H=6, D=3
    for seed in range(30):
        out, mask, rec = aug.apply_replay(img, gt, rng=seed)
        d, h, w = rec["params"]["start"]
        np.testing.assert_array_equal(out, img[d:d + 3, h:h + 6, w:w + 4])
        np.testing.assert_array_equal(mask, gt[d:d + 3, h:h + 6, w:w + 4])
        assert mask[1, 3, 2, 0] == 255  # the centre is foreground
        out2, mask2 = aug.replay(rec, img, gt)
        np.testing.assert_array_equal(out2, out)
    u = AugUniformPatch(size=[10, 12, 7])  # the whole volume
    np.testing.assert_array_equal(u.apply(img, rng=0), img)
    clone = AugLabelPatch(size=[4, 6, 3], labels=[0, 255], probabilities=[0.25, 0.75]).Clone()
    assert clone == AugLabelPatch(size=[4, 6, 3], labels=[0, 255], probabilities=[0.25, 0.75])
    # ecvl's registry stays ecvl's: importing bridge adds nothing to it
    assert "AugLabelPatch" not in REGISTRY and "AugUniformPatch" not in REGISTRY
    # one-hot masks: the label is the largest channel
    np.testing.assert_array_equal(label_map(np.eye(3)[[[2, 0], [1, 1]]]), [[2, 0], [1, 1]])


def test_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"patch_size \[5, 2\] is larger than the input \[4, 4\]"):
        uniform_patch_start((4, 4), (5, 2), rng)
    with pytest.raises(ValueError, match="patch_size \\[2\\] has 1 values but the input has 2"):
        label_patch_start(np.zeros((4, 4)), (2,), rng)
    with pytest.raises(ValueError, match="patch_size must be positive"):
        uniform_patch_start((4, 4), (0, 2), rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        uniform_patch_start((4, 4), (2, 2), 0)
    with pytest.raises(ValueError, match=r"label_probabilities\[1\] must be a finite number"):
        label_patch_start(np.zeros((4, 4)), (2, 2), rng, {0: 0.5, 1: -1})
    with pytest.raises(ValueError, match="positive sum"):
        label_patch_start(np.zeros((4, 4)), (2, 2), rng, {0: 0})
    with pytest.raises(TypeError, match="label_probabilities must be a non-empty dict"):
        label_patch_start(np.zeros((4, 4)), (2, 2), rng, [0.5, 0.5])
    with pytest.raises(ValueError, match="labels and probabilities go together"):
        AugLabelPatch(size=[2, 2], labels=[0, 1])
    with pytest.raises(ValueError, match="2 labels but 1 probabilities"):
        AugLabelPatch(size=[2, 2], labels=[0, 1], probabilities=[1])
    with pytest.raises(ValueError, match="needs a ground-truth mask"):
        AugLabelPatch(size=[2, 2]).apply(np.zeros((4, 4, 1)), rng=0)
    with pytest.raises(ValueError, match="has 2 values but the input has 3 spatial axes"):
        AugUniformPatch(size=[2, 2]).apply(np.zeros((4, 4, 4, 1)), rng=0)
    with pytest.raises(ValueError, match="is larger than the input"):
        AugUniformPatch(size=[2, 8]).apply(np.zeros((4, 4, 1)), rng=0)


# -- through DLDataset ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def volumes(tmp_path_factory):
    """Five NIfTI volumes of different shapes, each with a 0/255 mask of its bright voxels."""
    root = tmp_path_factory.mktemp("volumes")
    rng = np.random.default_rng(0)
    lines, data = ["name: volumes", "images:"], []
    for i in range(5):
        vol = rng.integers(0, 200, (7 + i, 14, 11 + i)).astype(np.uint8)  # (D, H, W)
        mask = ((vol > 180) * 255).astype(np.uint8)
        for name, a in ((f"v{i}", vol), (f"m{i}", mask)):
            nib.save(nib.Nifti1Image(a.transpose(2, 1, 0).copy(), np.eye(4)),
                     root / f"{name}.nii.gz")
        lines += [f"  - location: v{i}.nii.gz", f"    label: m{i}.nii.gz"]
        data.append((vol, mask))
    lines += ["split:", "  training: [0, 1, 2, 3, 4]"]
    (root / "volumes.yml").write_text("\n".join(lines) + "\n")
    return str(root / "volumes.yml"), data


def _label_aug():
    return AugLabelPatch(size=[6, 5, 3], labels=[0, 255], probabilities=[0.3, 0.7])


def _loader(path, workers, seed=1, aug=None):
    aug = aug or _label_aug()
    return DLDataset(path, 2, DatasetAugmentations([aug]), ColorType.none, ColorType.none,
                     num_workers=workers, seed=seed)


def _epoch(loader, epoch):
    loader.ResetBatch(shuffle=True, epoch=epoch)
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


def test_dataset_patches_are_crops_of_their_volumes(volumes):
    path, data = volumes
    loader = _loader(path, 1)
    # a NIfTI volume has x, y, z axes: the loader serves z as the channel axis
    assert loader.tensors_shape_ == ([2, 3, 5, 6], [2, 3, 5, 6])
    for epoch in range(3):
        loader.ResetBatch(shuffle=True, epoch=epoch)
        for _ in range(loader.GetNumBatches()):
            samples, x, y = loader.GetBatch()
            assert x.shape[1:] == [3, 5, 6] and y.shape == x.shape
            for smp, xi, yi in zip(samples, x.numpy(), y.numpy()):
                vol, mask = data[int(smp.location_[0][-8])]
                hits = [st for st in itertools.product(*[range(s - p + 1) for s, p in
                                                         zip(vol.shape, (3, 5, 6))])
                        if np.array_equal(vol[st[0]:st[0] + 3, st[1]:st[1] + 5,
                                              st[2]:st[2] + 6], xi)]
                assert hits, "the patch is not a crop of its volume"
                d, h, w = hits[0]
                np.testing.assert_array_equal(yi, mask[d:d + 3, h:h + 5, w:w + 6])


def test_dataset_patches_depend_on_seed_epoch_and_index_only(volumes):
    path, _ = volumes
    one, three = _loader(path, 1), _loader(path, 3)
    e0, e1 = _epoch(one, 0), _epoch(one, 1)
    for a, b in zip(e0 + e1, _epoch(three, 0) + _epoch(three, 1)):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(e0, e1))
    other = _epoch(_loader(path, 1, seed=2), 0)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(e0, other))
    # each patch is the augmentation applied with the sample's own stream
    aug = _label_aug()
    one.ResetBatch(shuffle=True, epoch=4)
    samples, x, _ = one.GetBatch()
    for k, smp in enumerate(samples):
        index = one.samples_.index(smp)
        img, gt = ecvl.imread(smp.location_[0]), ecvl.imread(smp.label_path_)
        ref, _ = aug.apply(img, gt, rng=sample_rng(1, index, 4))
        np.testing.assert_array_equal(image_to_array(ref), x.numpy()[k])


def test_dataset_label_balance(volumes):
    path, _ = volumes
    loader = _loader(path, 2)
    n = fg = 0
    for epoch in range(120):
        for _, y in _epoch(loader, epoch):
            fg += int((y[:, 1, 2, 3] > 0).sum())  # the patches' centre voxel
            n += y.shape[0]
    assert n == 600 and _within(fg, n, 0.7)
    uniform = _loader(path, 2, aug=AugUniformPatch(size=[6, 5, 3]))
    assert uniform.tensors_shape_[0] == [2, 3, 5, 6]
    centre = np.concatenate([y[:, 1, 2, 3] for e in range(40) for _, y in _epoch(uniform, e)])
    assert (centre > 0).mean() < 0.3  # bright voxels are ~10% of each volume
