import logging
import os
import shutil
import threading
import time

import numpy as np
import pytest

import ecvl
import ecvl.augment as A
from bridge import DLDataset, SampleError
from ecvl.augment import AugmentationFactory, DatasetAugmentations


def _augs():
    aug = AugmentationFactory.create(
        "SequentialAugmentationContainer\n  AugMirror p=0.5\n  AugRotate angle=[-30,30]\n"
        "  AugBrightness beta=[-20,20]\nend\n")
    return DatasetAugmentations([aug, None, None])


def _workers_alive():
    return [t for t in threading.enumerate() if t.name.startswith("DLDataset-worker")]


def _epoch(loader, split="training", epoch=None, shuffle=True):
    loader.SetSplit(split)
    loader.ResetBatch(shuffle=shuffle, epoch=epoch)
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


def test_deterministic_for_any_worker_count(lesions):
    runs = []
    for nw in (1, 2, 3):
        loader = DLDataset(lesions["classification"], 5, _augs(), num_workers=nw, seed=11,
                           scale=1 / 255)
        runs.append(_epoch(loader, epoch=4))
    sync = DLDataset(lesions["classification"], 5, _augs(), seed=11, scale=1 / 255)
    sync.SetSplit("training")
    sync.ResetBatch(shuffle=True, epoch=4)
    runs.append([(x.numpy(), y.numpy()) for x, y in
                 (sync.LoadBatch() for _ in range(sync.GetNumBatches()))])
    assert [b[0].shape[0] for b in runs[0]] == [5, 5, 2]
    for other in runs[1:]:
        assert len(other) == len(runs[0])
        for (x0, y0), (x1, y1) in zip(runs[0], other):
            np.testing.assert_array_equal(x0, x1)
            np.testing.assert_array_equal(y0, y1)
    # another epoch or seed gives another order/augmentation
    loader = DLDataset(lesions["classification"], 5, _augs(), num_workers=2, seed=11,
                       scale=1 / 255)
    assert not np.array_equal(_epoch(loader, epoch=5)[0][0], runs[0][0][0])
    assert not _workers_alive()


def test_labels_match_dataset(lesions):
    ds = ecvl.Dataset(lesions["classification"])
    loader = DLDataset(lesions["classification"], 4, num_workers=2)
    loader.SetSplit("validation")
    loader.ResetBatch()
    idx = ds.GetSplit("validation")
    ys = np.concatenate([y.numpy() for _, y in loader])
    expect = np.zeros((len(idx), 3), np.float32)
    expect[np.arange(len(idx)), [ds.samples_[i].label_[0] for i in idx]] = 1
    np.testing.assert_array_equal(ys, expect)
    # images unscaled, in [C, H, W], equal to the decoded file
    loader.ResetBatch()
    samples, x, _ = loader.GetBatch()
    ref = ecvl.ImRead(samples[0].location_[0])
    rgb = ecvl.Image.empty()
    ecvl.ChangeColorSpace(ref, rgb, ecvl.ColorType.RGB)
    np.testing.assert_array_equal(x.numpy()[0], rgb.to_numpy("cyx"))
    ind = DLDataset(lesions["classification"], 4, label_mode="index")
    ind.SetSplit("validation")
    ind.ResetBatch()
    yi = np.concatenate([y.numpy() for _, y in ind])
    np.testing.assert_array_equal(yi[:, 0], np.argmax(expect, 1))
    assert loader.tensors_shape_ == ([4, 3, 16, 16], [4, 3])


def test_segmentation_masks_and_shapes(lesions):
    loader = DLDataset(lesions["segmentation"], 4, _augs(), num_workers=2, scale=1 / 255,
                       gt_scale=1 / 255, mask_values=[0, 1], seed=9)
    assert loader.n_channels_ == 3 and loader.n_channels_gt_ == 1
    assert loader.resize_dims_ == [16, 16]
    assert loader.tensors_shape_ == ([4, 3, 16, 16], [4, 1, 16, 16])
    batches = [(x.numpy(), y.numpy()) for x, y in loader]
    for x, y in batches:
        assert x.shape[1:] == (3, 16, 16) and y.shape[1:] == (1, 16, 16)
        assert set(np.unique(y)) <= {0.0, 1.0}
    # each sample is its file augmented with sample_rng(seed, index, epoch), mask included
    ds = ecvl.Dataset(lesions["segmentation"])
    for k, idx in enumerate(ds.GetSplit("training")[:4]):
        smp = ds.samples_[idx]
        img, gt = _augs().apply(0, ecvl.imread(smp.location_[0]), ecvl.imread(smp.label_path_),
                                rng=A.sample_rng(9, idx, 0))
        np.testing.assert_allclose(batches[0][0][k], img.to_numpy("cyx") / 255, rtol=1e-6)
        np.testing.assert_array_equal(batches[0][1][k], gt.to_numpy("cyx") / 255)


def test_mask_values_outside_classes(lesions):
    loader = DLDataset(lesions["segmentation"], 4, gt_scale=1 / 255, mask_values=[0, 0.5])
    with pytest.raises(SampleError, match=r"masks.*not among the classes"):
        loader.LoadBatch()


def test_regression_and_multilabel(tmp_path, lesions):
    imgs = os.path.join(lesions["root"], "images")
    names = sorted(os.listdir(imgs))[:4]
    data = {"features": ["age", "size"], "classes": [],
            "images": [{"location": os.path.join(imgs, n), "values": [i, 2 * i]}
                       for i, n in enumerate(names)],
            "split": {"training": [0, 1, 2, 3]}}
    ds = ecvl.Dataset.from_dict(data, root=str(tmp_path))
    x, y = DLDataset(ds, 4).LoadBatch()
    np.testing.assert_array_equal(y.numpy(), [[0, 0], [1, 2], [2, 4], [3, 6]])
    data = {"classes": ["a", "b", "c"],
            "images": [{"location": os.path.join(imgs, n), "label": lab}
                       for n, lab in zip(names, [[0, 2], [1], [0, 1, 2], 2])],
            "split": {"training": [0, 1, 2, 3]}}
    _, y = DLDataset(ecvl.Dataset.from_dict(data, root=str(tmp_path)), 4).LoadBatch()
    np.testing.assert_array_equal(y.numpy(), [[1, 0, 1], [0, 1, 0], [1, 1, 1], [0, 0, 1]])


def test_batches_drop_last_and_api_errors(lesions):
    loader = DLDataset(lesions["classification"], 5,
                       drop_last={"training": True, "validation": False, "test": False})
    assert loader.GetNumBatches("training") == 2 and loader.GetNumBatches("validation") == 2
    loader.SetSplit("training")
    loader.ResetBatch()
    assert [x.shape[0] for x, _ in loader] == [5, 5]
    with pytest.raises(RuntimeError, match="no batches left"):
        loader.LoadBatch()
    with pytest.raises(RuntimeError, match="not started"):
        loader.Stop()
    loader.ResetBatch()
    loader.Start()
    with pytest.raises(RuntimeError, match="already started"):
        loader.Start()
    t0 = time.time()
    while loader.GetQueueSize() < 5 and time.time() - t0 < 10:
        time.sleep(0.01)
    assert loader.GetQueueSize() >= 5
    loader.Stop()
    assert not _workers_alive()
    with pytest.raises(ValueError, match="drop_last"):
        DLDataset(lesions["classification"], 5, drop_last={"training": True})
    with pytest.raises(ValueError, match="batch_size"):
        DLDataset(lesions["classification"], 0)


def _copy(lesions, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(lesions["root"], dst)
    return str(dst / "lesions.yml"), dst


def test_bad_sample_raises_in_consumer_naming_file(lesions, tmp_path):
    ddf, root = _copy(lesions, tmp_path)
    loader = DLDataset(ddf, 4, num_workers=2)
    ds = ecvl.Dataset(ddf)
    bad = ds.samples_[ds.GetSplit("training")[5]].location_[0]
    with open(bad, "wb") as f:
        f.write(b"not a png at all")
    loader.SetSplit("training")
    loader.ResetBatch()
    with pytest.raises(SampleError, match=os.path.basename(bad)):
        for _ in loader:
            pass
    assert not _workers_alive() and not loader.IsStarted()
    os.remove(ds.samples_[ds.GetSplit("training")[0]].location_[0])
    loader.ResetBatch()
    with pytest.raises(SampleError, match="does not exist"):
        loader.LoadBatch()


def test_skip_bad_logs_and_continues(lesions, tmp_path, caplog):
    ddf, _ = _copy(lesions, tmp_path)
    ds = ecvl.Dataset(ddf)
    bad = ds.samples_[ds.GetSplit("training")[2]].location_[0]
    loader = DLDataset(ddf, 4, num_workers=2, skip_bad=True)
    open(bad, "wb").close()
    loader.SetSplit("training")
    loader.ResetBatch()
    with caplog.at_level(logging.WARNING, logger="bridge.loader"):
        sizes = [x.shape[0] for x, _ in loader]
    assert sizes == [3, 4, 4]
    assert os.path.basename(bad) in caplog.text


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_skipped_samples_leave_no_gap_in_shared_batches(lesions, tmp_path, workers):
    ddf, _ = _copy(lesions, tmp_path)
    ds = ecvl.Dataset(ddf)
    train = ds.GetSplit("training")
    for k in (1, 6):  # inside the first and the second batch, in different parts
        open(ds.samples_[train[k]].location_[0], "wb").close()

    def batches(threads):
        loader = DLDataset(ddf, 5, _augs(), num_workers=max(threads, 1), skip_bad=True)
        loader.SetSplit("training")
        loader.ResetBatch(shuffle=False)
        if threads == 0:  # synchronous loading, no worker threads
            return [tuple(t.numpy().copy() for t in loader.LoadBatch())
                    for _ in range(loader.GetNumBatches())]
        return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]

    want, got = batches(0), batches(workers)
    assert [b[0].shape[0] for b in got] == [b[0].shape[0] for b in want]
    assert [b[0].shape[0] for b in got][:2] == [4, 4]
    for (x, y), (wx, wy) in zip(got, want):
        np.testing.assert_array_equal(x, wx)
        np.testing.assert_array_equal(y, wy)


def test_consumer_exception_shuts_workers_down(lesions):
    loader = DLDataset(lesions["classification"], 2, _augs(), num_workers=2,
                       queue_ratio_size=1)
    loader.SetSplit("training")
    loader.ResetBatch(shuffle=True)
    with pytest.raises(KeyboardInterrupt):
        for i, _ in enumerate(loader):
            if i == 1:
                raise KeyboardInterrupt
    t0 = time.time()
    while _workers_alive() and time.time() - t0 < 5:
        time.sleep(0.01)
    assert not _workers_alive()
    with loader:
        loader.ResetBatch()
        loader.Start()
        loader.LoadBatch()
    assert not loader.IsStarted() and not _workers_alive()


def test_inconsistent_sizes_after_augmentation(lesions, tmp_path):
    ddf, root = _copy(lesions, tmp_path)
    ds = ecvl.Dataset(ddf)
    big = ds.samples_[ds.GetSplit("training")[1]].location_[0]
    from PIL import Image as PILImage
    PILImage.new("RGB", (20, 16)).save(big)
    loader = DLDataset(ddf, 4)
    with pytest.raises(SampleError, match=os.path.basename(big) + r".*same size"):
        loader.LoadBatch()


def test_every_batch_is_shared_by_the_workers(lesions, tmp_path):
    from bridge.loader import _Epoch

    run = _Epoch([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10]], 4, 2)
    assert run.jobs == [(0, 0, 1), (0, 1, 2), (0, 2, 3), (0, 3, 5),
                        (1, 0, 1), (1, 1, 2), (1, 2, 3), (1, 3, 5), (2, 0, 1)]
    assert run.spans == [(0, 4), (4, 4), (8, 1)]
    assert _Epoch([[0]], 4, 3).jobs == [(0, 0, 1)]
    assert _Epoch([[0, 1, 2], [3, 4]], 2, 1).jobs == [(0, 0, 3), (1, 0, 2)]
    # a bad sample in the second part of the first batch still names its file
    ddf, _ = _copy(lesions, tmp_path)
    ds = ecvl.Dataset(ddf)
    bad = ds.samples_[ds.GetSplit("training")[3]].location_[0]
    with open(bad, "wb") as f:
        f.write(b"\x89PNG broken")
    loader = DLDataset(ddf, 4, num_workers=3)
    loader.SetSplit("training")
    loader.ResetBatch()
    with pytest.raises(SampleError, match=os.path.basename(bad)):
        for _ in loader:
            pass
    assert not _workers_alive() and not loader.IsStarted()


def test_batches_are_wrapped_not_copied(lesions, monkeypatch):
    # Tensor(array) copies (as PyEDDL); the loader hands over the array it has just filled
    # with the explicit zero-copy form, so no batch is copied a second time
    from eddl import Tensor
    made = []
    real = Tensor.fromarray.__func__

    def spy(cls, array, dev=0, dtype=None, copy=True):
        t = real(cls, array, dev, dtype, copy)
        made.append((copy, np.shares_memory(t.numpy(), array)))
        return t
    monkeypatch.setattr(Tensor, "fromarray", classmethod(spy))
    loader = DLDataset(lesions["classification"], 4, num_workers=2)
    loader.SetSplit("validation")
    loader.ResetBatch()
    batches = list(loader)
    loader.ResetBatch()
    loader.GetBatch()
    assert len(made) == 2 * len(batches) + 2
    assert all(c is False and shared for c, shared in made)
