"""Self-check: run the visible tests of every question on your current code.

    python check.py [--timeout SECONDS]

First finds the data (downloading it when needed) and stops, saying what to do, when it cannot.
Then runs the five notebooks in order on a copy of this folder, in fast mode (LUNGKIT_FAST=1: a small
U-Net trained for 10 epochs), so your notebooks and artifacts/ stay as they are. Notebook 5 tests
your fully trained model from artifacts/ when there is one, else the fast one. Prints one line per
question: passed, FAILED with the error, or not attempted (the code it checks, or code before it,
still raises NotImplementedError). Exits 0 only when every test passes.
"""
import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COPIED = ("*.ipynb", "helpers", "artifacts")
STUB = "NotImplementedError"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FRAME = re.compile(r"(helpers[/\\]\w+\.py):\d+, in (\w+)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import DeadKernelError
    except ImportError as error:
        sys.exit(f"{error}: run this with the Python of your environment, e.g. .venv/bin/python check.py")
    notebooks = sorted(HERE.glob("[0-9]*.ipynb"))
    if not notebooks or not (HERE / "helpers").is_dir():
        sys.exit(f"{HERE} holds no notebooks or no helpers/: run check.py from the assignment folder")
    data_problem = dataset_problem()
    if data_problem:
        sys.exit(f"the notebooks cannot run without the data: {data_problem}")
    os.environ["LUNGKIT_FAST"] = "1"
    for name in ("LUNGKIT_GRADING", "LUNGKIT_ARTIFACTS"):
        os.environ.pop(name, None)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        work = copy_assignment(Path(scratch))
        for path in notebooks:
            print(f"running {path.name} ...", flush=True)
            notebook = nbformat.read(work / path.name, as_version=4)
            client = NotebookClient(notebook, timeout=args.timeout, interrupt_on_timeout=True, kernel_name="python3",
                                    allow_errors=True, resources={"metadata": {"path": str(work)}})
            try:
                client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log; errors are in the cells
            except DeadKernelError as error:
                print(f"{path.name}: Python died ({error}); the cells after it did not run")
            results += [(path.name, *result) for result in question_results(notebook.cells)]
    status = report(results)
    if not (HERE / "artifacts" / "unet.weights.h5").is_file():
        print("note: artifacts/ holds no fully trained model, so notebook 5 was tested on the fast one;"
              " run notebook 4 in full before you hand in")
    return status


def dataset_problem():
    """Why the notebooks would not find the dataset (after trying to download it), or None."""
    spec = importlib.util.spec_from_file_location("lungkit_dataset", HERE / "helpers" / "dataset.py")
    dataset = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dataset)  # not the helpers package, whose imports take seconds
    try:
        os.environ[dataset.DATA_ENV] = str(dataset.find_dataset())
    except dataset.DatasetError as error:
        return str(error)
    return None


def copy_assignment(scratch):
    """Copy the notebooks, helpers/ and artifacts/ into ``scratch``; return the copy's folder."""
    work = scratch / HERE.name
    work.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "fast")
    for pattern in COPIED:
        for path in HERE.glob(pattern):
            if path.is_dir():
                shutil.copytree(path, work / path.name, ignore=ignore)
            else:
                shutil.copy2(path, work)
    return work


def question_results(cells):
    """``(question, grade_id, points, status, message)`` for each autograded test cell of an executed notebook."""
    question, stub = "", None
    for cell in cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## Question"):
            question = cell.source.split(":")[0].removeprefix("## Question").strip()
        meta = cell.metadata.get("nbgrader", {})
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if meta.get("grade") and not meta.get("solution"):
            status, message = "passed", ""
            if cell.execution_count is None and not errors:
                status, message = "FAILED", "did not run: Python died or stopped before it"
            elif errors and (stub or errors[0].ename == STUB):
                status, message = "not attempted", stub or stub_origin(errors[0], meta)
            elif errors:
                status, message = "FAILED", f"{errors[0].ename}: {errors[0].evalue}".splitlines()[0][:200]
            yield question, meta["grade_id"], meta.get("points", 0), status, message
        elif errors and errors[0].ename == STUB and stub is None:
            stub = stub_origin(errors[0], meta)


def stub_origin(error, meta):
    """What still raises NotImplementedError: the helpers function in ``error``'s traceback, or the cell."""
    frames = FRAME.findall(ANSI.sub("", "\n".join(error.get("traceback", []))))
    where = f"{frames[-1][1]} in {frames[-1][0]}" if frames else f"cell {meta.get('grade_id', '')}".strip()
    return f"{where} still raises {STUB}"


def report(results):
    """Print one line per question and a summary; return the exit status (0 when all pass)."""
    width = max((len(grade_id) for _, _, grade_id, *_ in results), default=0)
    for notebook, question, grade_id, points, status, message in results:
        line = f"{notebook:22} {question:6} {grade_id:{width}} {points:>2} pt  {status}"
        print(line + (f": {message}" if message else ""))
    passed = sum(status == "passed" for *_, status, _ in results)
    if passed == len(results):
        print(f"all {len(results)} questions pass")
        return 0
    print(f"{passed} of {len(results)} questions pass; fix the others before you hand in")
    return 1


if __name__ == "__main__":
    sys.exit(main())
