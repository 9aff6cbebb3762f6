"""ecvl.augment: augmentations, containers and the augmentation DSL.

Every augmentation declares its parameters once; the declaration drives construction,
validation, random sampling, the text DSL (parsing and printing) and JSON/YAML.

Examples
--------
>>> import numpy as np
>>> from ecvl.augment import AugmentationFactory, sample_rng
>>> pipeline = AugmentationFactory.create('''
... SequentialAugmentationContainer
...     AugMirror p=0.5
...     AugRotate angle=[-30,30]
... End
... ''')
>>> img = np.zeros((64, 64, 3), np.uint8)
>>> out = pipeline(img, rng=sample_rng(seed=1, index=0))
>>> out.shape
(64, 64, 3)
"""

from .base import REGISTRY, Augmentation, as_rng, get_augmentation_class, sample_rng
from .containers import (
    DatasetAugmentations,
    OneOfAugmentationContainer,
    SequentialAugmentationContainer,
    SomeOfAugmentationContainer,
)
from .dsl import AugmentationFactory, AugmentationSyntaxError, parse
from .geometric import *  # noqa: F401,F403
from .geometric import __all__ as _geometric_all
from .intensity import *  # noqa: F401,F403
from .intensity import __all__ as _intensity_all
from .params import AugmentationParam, Param, set_seed
from .serialize import from_dict, from_json, from_yaml, load, save, to_json, to_yaml

#: Pythonic aliases of the containers.
Sequential = SequentialAugmentationContainer
OneOf = OneOfAugmentationContainer
SomeOf = SomeOfAugmentationContainer

# Names re-exported by ``import ecvl`` (PyECVL's plus unambiguous ones). The generic
# helpers (parse, load, save, from_dict, to_json, ..., Sequential/OneOf/SomeOf, set_seed)
# stay under ``ecvl.augment`` so they do not shadow other top-level names.
__all__ = [
    "Augmentation", "AugmentationParam", "AugmentationFactory", "AugmentationSyntaxError",
    "DatasetAugmentations", "OneOfAugmentationContainer", "SequentialAugmentationContainer",
    "SomeOfAugmentationContainer", "sample_rng",
] + list(_geometric_all) + list(_intensity_all)
