"""The kit's own ``helpers/``, with its solutions, for the grader's references: loaded from the kit's
files under a package name of the grader's, ``lungkit_reference``, so that a hand-in's ``helpers``
can never stand in for it, whatever ``sys.path`` holds. The grader imports the kit's library only
through here (``tests/unit/test_kit_helpers.py`` pins it), and finds its copy of the dataset with it."""
import functools
import importlib
import importlib.util
import os
import sys

from .. import KIT
from ..errors import GradingError

PACKAGE = "lungkit_reference"
HELPERS = KIT / "helpers"


def kit_helpers(module):
    """The kit's ``helpers.<module>`` (``"data"``, ``"config"``...), as ``lungkit_reference.<module>``."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(PACKAGE, HELPERS / "__init__.py",
                                                      submodule_search_locations=[str(HELPERS)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{module}")


def grader_dataset():
    """The grader's verified copy of the dataset (``$LUNGKIT_DATA``, else where the kit keeps it), checked
    once per process and folder; GradingError saying how to get it when there is none."""
    return _verified_dataset(os.environ.get(kit_helpers("dataset").DATA_ENV) or None)


@functools.cache
def _verified_dataset(folder):
    dataset = kit_helpers("dataset")
    try:
        return dataset.find_dataset(folder, download=False)
    except dataset.DatasetError as error:
        raise GradingError(f"refusing to grade without the dataset, which every hand-in is graded on: {error}"
                           ) from None


def dataset_or_none():
    """``grader_dataset()``, or None where there is none (checks and kernels outside a grading run)."""
    try:
        return grader_dataset()
    except GradingError:
        return None
