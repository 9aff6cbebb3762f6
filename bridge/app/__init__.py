"""The DeepHealth application: the ``deephealth-train`` and ``deephealth-predict`` commands.

Everything behind the two commands lives here: experiment files and flags
(:mod:`bridge.app.experiment`), dataset checks (:mod:`bridge.app.validate`), the built-in
synthetic dataset (:mod:`bridge.app.synth`), model and optimizer choice by name
(:mod:`bridge.app.models`), the training loop (:mod:`bridge.app.train`), checkpoints
(:mod:`bridge.app.checkpoint`), prediction of a trained run (:mod:`bridge.app.predict`) and
the pictures of a run (:mod:`bridge.app.report`).

It is built on the library part of :mod:`bridge` (image/tensor conversion, ``DLDataset``,
volume reading and prediction), which never imports this package: a script that assembles
its own pipeline needs only ``bridge``.
"""
