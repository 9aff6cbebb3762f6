"""ecvl.dataset: the DeepHealth Dataset Format (DDF).

Parse, validate, write and generate dataset descriptions::

    from ecvl.dataset import Dataset, generate_classification_dataset
    d = Dataset("mnist.yml")                      # strict validation by default
    d.GetSplit("training")                        # sample indices
    g = generate_classification_dataset("root/", ratios={"training": 0.8, "test": 0.2})
    g.dump("root/dataset.yml")
    set_fold_splits(g, 0, k=5)                    # fold 0 of 5 as training/validation
"""

from .ddf import Dataset, DatasetError, Sample, Split, load_dataset
from .generator import (
    GenerateClassificationDataset,
    GenerateSegmentationDataset,
    generate_classification_dataset,
    generate_segmentation_dataset,
)
from .splits import kfold_splits, set_fold_splits
from .writer import dump_dataset

__all__ = [
    "Dataset", "DatasetError", "GenerateClassificationDataset", "GenerateSegmentationDataset",
    "Sample", "Split", "dump_dataset", "generate_classification_dataset",
    "generate_segmentation_dataset", "kfold_splits", "load_dataset", "set_fold_splits",
]
