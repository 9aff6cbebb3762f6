"""Sphinx configuration for the DeepHealth toolkit documentation."""

import importlib.metadata

project = "DeepHealth toolkit"
author = "The DeepHealth toolkit developers"
copyright = "2026, The DeepHealth toolkit developers"
try:
    release = importlib.metadata.version("deephealth")
except importlib.metadata.PackageNotFoundError:  # building docs from a bare checkout
    release = "unknown"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "generated"]
master_doc = "index"

autodoc_default_options = {"members": True, "undoc-members": False}
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

intersphinx_mapping = {}

html_theme = "alabaster"
html_static_path = []


def _write_onnx_table(app):
    # the table of supported ONNX operators comes from the importer's own op table
    import os

    import eddl.onnx

    folder = os.path.join(app.srcdir, "generated")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "onnx_operators.md"), "w") as f:
        f.write(eddl.onnx.support_table() + "\n")


def setup(app):
    app.connect("builder-inited", _write_onnx_table)
