"""Per-class overlap losses for segmentation, following MONAI.

Tversky, focal Tversky, generalized Dice, and Dice plus cross-entropy on logits
(``DiceCELoss``).

Predictions and targets are batch first with the class (channel) axis 1, ``[N, C, ...]``
(``[N, C]`` works too, one position per sample). Scores are computed per sample and class
over the positions; the loss of a sample is their mean over the classes, and ``value`` sums
the samples, so the reported mean equals MONAI's ``reduction="mean"`` with ``batch=False``.
The smoothing terms are MONAI's ``smooth_nr = smooth_dr = 1e-5``.
"""

from .base import Loss, register_loss
from .crossentropy import EPS, _xp  # one helper for the arrays' namespace

__all__ = ["Tversky", "FocalTversky", "GeneralizedDice", "DiceCE"]

#: MONAI's smooth_nr and smooth_dr
SMOOTH = 1e-5


def _ncx(a):
    if a.ndim < 2:
        raise ValueError(f"expected a batch-first [N, C, ...] array, got shape {list(a.shape)}")
    return a.reshape(a.shape[0], a.shape[1], -1)


class _PerClass(Loss):
    def check_target(self, t, y, layer_name):
        super().check_target(t, y, layer_name)
        if y.ndim < 2:
            raise ValueError(f"loss {self.name!r} on output {layer_name!r}: needs a [N, C, ...] "
                             f"output, got shape {list(y.shape)}")


class Tversky(_PerClass):
    """Tversky loss.

    Per sample the class mean of ``(1 - TI)^g`` with ``TI = (TP + s) / (TP + a FP + b FN + s)``, ``TP = sum(y t)``, ``FP = sum(y (1 - t))``,
    ``FN = sum((1 - y) t)`` over the positions of one class.

    Parameters
    ----------
    name : str
    alpha, beta : float
        Weights of false positives and false negatives (``a = b = 0.5`` is the Dice loss);
        the defaults 0.3 and 0.7 favour recall (Salehi et al., 2017).
    gamma : float
        Focal exponent ``g > 0``; 1 is the plain Tversky loss, below 1 is the focal Tversky
        loss of Abraham and Khan (2019), where ``1 - TI`` is floored at ``1e-7`` in the
        gradient so that it stays finite at a perfect score.
    """

    def __init__(self, name="tversky", alpha=0.3, beta=0.7, gamma=1.0):
        super().__init__(name)
        if not (alpha >= 0 and beta >= 0 and gamma > 0):
            raise ValueError(f"need alpha >= 0, beta >= 0, gamma > 0; got {alpha!r}, {beta!r}, {gamma!r}")
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)

    def _ti(self, t, y):
        yf, tf = _ncx(y), _ncx(t)
        tp = (yf * tf).sum(axis=2)
        fp = yf.sum(axis=2) - tp
        fn = tf.sum(axis=2) - tp
        num = tp + SMOOTH
        den = tp + self.alpha * fp + self.beta * fn + SMOOTH
        return tf, num, den

    def value(self, t, y):
        _, num, den = self._ti(t, y)
        return float(((1 - num / den) ** self.gamma).mean(axis=1).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        tf, num, den = self._ti(t, y)
        a, b, g = self.alpha, self.beta, self.gamma
        ti = num / den
        # d(loss)/d(TI), the class mean folded in
        dl = -g * xp.maximum(1 - ti, EPS) ** (g - 1) / y.shape[1]
        # dTP/dy = t, dFP/dy = 1 - t, dFN/dy = -t
        dden = tf * (1 - a - b) + a
        dti = (tf * den[..., None] - num[..., None] * dden) / (den ** 2)[..., None]
        _ncx(d)[...] = dl[..., None] * dti / y.shape[0]


class FocalTversky(Tversky):
    """:class:`Tversky` with ``gamma=0.75`` by default (the focal Tversky loss)."""

    def __init__(self, name="focal_tversky", alpha=0.3, beta=0.7, gamma=0.75):
        super().__init__(name, alpha, beta, gamma)


class GeneralizedDice(_PerClass):
    """Generalized Dice loss (Sudre et al., 2017), MONAI's ``GeneralizedDiceLoss``.

    Per sample ``1 - (2 sum_c w_c I_c + s) / (sum_c w_c (|y_c| + |t_c|) + s)`` with ``w_c = 1 / |t_c|^2``;
    the weight of a class absent from the target is the sample's largest finite weight (0 when
    every class is absent), as in MONAI.
    """

    def _terms(self, t, y):
        xp = _xp(y)
        yf, tf = _ncx(y), _ncx(t)
        ground = tf.sum(axis=2)
        w = 1.0 / xp.where(ground > 0, ground, 1.0) ** 2
        present = ground > 0
        w = xp.where(present, w, 0.0)
        w = xp.where(present, w, w.max(axis=1, keepdims=True))
        inter = (yf * tf).sum(axis=2)
        total = yf.sum(axis=2) + ground
        num = 2 * (w * inter).sum(axis=1) + SMOOTH
        den = (w * total).sum(axis=1) + SMOOTH
        return tf, w, num, den

    def value(self, t, y):
        _, _, num, den = self._terms(t, y)
        return float((1 - num / den).sum())

    def delta(self, t, y, d):
        tf, w, num, den = self._terms(t, y)
        # d(inter_c)/dy = t, d(total_c)/dy = 1; the weights depend on t only
        g = -(2 * w[..., None] * tf / den[:, None, None]
              - (num / den ** 2)[:, None, None] * w[..., None])
        _ncx(d)[...] = g / y.shape[0]


class DiceCE(_PerClass):
    """Dice plus cross-entropy of logits, MONAI's ``DiceCELoss(softmax=True)``.

    For one channel it is ``DiceCELoss(sigmoid=True)``. The output is the linear logits ``z``.

    Per sample ``ld * mean_c(1 - (2 I_c + s) / (|p_c| + |t_c| + s)) + lce * CE`` with
    ``p = softmax(z)`` over axis 1 and ``CE`` the mean over positions of ``-sum_c t_c log p_c``
    (for one channel: ``p = sigmoid(z)`` and the binary cross-entropy of the logits).

    Parameters
    ----------
    name : str
    lambda_dice, lambda_ce : float
        Weights of the two terms.
    """

    def __init__(self, name="dice_ce", lambda_dice=1.0, lambda_ce=1.0):
        super().__init__(name)
        if not (lambda_dice >= 0 and lambda_ce >= 0):
            raise ValueError(f"lambda_dice and lambda_ce must be >= 0, got {lambda_dice!r}, {lambda_ce!r}")
        self.lambda_dice, self.lambda_ce = float(lambda_dice), float(lambda_ce)

    def _probs(self, z):
        xp = _xp(z)
        zf = _ncx(z)
        if zf.shape[1] == 1:
            e = xp.exp(-xp.abs(zf))
            # sigmoid written so that exp never overflows
            return xp.where(zf >= 0, 1.0, e) / (1.0 + e), None
        m = zf.max(axis=1, keepdims=True)
        ez = xp.exp(zf - m)
        s = ez.sum(axis=1, keepdims=True)
        return ez / s, zf - m - xp.log(s)

    def _dice(self, tf, p):
        inter = (p * tf).sum(axis=2)
        tot = p.sum(axis=2) + tf.sum(axis=2)
        return inter, tot

    def value(self, t, z):
        xp = _xp(z)
        tf, zf = _ncx(t), _ncx(z)
        p, logp = self._probs(z)
        inter, tot = self._dice(tf, p)
        dice = (1 - (2 * inter + SMOOTH) / (tot + SMOOTH)).mean(axis=1)
        if logp is None:
            ce = (xp.maximum(zf, 0) - zf * tf + xp.log1p(xp.exp(-xp.abs(zf)))).mean(axis=(1, 2))
        else:
            ce = -(tf * logp).sum(axis=1).mean(axis=1)
        return float((self.lambda_dice * dice + self.lambda_ce * ce).sum())

    def delta(self, t, z, d):
        tf = _ncx(t)
        n, c, k = tf.shape
        p, logp = self._probs(z)
        inter, tot = self._dice(tf, p)
        den = (tot + SMOOTH)[..., None]
        score = (2 * inter + SMOOTH)[..., None] / den
        # d(dice term)/dp, the class mean folded in
        gp = -self.lambda_dice / c * (2 * tf - score) / den
        if logp is None:
            dz = gp * p * (1 - p) + self.lambda_ce * (p - tf) / k
        else:
            dz = p * (gp - (p * gp).sum(axis=1, keepdims=True))
            dz = dz + self.lambda_ce * (p * tf.sum(axis=1, keepdims=True) - tf) / k
        _ncx(d)[...] = dz / n


register_loss(Tversky, "tversky", "tversky_loss")
register_loss(FocalTversky, "focal_tversky", "focal_tversky_loss")
register_loss(GeneralizedDice, "generalized_dice", "generalized_dice_loss", "gdl")
register_loss(DiceCE, "dice_ce", "dice_cross_entropy", "dicece")
