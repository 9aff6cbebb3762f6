"""Finite-difference gradient checks for eddl layers, losses and regularizers (float64).

``check_gradients(make, input_shapes)`` builds ``Model(inputs, make(*inputs))`` in float64,
runs one forward/backward on random data, and compares every parameter gradient and every
input gradient with central differences of the objective ``sum(loss values) / batch +
regularization``. Random layers see the same random stream at every evaluation.
"""

import numpy as np

import eddl
from eddl.model import Model


def _objective(net, xs, ts, seed):
    net.rng = np.random.default_rng(seed)
    net.set_inputs(xs)
    net.set_targets(ts)
    net.forward()
    net.reset_loss()
    vals = net.compute_losses(check_finite=False)
    return sum(vals) / net.batch_size + net.regularization_loss()


def build_net(make, input_shapes, losses="mse_mean", optimizer=None):
    ins = [eddl.Input(list(s)) for s in input_shapes]
    outs = make(*ins)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    net = Model(ins, outs)
    net.input_grads = True
    if isinstance(losses, str):
        losses = [losses] * len(outs)
    net.build(optimizer or eddl.sgd(0.0), losses, ["none"] * len(outs), eddl.CS_CPU(), dtype="float64")
    return net


def random_targets(net, batch, rng, kind="real"):
    ts = []
    for l, _loss in zip(net.lout, net.losses):  # one target per loss
        shape = (batch,) + l.shape
        if kind == "onehot":
            t = np.eye(l.shape[-1])[rng.integers(0, l.shape[-1], shape[:-1])]
        elif kind == "prob":
            t = rng.random(shape)
        elif kind == "labels":
            t = rng.integers(0, l.shape[-1], (batch,)).astype(np.float64)
        else:
            t = rng.standard_normal(shape)
        ts.append(t)
    return ts


def check_gradients(make, input_shapes, losses="mse_mean", batch=3, seed=0, eps=1e-6, rtol=1e-5,
                    atol=1e-8, inputs=None, targets="real", net=None, check_inputs=True):
    """Assert analytic gradients of params and inputs match central differences.

    ``check_inputs`` is a bool, or the indices of the inputs to check (masks and lengths,
    which finite differences would change, left out).
    """
    rng = np.random.default_rng(seed)
    if net is None:
        net = build_net(make, input_shapes, losses)
    xs = inputs if inputs is not None else [rng.standard_normal((batch,) + tuple(s)) for s in input_shapes]
    ts = random_targets(net, batch, rng, targets) if isinstance(targets, str) else targets
    _objective(net, xs, ts, seed)
    net.backward()
    grads = [[g.copy() for g in l.gradients] for l in net.layers]
    in_grads = [l.delta.copy() if l.delta is not None else None for l in net.lin]
    checked = 0
    for l, gs in zip(net.layers, grads):
        if not l.trainable:
            continue
        for name, p, g in zip(l.param_names, l.params, gs):
            num = np.empty_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + eps
                fp = _objective(net, xs, ts, seed)
                p[i] = old - eps
                fm = _objective(net, xs, ts, seed)
                p[i] = old
                num[i] = (fp - fm) / (2 * eps)
            np.testing.assert_allclose(g, num, rtol=rtol, atol=atol,
                                       err_msg=f"gradient of {l.name}.{name}")
            checked += 1
    if check_inputs:
        for k, (x, g) in enumerate(zip(xs, in_grads)):
            if check_inputs is not True and k not in check_inputs:
                continue
            num = np.empty_like(x)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + eps
                fp = _objective(net, xs, ts, seed)
                x[i] = old - eps
                fm = _objective(net, xs, ts, seed)
                x[i] = old
                num[i] = (fp - fm) / (2 * eps)
            assert g is not None, f"input {k} got no gradient"
            np.testing.assert_allclose(g, num, rtol=rtol, atol=atol, err_msg=f"gradient of input {k}")
            checked += 1
    assert checked, "nothing was checked"
    return net
