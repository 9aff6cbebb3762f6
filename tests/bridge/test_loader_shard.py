"""DLDataset shards for distributed training: each rank its share of every epoch."""

import math

import numpy as np
import pytest

from bridge import DLDataset
from ecvl.augment import AugmentationFactory, DatasetAugmentations


def _augs():
    aug = AugmentationFactory.create("SequentialAugmentationContainer\n  AugMirror p=0.5\n"
                                     "  AugBrightness beta=[-20,20]\nend\n")
    return DatasetAugmentations([aug, None, None])


def _rows(loader, epoch):
    loader.SetSplit("training")
    loader.ResetBatch(shuffle=True, epoch=epoch)
    xs, ys = zip(*[(x.numpy().copy(), y.numpy().copy()) for x, y in loader])
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize("world_size, batch", [(2, 4), (5, 2), (3, 5)])
def test_shares_are_the_strided_padded_epoch(lesions, world_size, batch):
    full = DLDataset(lesions["classification"], batch, _augs(), seed=5, scale=1 / 255)
    shards = [DLDataset(lesions["classification"], batch, _augs(), seed=5, scale=1 / 255,
                        num_workers=2, shard=(r, world_size)) for r in range(world_size)]
    for epoch in (1, 2):
        fx, fy = _rows(full, epoch)
        n = len(fx)
        per_rank = math.ceil(n / world_size)
        pad = np.arange(per_rank * world_size) % n  # the first samples repeated
        for r, loader in enumerate(shards):
            x, y = _rows(loader, epoch)
            assert loader.GetNumBatches("training") == math.ceil(per_rank / batch)
            np.testing.assert_array_equal(x, fx[pad[r::world_size]])
            np.testing.assert_array_equal(y, fy[pad[r::world_size]])


def test_set_shard_defaults_to_a_world_of_one_and_validates(lesions):
    whole = DLDataset(lesions["classification"], 4, shard="auto")
    assert whole.GetNumBatches("training") == 3
    loader = DLDataset(lesions["classification"], 4)
    loader.SetShard(1, 4)
    assert loader.GetNumBatches("training") == 1
    loader.SetShard(0, 1)
    assert loader.GetNumBatches("training") == 3
    with pytest.raises(ValueError, match="rank 4 is outside a world of 4"):
        loader.SetShard(4, 4)
    with pytest.raises(ValueError, match="rank must be an int"):
        loader.SetShard(0.5, 2)
    with pytest.raises(ValueError, match="shard must be"):
        DLDataset(lesions["classification"], 4, shard=3)
    loader.SetSplit("training")
    loader.Start()
    try:
        with pytest.raises(RuntimeError, match="Stop"):
            loader.SetShard(0, 2)
    finally:
        loader.Stop()
