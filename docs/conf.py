"""Sphinx configuration of the qiskit_ionq documentation site.

Build it with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (README,
"Documentation"). Tutorials are MyST notebooks executed during the build against the bundled
emulator, so a broken example breaks the build.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_ext"))

import qiskit_ionq

project = "qiskit_ionq"
author = "qiskit_ionq contributors"
copyright = "qiskit_ionq contributors"
release = qiskit_ionq.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "myst_nb",
    "qiskit_sphinx_theme",
    "run_options",
]

html_theme = "qiskit-ecosystem"
html_title = f"qiskit_ionq {release}"
html_static_path = ["_static"]
html_theme_options = {"sidebar_qiskit_ecosystem_member": False}
html_last_updated_fmt = None

# Sources: Markdown (MyST) pages and MyST notebooks; docs/_build and the contributors' notes
# that are not pages of the site stay out.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "jupyter_execute"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Every notebook runs at build time against the bundled emulator (no network, few shots).
nb_execution_mode = "force"
nb_execution_timeout = 180
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autoclass_content = "both"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Qiskit's own classes appear in our signatures and bases; they are documented elsewhere.
nitpicky = False
suppress_warnings = ["myst.header"]
