"""The grader's references come through one door (grading/judging/kit_helpers.py): the kit's own helpers/,
loaded from its files under a package name of the grader's. No grader-side module imports the name
``helpers`` a hand-in can shadow, and grading/judging/sandboxed/ imports nothing of the grader."""
import ast
import subprocess
import sys

from grading.course import KIT
from grading.judging.sandbox import SCRIPTS

GRADING = KIT / "grading"


def imported(path):
    """``(module, level)`` of every import statement in the file ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_no_grader_module_imports_the_name_a_hand_in_can_shadow():
    grader = [path for path in GRADING.rglob("*.py") if not {"sandboxed", "student"} & set(path.parts)]
    assert len(grader) > 20
    shadowable = {path.name: module for path in grader for module, level in imported(path)
                  if level == 0 and (module == "helpers" or module.startswith("helpers."))}
    assert shadowable == {}


def test_the_sandboxed_scripts_import_nothing_of_the_grader():
    scripts = sorted(SCRIPTS.glob("*.py"))
    assert len(scripts) >= 6
    of_the_grader = {path.name: module for path in scripts for module, level in imported(path)
                     if level > 0 or module == "grading" or module.startswith("grading.")}
    assert of_the_grader == {}


def test_a_helpers_first_on_the_path_never_stands_in_for_the_kits(tmp_path):
    """A ``helpers`` package ahead of the kit on sys.path (as a hand-in's folder would be): the grader's
    references still come from the kit's files, and that package is never imported."""
    fake = tmp_path / "helpers"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise SystemExit('the shadowing helpers was imported')\n")
    probe = ("import sys; sys.path.insert(0, sys.argv[1]);"
             "from grading.judging import evidence, perturb, questions; from grading.output import release;"
             "from grading.judging.kit_helpers import kit_helpers;"
             "print(kit_helpers('data').__file__, kit_helpers('config').AUGMENTATION['cval'], 'helpers' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=KIT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    path, _, shadowed = done.stdout.split()
    assert path == str(KIT / "helpers" / "data.py") and shadowed == "False"
