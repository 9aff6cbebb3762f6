"""ecvl.dataset: the DeepHealth Dataset Format (DDF).

Parse, validate, write and generate dataset descriptions::

    from ecvl.dataset import Dataset, generate_classification_dataset
    d = Dataset("mnist.yml")                      # strict validation by default
    d.GetSplit("training")                        # sample indices
    g = generate_classification_dataset("root/", ratios={"training": 0.8, "test": 0.2})
    g.dump("root/dataset.yml")
"""

from .ddf import Dataset, DatasetError, Sample, Split, load_dataset
from .generator import (
    GenerateClassificationDataset,
    GenerateSegmentationDataset,
    generate_classification_dataset,
    generate_segmentation_dataset,
)
from .writer import dump_dataset

__all__ = [
    "Dataset", "DatasetError", "GenerateClassificationDataset", "GenerateSegmentationDataset",
    "Sample", "Split", "dump_dataset", "generate_classification_dataset",
    "generate_segmentation_dataset", "load_dataset",
]
