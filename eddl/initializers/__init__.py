"""Weight initializers (Glorot, He, LeCun, normal, uniform, constant, orthogonal)."""

from .initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Initializer,
    LeCunNormal,
    LeCunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    Zeros,
    fans_of,
    get_initializer,
)

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Initializer",
           "LeCunNormal", "LeCunUniform", "Orthogonal", "RandomNormal", "RandomUniform", "Zeros",
           "fans_of", "get_initializer"]
