"""Hand-in: build <student id>.zip with exactly what is graded, ready to upload.

    python handin.py STUDENT_ID [--out FOLDER]
    python handin.py --check          # on a JupyterHub: check only, then submit from the Assignments tab

The zip holds the notebooks, helpers/ and the fully trained model in artifacts/ (weights,
training.json, metrics.json), nothing else: no dataset, caches, checkpoints or fast-mode model.
It refuses, saying why, a missing, renamed, duplicated or damaged notebook, a missing or fast-mode
model and a zip over the size limit.
"""
import argparse
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
NOTEBOOKS = ("01_data.ipynb", "02_augmentation.ipynb", "03_unet.ipynb", "04_training.ipynb", "05_evaluation.ipynb")
MODEL = ("unet.weights.h5", "training.json")
OPTIONAL = ("metrics.json",)
SKIPPED = ("__pycache__", ".ipynb_checkpoints")
MAX_MB = 50


class HandInError(Exception):
    """The hand-in cannot be built; the message says why and what to do."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("student_id", nargs="?", help="your student id: letters, digits, _ . -")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the zip (default: this folder)")
    parser.add_argument("--check", action="store_true", help="run the same checks and write nothing: before you "
                                                             "submit from a JupyterHub's Assignments tab")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            try:
                with zipfile.ZipFile(hand_in("check", scratch)) as zipped:
                    count = len(zipped.namelist())
            except HandInError as error:
                sys.exit(f"not ready to hand in: {error}")
        print(f"ready to hand in: {count} files pass the checks; submit from the Assignments tab (or nbgrader submit)")
        return 0
    if args.student_id is None:
        parser.error("give your student id (or --check to check only)")
    try:
        archive = hand_in(args.student_id, args.out)
    except HandInError as error:
        sys.exit(f"no hand-in built: {error}")
    with zipfile.ZipFile(archive) as zipped:
        count = len(zipped.namelist())
    print(f"wrote {archive}: {count} files, {archive.stat().st_size / 1e6:.1f} MB; upload it where your course asks")
    return 0


def hand_in(student_id, out=HERE, folder=HERE):
    """Write ``out/<student_id>.zip`` from the assignment ``folder``; return its path."""
    if not STUDENT_ID.fullmatch(student_id):
        raise HandInError(f"{student_id!r} is not a student id: use letters, digits, _ . - (a letter or digit first)")
    if not Path(out).is_dir():
        raise HandInError(f"{out} is not a folder: give an existing folder with --out")
    files = notebooks(folder) + helpers(folder) + trained_model(folder)
    archive = Path(out) / f"{student_id}.zip"
    partial = archive.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in files:
            zipped.write(path, path.relative_to(folder).as_posix())
    size_mb = partial.stat().st_size / 1e6
    if size_mb > MAX_MB:
        partial.unlink()
        largest = max(files, key=lambda p: p.stat().st_size)
        raise HandInError(f"the zip would be {size_mb:.0f} MB, over {MAX_MB} MB; its largest file is "
                          f"{largest.relative_to(folder)} ({largest.stat().st_size / 1e6:.0f} MB): clear a notebook's "
                          "large outputs, or train one of the course's recipes, whose weights are much smaller")
    partial.replace(archive)
    return archive


def notebooks(folder):
    """The five notebooks of the assignment, each checked to be a readable notebook. Refuses a
    missing one, and a second notebook beside one (``03_unet-Copy1.ipynb``): only the released
    names are graded."""
    present = sorted(path.name for path in folder.glob("*.ipynb"))
    for name in NOTEBOOKS:
        others = [other for other in present if other != name and other[:3] == name[:3]]
        if name not in present:
            if others:
                raise HandInError(f"{name} is missing, but {' and '.join(others)} is here: only {name} is graded, "
                                  f"so rename the notebook that holds your answers {name}")
            raise HandInError(f"{name} is missing from {folder}: restore it from your backup, or from the release zip "
                              "(its answers are then empty), and run handin.py from the assignment folder")
        if others:
            raise HandInError(f"{' and '.join(others)} beside {name}: only {name} is graded; make sure your answers "
                              f"are in {name}, then delete or move the other copy out of this folder")
    for name in NOTEBOOKS:
        try:
            cells = json.loads((folder / name).read_text(encoding="utf-8"))["cells"]
        except (ValueError, KeyError, TypeError) as error:
            raise HandInError(f"{name} is not a readable notebook ({error}): restore it from your last good copy")
        if not isinstance(cells, list):
            raise HandInError(f"{name} has no list of cells: restore it from your last good copy")
    return [folder / name for name in NOTEBOOKS]


def helpers(folder):
    """Every file of ``helpers/``, without caches."""
    root = folder / "helpers"
    if not (root / "__init__.py").is_file():
        raise HandInError(f"{root} is missing or has no __init__.py: your implementations live there; restore it")
    return sorted(p for p in root.rglob("*") if p.is_file() and not any(s in p.parts for s in SKIPPED)
                  and p.suffix != ".pyc")


def trained_model(folder):
    """The fully trained model in ``artifacts/``; refuses a missing or fast-mode one."""
    artifacts = folder / "artifacts"
    missing = [name for name in MODEL if not (artifacts / name).is_file()]
    if missing:
        fast_only = (artifacts / "fast" / MODEL[0]).is_file()
        fast = " (there is only the fast-mode one, in artifacts/fast/)" if fast_only else ""
        raise HandInError(f"no trained model in {artifacts}: {', '.join(missing)} missing{fast}; run notebook 4 "
                          "without LUNGKIT_FAST, it saves the model there")
    try:
        record = json.loads((artifacts / "training.json").read_text())
    except ValueError as error:
        raise HandInError(f"{artifacts / 'training.json'} is damaged ({error}): run notebook 4 again")
    if "fast_mode" not in record:
        raise HandInError(f"{artifacts / 'training.json'} does not say how the model was trained: run notebook 4 again")
    if record["fast_mode"]:
        raise HandInError(f"{artifacts / 'training.json'} records a fast-mode run (LUNGKIT_FAST=1: a small U-Net "
                          "trained for a few epochs, a smoke test): graders evaluate the model you trained, so run "
                          "notebook 4 without LUNGKIT_FAST, then hand in")
    return [artifacts / name for name in MODEL + OPTIONAL if (artifacts / name).is_file()]


if __name__ == "__main__":
    sys.exit(main())
