"""One row per registered augmentation: example parameters used across the tests.

``test_every_augmentation_has_a_case`` fails when a registered augmentation is missing
here, so a new augmentation cannot land untested.
"""

AUG_CASES = {
    # the 25 PyECVL augmentations
    "AugRotate": dict(angle=[-30, 30], center=(4, 5), scale=1.1, interp="cubic"),
    "AugResizeDim": dict(dims=(20, 14)),
    "AugResizeScale": dict(scale=(0.5, 1.5)),
    "AugFlip": dict(p=1.0),
    "AugMirror": dict(p=1.0),
    "AugTranspose": dict(p=1.0),
    "AugGaussianBlur": dict(sigma=[0.5, 1.5]),
    "AugAdditiveLaplaceNoise": dict(std_dev=[0, 12.75]),
    "AugAdditivePoissonNoise": dict(lambda_=[0, 10]),
    "AugGammaContrast": dict(gamma=[0.5, 2]),
    "AugCoarseDropout": dict(p=[0, 0.55], drop_size=[0.02, 0.1], per_channel=0.5),
    "AugBrightness": dict(beta=[0, 30]),
    "AugGridDistortion": dict(num_steps=[2, 5], distort_limit=[-0.3, 0.3]),
    "AugElasticTransform": dict(alpha=[30, 120], sigma=[3, 6]),
    "AugOpticalDistortion": dict(distort_limit=[-0.3, 0.3], shift_limit=[-0.1, 0.1],
                                 border_type="constant", border_value=7),
    "AugSalt": dict(p=[0.1, 0.3], per_channel=0.5),
    "AugPepper": dict(p=[0.1, 0.3], per_channel=0),
    "AugSaltAndPepper": dict(p=[0.1, 0.3], per_channel=1),
    "AugNormalize": dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
    "AugCenterCrop": dict(size=(10, 8)),
    "AugToFloat32": dict(divisor=255, divisor_gt=2),
    "AugDivBy255": dict(),
    "AugScaleTo": dict(new_min=0, new_max=1),
    "AugScaleFromTo": dict(old_min=0, old_max=255, new_min=-1, new_max=1),
    "AugRandomCrop": dict(size=(12, 9), border_type="reflect101"),
    # extensions
    "AugInvertIntensity": dict(p=1.0),
    "AugEqualizeHistogram": dict(p=1.0),
    "AugGaussianNoise": dict(std_dev=[1, 5], mean=0.5),
    "AugContrast": dict(alpha=[0.5, 1.5]),
    "AugAffine": dict(angle=[-10, 10], scale=[0.9, 1.1], shift=[-0.1, 0.1], shear=[-5, 5]),
    "AugRandomResizedCrop": dict(size=(16, 12), scale=[0.3, 1.0]),
    "AugCTWindow": dict(center=[30, 50], width=[300, 400]),
    "AugCLAHE": dict(clip_limit=[2, 3], tile_grid_size=(4, 3), p=1.0),
    # containers (children are added by the tests)
    "SequentialAugmentationContainer": dict(),
    "OneOfAugmentationContainer": dict(p=0.7),
    "SomeOfAugmentationContainer": dict(n=[1, 2]),
}

PYECVL_25 = list(AUG_CASES)[:25]
CONTAINERS = ["SequentialAugmentationContainer", "OneOfAugmentationContainer",
              "SomeOfAugmentationContainer"]
