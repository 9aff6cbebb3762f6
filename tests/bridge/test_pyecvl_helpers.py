"""PyECVL's loader helpers and grid: MakeGrid, ProducersConsumerQueue, ThreadCounters and
DLDataset.SetSplitSeed / SetNumChannels / ToTensorPlane (ECVL 1.0.3 support_eddl.h/.cpp,
PyECVL tests/test_eddl.py)."""

import math
import threading

import numpy as np
import pytest

import ecvl
import eddl
from bridge import DLDataset, MakeGrid, ProducersConsumerQueue, SampleError, ThreadCounters


# support_eddl.cpp MakeGrid: cols = min(B, cols), rows = ceil(B / cols); each tile is
# TensorToImage of one sample, optionally ScaleTo(0, 1), Mul(255.), channels "xyc",
# ConvertTo(uint8) (clamp, then truncate); missing tiles are black; HConcat then VConcat.
def _ref_grid(batch, cols, normalize):
    b, c, h, w = batch.shape
    cols = min(b, cols)
    rows = math.ceil(b / cols)
    out = np.zeros((rows * h, cols * w, c), np.uint8)
    for i in range(b):
        tile = batch[i].astype(np.float64)
        if normalize:
            tile = (tile - tile.min()) / (tile.max() - tile.min())
        vals = np.trunc(np.clip(tile * 255.0, 0, 255)).astype(np.uint8)
        r, k = divmod(i, cols)
        out[r * h:(r + 1) * h, k * w:(k + 1) * w] = vals.transpose(1, 2, 0)
    return out


@pytest.mark.parametrize("b,cols", [(5, 2), (3, 8), (8, 4), (1, 1), (7, 3)])
@pytest.mark.parametrize("normalize", [False, True])
def test_make_grid_matches_ecvl_tiling(b, cols, normalize):
    rng = np.random.default_rng(b * 10 + cols)
    batch = (rng.random((b, 3, 4, 5)) * 1.4 - 0.2).astype(np.float32)  # some values clip
    img = MakeGrid(eddl.Tensor(batch), cols, normalize)
    ref = _ref_grid(batch, cols, normalize)
    assert img.channels_ == "xyc" and img.elemtype_ == ecvl.DataType.uint8
    assert img.colortype_ == ecvl.ColorType.none
    assert img.dims_ == [ref.shape[1], ref.shape[0], 3]
    np.testing.assert_array_equal(img.canonical(), ref)
    assert ecvl.MakeGrid is MakeGrid


def test_make_grid_errors_and_constant_tiles():
    flat = eddl.Tensor(np.full((2, 1, 3, 3), 0.5, np.float32))
    assert MakeGrid(flat).canonical().max() == 127  # 127.5 truncated
    assert MakeGrid(flat, normalize=True).canonical().max() == 0
    with pytest.raises(ValueError, match=r"\[B, C, H, W\] tensor, got shape \(3, 4\)"):
        MakeGrid(eddl.Tensor(np.zeros((3, 4), np.float32)))
    with pytest.raises(ValueError, match="cols must be a positive int, got 0"):
        MakeGrid(flat, 0)


# PyECVL tests/test_eddl.py test_ProducersConsumerQueue, step by step.
def test_producers_consumer_queue_pyecvl_sequence():
    s = ("foo.png", [400, 300])
    img_t, gt_t = eddl.Tensor([5, 4, 3]), eddl.Tensor([5, 4, 3])
    q = ProducersConsumerQueue(5)
    assert not q.IsFull() and q.IsEmpty() and q.Length() == 0
    q.Push(s, img_t, gt_t)
    assert not q.IsFull() and not q.IsEmpty() and q.Length() == 1
    s_, img_, gt_ = q.Pop()
    assert not q.IsFull() and q.IsEmpty() and q.Length() == 0
    assert s_ == s and img_ is img_t and gt_ is gt_t
    q.SetSize(1, -1)
    q.Push(s, img_t, gt_t)
    assert q.IsFull()
    q.SetSize(8)
    assert not q.IsFull()
    q.FreeLockedOnPush()
    q.Clear()
    assert q.IsEmpty() and ecvl.ProducersConsumerQueue is ProducersConsumerQueue


def test_queue_blocks_and_wakes_producers_below_the_threshold():
    # ECVL Pop: producers blocked on a full queue are notified only once the length drops
    # below the threshold (default max_size / 2)
    q = ProducersConsumerQueue(4)
    for i in range(4):
        q.Push(i, None, None)
    pushed = threading.Event()

    def producer():
        q.Push(4, None, None)
        pushed.set()

    t = threading.Thread(target=producer)
    t.start()
    assert not pushed.wait(0.2)  # full: blocked
    assert q.Pop()[0] == 0       # 3 left, not below 2: producer not woken
    assert not pushed.wait(0.2)
    assert q.Pop()[0] == 1       # 2 left
    assert q.Pop()[0] == 2       # 1 left < 2: woken, and there is room
    assert pushed.wait(5)
    t.join(5)
    assert [q.Pop()[0] for _ in range(q.Length())] == [3, 4]
    with pytest.raises(TimeoutError, match="still empty after 0.05 s"):
        q.Pop(timeout=0.05)
    q.SetSize(1)
    q.Push(0, None, None)
    with pytest.raises(TimeoutError, match=r"still full \(1 items\)"):
        q.Push(1, None, None, timeout=0.05)
    with pytest.raises(ValueError, match="max_size must be an int >= 1, got 0"):
        q.SetSize(0)


def test_thread_counters():
    tc = ThreadCounters(10, 30)
    assert tc.counter_ == tc.min_ == 10 and tc.max_ == 30
    tc = ThreadCounters(20, 10, 30)
    assert (tc.counter_, tc.min_, tc.max_) == (20, 10, 30)
    tc.counter_ = 25
    tc.Reset()
    assert tc.counter_ == 10
    with pytest.raises(ValueError, match=r"takes \(min, max\) or \(counter, min, max\), got 1"):
        ThreadCounters(1)
    assert ecvl.ThreadCounters is ThreadCounters


def _orders(loader, n=2):
    loader.SetSplit("training")
    out = []
    for _ in range(n):
        loader.ResetBatch(shuffle=True)
        out.append([s.location_[0] for _ in range(loader.GetNumBatches())
                    for s in loader.GetBatch()[0]])
    return out


# support_eddl.h: static SetSplitSeed(seed) reseeds the engine every DLDataset shuffles with.
def test_set_split_seed_fixes_the_shuffling_of_every_loader(lesions):
    try:
        DLDataset.SetSplitSeed(12345)
        a = _orders(DLDataset(lesions["classification"], 4, seed=1))
        b = _orders(DLDataset(lesions["classification"], 4, seed=2))
        assert a == b and a[0] != a[1]  # same seed, same orders; epochs differ
        own = DLDataset(lesions["classification"], 4, seed=1)
        own.SetSplitSeed(7)             # on a loader: that loader only
        assert _orders(own) != a and DLDataset._split_seed == 12345
        DLDataset.SetSplitSeed(None)
        assert _orders(DLDataset(lesions["classification"], 4, seed=1)) != \
            _orders(DLDataset(lesions["classification"], 4, seed=2))
        with pytest.raises(ValueError, match="seed must be an int >= 0"):
            DLDataset.SetSplitSeed(-1)
    finally:
        DLDataset.SetSplitSeed(None)


def test_set_num_channels_declares_the_tensor_shapes(lesions):
    loader = DLDataset(lesions["segmentation"], 4)
    assert loader.tensors_shape_ == ([4, 3, 16, 16], [4, 1, 16, 16])
    loader.SetNumChannels(1)
    loader.SetNumChannels(1, 2)
    assert (loader.n_channels_, loader.n_channels_gt_) == (1, 2)
    assert loader.tensors_shape_ == ([4, 1, 16, 16], [4, 2, 16, 16])
    with pytest.raises(SampleError, match=r"image of shape \(3, 16, 16\).*holds \(1, 16, 16\)"):
        loader.LoadBatch()
    gray = DLDataset(lesions["segmentation"], 4, ctype=ecvl.ColorType.GRAY)
    gray.SetNumChannels(1)
    x, y = gray.LoadBatch()
    assert x.shape == (4, 1, 16, 16) and y.shape == (4, 1, 16, 16)
    with pytest.raises(ValueError, match="n_channels must be a positive int, got 0"):
        loader.SetNumChannels(0)


# support_eddl.cpp ToTensorPlane: a [num_classes] tensor with 1 at each label.
def test_to_tensor_plane(lesions):
    loader = DLDataset(lesions["classification"], 4)
    n = len(loader.classes_)
    for sample in loader.samples_[:5]:
        t = loader.ToTensorPlane(sample.label_)
        expected = np.zeros(n, np.float32)
        expected[sample.label_] = 1
        assert t.shape == (n,)
        np.testing.assert_array_equal(t.numpy(), expected)
    np.testing.assert_array_equal(loader.ToTensorPlane([0, 2]).numpy(), [1, 0, 1])
    with pytest.raises(ValueError, match=r"label 3 is not one of the 3 classes"):
        loader.ToTensorPlane([3])
    with pytest.raises(ValueError, match="has no classes"):
        DLDataset(lesions["segmentation"], 4).ToTensorPlane([0])
