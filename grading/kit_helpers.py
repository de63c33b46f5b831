"""The kit's own ``helpers/``, with its solutions, for the grader's references: loaded from the kit's
files under a package name of the grader's, ``lungkit_reference``, so that a hand-in's ``helpers``
can never stand in for it, whatever ``sys.path`` holds. The grader imports the kit's library only
through here (``tests/test_kit_helpers.py`` pins it)."""
import importlib
import importlib.util
import sys
from pathlib import Path

PACKAGE = "lungkit_reference"
HELPERS = Path(__file__).resolve().parent.parent / "helpers"


def kit_helpers(module):
    """The kit's ``helpers.<module>`` (``"data"``, ``"config"``...), as ``lungkit_reference.<module>``."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(PACKAGE, HELPERS / "__init__.py",
                                                      submodule_search_locations=[str(HELPERS)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{module}")
