"""PyECVL's producer-side names of DLDataset: ctype_, ProduceImageLabel, ThreadFunc, sleep_for;
and ThreadCounters.min_ (ECVL modules/eddl/src/support_eddl.cpp)."""

import datetime
import time

import numpy as np
import pytest

import ecvl
from bridge import DLDataset, SampleError, ThreadCounters
from ecvl.augment import AugmentationFactory, DatasetAugmentations


def _mirror():
    return DatasetAugmentations([AugmentationFactory.create("AugMirror p=1"), None, None])


def test_ctype_attributes_are_the_constructor_arguments(lesions):
    loader = DLDataset(lesions["classification"], 4, ctype=ecvl.ColorType.GRAY)
    assert loader.ctype_ == ecvl.ColorType.GRAY and loader.ctype_gt_ == ecvl.ColorType.GRAY
    assert DLDataset(lesions["classification"], 4).ctype_ == ecvl.ColorType.RGB


def test_thread_counters_min_is_the_start_of_the_range():
    # support_eddl.cpp InitTC: ThreadCounters(start, end); Reset() moves counter_ to min_
    tc = ThreadCounters(3, 9)
    assert (tc.counter_, tc.min_, tc.max_) == (3, 3, 9)
    tc = ThreadCounters(5, 2, 9)
    assert (tc.counter_, tc.min_, tc.max_) == (5, 2, 9)
    tc.Reset()
    assert tc.counter_ == tc.min_ == 2


@pytest.mark.parametrize("kind", ["classification", "segmentation"])
def test_produce_image_label_equals_the_batch_row(lesions, kind):
    # support_eddl.cpp ProduceImageLabel: LoadImage(ctype_), augs.Apply(current_split_, img[, gt]),
    # ImageToTensor / ToTensorPlane of the label
    loader = DLDataset(lesions[kind], 4, _mirror(), seed=2, scale=1 / 255)
    loader.SetSplit("training")
    loader.ResetBatch(shuffle=False)
    samples, x, y = loader.GetBatch()
    first = loader.split_[0].samples_indices_[0]
    assert samples[0] is loader.samples_[first]
    img, lab = loader.ProduceImageLabel(loader.augs_, loader.samples_[first])
    np.testing.assert_array_equal(img.numpy(), x.numpy()[0])
    np.testing.assert_array_equal(lab.numpy(), y.numpy()[0])
    assert img.shape == x.shape[1:] and lab.shape == y.shape[1:]
    # other augmentations: the mirror is gone; the index form gives the same
    plain, _ = loader.ProduceImageLabel(DatasetAugmentations([None, None, None]), first)
    np.testing.assert_array_equal(plain.numpy()[..., ::-1], img.numpy())
    same, _ = loader.ProduceImageLabel(None, first)
    np.testing.assert_array_equal(same.numpy(), img.numpy())


def test_produce_image_label_checks_its_arguments(lesions):
    loader = DLDataset(lesions["classification"], 4)
    with pytest.raises(TypeError, match="DatasetAugmentations"):
        loader.ProduceImageLabel([None], 0)
    with pytest.raises(IndexError, match="out of range"):
        loader.ProduceImageLabel(None, len(loader.samples_))
    with pytest.raises(ValueError, match="not one of"):
        loader.ProduceImageLabel(None, ecvl.Dataset(lesions["classification"]).samples_[0])


def test_produce_image_label_names_a_broken_file(lesions, tmp_path):
    loader = DLDataset(lesions["classification"], 4)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    loader.samples_[0].location_ = [str(bad)]
    with pytest.raises(SampleError, match="broken.png"):
        loader.ProduceImageLabel(None, 0)


def test_thread_func_fills_the_queue_in_the_caller(lesions):
    # support_eddl.cpp ThreadFunc: the body of a producer thread; here it returns when the
    # queue is full instead of blocking its caller, the consumer
    ref = DLDataset(lesions["classification"], 4, _mirror(), seed=5)
    ref.SetSplit("training")
    ref.ResetBatch(shuffle=True, epoch=1)
    expected = [(x.numpy().copy(), y.numpy().copy()) for x, y in ref]
    loader = DLDataset(lesions["classification"], 4, _mirror(), num_workers=1,
                       queue_ratio_size=2, seed=5)
    loader.SetSplit("training")
    loader.ResetBatch(shuffle=True, epoch=1)
    with pytest.raises(RuntimeError, match="not started"):
        loader.ThreadFunc(0)
    loader.Start()
    try:
        with pytest.raises(ValueError, match="thread_index"):
            loader.ThreadFunc(1)
        t0 = time.monotonic()
        loader.ThreadFunc(0)
        assert time.monotonic() - t0 < 30
        got = []
        for _ in range(loader.GetNumBatches()):
            _, x, y = loader.GetBatch()
            got.append((x.numpy(), y.numpy()))
            loader.ThreadFunc(0)
    finally:
        loader.Stop()
    assert len(got) == len(expected)
    for (x0, y0), (x1, y1) in zip(expected, got):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)


class _IdleWorkers(DLDataset):
    """A loader whose started threads do nothing: only ThreadFunc fills its batches."""

    def _worker(self, run, i, epoch, wait=True):
        if wait:
            return
        super()._worker(run, i, epoch, wait)


def test_thread_func_alone_drives_the_loader(lesions):
    ref = DLDataset(lesions["classification"], 4, seed=5)
    ref.SetSplit("validation")
    ref.ResetBatch()
    expected = [x.numpy().copy() for x, _ in ref]
    loader = _IdleWorkers(lesions["classification"], 4, num_workers=1, queue_ratio_size=2, seed=5)
    loader.SetSplit("validation")
    loader.ResetBatch()
    loader.Start()
    try:
        assert loader.GetQueueSize() == 0
        loader.ThreadFunc(0)
        # the capacity, queue_ratio_size * num_workers batches, is filled and no more
        assert loader.GetQueueSize() == min(8, len(loader.split_[1].samples_indices_))
        got = []
        for _ in range(loader.GetNumBatches()):
            loader.ThreadFunc(0)
            got.append(loader.GetBatch()[1].numpy())
    finally:
        loader.Stop()
    assert len(got) == len(expected)
    for x0, x1 in zip(expected, got):
        np.testing.assert_array_equal(x0, x1)


def test_sleep_for_takes_a_timedelta_or_seconds():
    t0 = time.monotonic()
    DLDataset.sleep_for(datetime.timedelta(milliseconds=30))
    DLDataset.sleep_for(0.02)
    assert time.monotonic() - t0 >= 0.045
    for bad in (-1, datetime.timedelta(seconds=-1), "1", float("nan")):
        with pytest.raises(ValueError, match="sleep_for"):
            DLDataset.sleep_for(bad)
