"""Finite-difference checks of the core layers and activations."""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.layers import ACTIVATIONS

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402


def test_dense_with_and_without_bias():
    check_gradients(lambda x: eddl.Dense(eddl.Dense(x, 4), 3, use_bias=False), [(5,)])


def test_dense_on_3d_input():
    check_gradients(lambda x: eddl.Dense(x, 3), [(2, 4)])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name):
    def make(x):
        h = eddl.Dense(x, 4)
        return eddl.Activation(h, name)
    # keep inputs away from the kinks of relu-like functions
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5))
    check_gradients(make, [(5,)], inputs=[x], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_any_axis(axis):
    check_gradients(lambda x: eddl.Softmax(x, axis=axis), [(3, 4)])


@pytest.mark.parametrize("loss,targets", [("soft_cross_entropy", "onehot"),
                                          ("cross_entropy", "onehot"),
                                          ("sparse_categorical_cross_entropy", "labels")])
def test_softmax_cross_entropy_fused(loss, targets):
    net = check_gradients(lambda x: eddl.Softmax(eddl.Dense(x, 4)), [(5,)], losses=loss, targets=targets)
    assert net.lout[0].fused_loss


def test_sigmoid_binary_cross_entropy_fused():
    net = check_gradients(lambda x: eddl.Sigmoid(eddl.Dense(x, 3)), [(4,)], losses="bce", targets="prob")
    assert net.lout[0].fused_loss


@pytest.mark.parametrize("loss,targets", [("mse_mean", "real"), ("mae_mean", "real"), ("dice", "prob"),
                                          ("bce", "prob"), ("cross_entropy", "prob")])
def test_losses_unfused(loss, targets):
    # a Sigmoid followed by Linear keeps outputs in (0, 1) without triggering the fusion
    def make(x):
        return eddl.Linear(eddl.Sigmoid(eddl.Dense(x, 4)), 1.0)
    check_gradients(make, [(3,)], losses=loss, targets=targets, rtol=1e-4)


def test_branches_and_shared_subgraph():
    def make(x):
        h = eddl.Tanh(eddl.Dense(x, 4))        # used by both branches
        a = eddl.Dense(h, 3)
        b = eddl.Sigmoid(eddl.Dense(h, 3))
        return [eddl.Softmax(a), b]
    check_gradients(make, [(5,)], losses=["soft_cross_entropy", "mse_mean"], targets="prob")


def test_dropout_gradient_uses_same_mask():
    check_gradients(lambda x: eddl.Dropout(eddl.Dense(x, 6), 0.5), [(4,)])


@pytest.mark.parametrize("reg", [eddl.L1, eddl.L2, eddl.L1L2])
def test_regularizers(reg):
    check_gradients(lambda x: reg(eddl.Dense(x, 3), *([0.1] if reg is not eddl.L1L2 else [0.1, 0.2])),
                    [(4,)], rtol=1e-4)
