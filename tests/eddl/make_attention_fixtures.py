"""Write ``fixtures/attention_torch.npz``: PyTorch ``nn.MultiheadAttention`` outputs and gradients.

``test_attention.py`` loads the same weights into :class:`eddl.layers.MultiHeadAttention` and
compares. Each case ``<case>/...`` holds the module's ``state_dict`` (``<case>/w.<name>``,
PyTorch's names), the inputs (``query``, ``key``, ``value``, batch first), the masks given
(``key_padding_mask`` as 0/1, a causal ``attn_mask`` as a flag), the output, the weights
(averaged over the heads or not) and, for the gradient cases, the gradients of
``sum(output * probe)`` with respect to the inputs and the weights. Run it where ``torch`` is
installed::

    python tests/eddl/make_attention_fixtures.py
"""

import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "attention_torch.npz")

#: name -> (embed_dim, heads, kdim, vdim, bias, Tq, Tk, self-attention, padding, causal, average)
CASES = {
    "self_padding": (8, 2, None, None, True, 5, 5, True, True, False, True),
    "cross_kdim_vdim_causal": (8, 4, 6, 3, True, 4, 6, False, False, True, False),
    "self_nobias_causal_padding": (6, 3, None, None, False, 5, 5, True, True, True, True),
}
BATCH = 3


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    out = {}
    for name, (e, h, kdim, vdim, bias, tq, tk, self_att, padding, causal, avg) in CASES.items():
        mha = torch.nn.MultiheadAttention(e, h, bias=bias, kdim=kdim, vdim=vdim,
                                          batch_first=True, dtype=torch.float64)
        with torch.no_grad():
            for p in mha.parameters():
                p.copy_(torch.from_numpy(rng.normal(0, 0.5, p.shape)))
        mha.eval()
        q = rng.normal(size=(BATCH, tq, e))
        k = q if self_att else rng.normal(size=(BATCH, tk, kdim or e))
        v = q if self_att else rng.normal(size=(BATCH, tk, vdim or e))
        kpm = np.zeros((BATCH, tk))
        if padding:
            kpm[1, -2:] = 1
            kpm[2, -1:] = 1
        tq_, tk_, tv_ = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
        if self_att:
            tk_ = tv_ = tq_
        attn_mask = torch.triu(torch.ones(tq, tk, dtype=torch.bool), 1) if causal else None
        y, w = mha(tq_, tk_, tv_, key_padding_mask=torch.tensor(kpm, dtype=torch.bool)
                   if padding else None, attn_mask=attn_mask, need_weights=True,
                   average_attn_weights=avg)
        probe = rng.normal(size=y.shape)
        (y * torch.from_numpy(probe)).sum().backward()
        case = {"query": q, "key": k, "value": v, "key_padding_mask": kpm,
                "output": y.detach().numpy(), "weights": w.detach().numpy(), "probe": probe,
                "grad.query": tq_.grad.numpy()}
        if not self_att:
            case["grad.key"], case["grad.value"] = tk_.grad.numpy(), tv_.grad.numpy()
        for n, p in mha.state_dict().items():
            case[f"w.{n}"] = p.numpy()
        for n, p in mha.named_parameters():
            case[f"grad.w.{n}"] = p.grad.numpy()
        out.update({f"{name}/{k}": v for k, v in case.items()})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({len(out)} arrays, torch {torch.__version__})")


if __name__ == "__main__":
    main()
