"""Execute the five notebooks in order, each on a fresh kernel: the kit's main job.

    python notebooks/execute.py [--out artifacts/notebooks | --inplace]

Full mode trains the recipe named by ``LUNGKIT_RECIPE`` in notebook 4 (without it ``fast``, about 3.5
minutes on 2 CPU cores, or ``default`` where a GPU is found); notebook 5 then writes ``artifacts/metrics.json``. The executed notebooks go to ``--out`` and
their figures, as PNG files, to ``figures/`` beside it. Printed output, Keras' progress included,
is echoed as it comes. ``--inplace`` refreshes the outputs stored in the notebooks themselves
(maintainers, before committing). TensorFlow's C++ start-up lines are dropped from the outputs:
they are noise, and nbval never sees them.
"""
import argparse
import base64
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent
START_UP_NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} .*\] )")


def without_noise(text):
    """``text`` less TensorFlow's C++ start-up lines."""
    return "".join(line for line in text.splitlines(keepends=True) if not START_UP_NOISE.match(line))


class EchoingClient(NotebookClient):
    """A notebook client that also prints stream output as it arrives."""

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            msg["content"]["text"] = without_noise(msg["content"]["text"])
            print(msg["content"]["text"], end="", flush=True)
        return super().output(outs, msg, display_id, cell_index)


def save_figures(notebook, stem, folder):
    """Write every PNG figure among the notebook's outputs to ``folder/stem_N.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = [o.data["image/png"] for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    for number, figure in enumerate(figures, 1):
        (folder / f"{stem}_{number}.png").write_bytes(base64.b64decode(figure))


def execute(path, out):
    """Run one notebook top to bottom and write it, with its outputs, to ``out``."""
    notebook = nbformat.read(path, as_version=4)
    print(f"== {path.name}", flush=True)
    start = time.perf_counter()
    EchoingClient(notebook, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for cell in notebook.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "stream" or o.get("text")]
    nbformat.write(notebook, out)
    print(f"== {path.name} done in {time.perf_counter() - start:.0f} s", flush=True)
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=NOTEBOOKS.parent / "artifacts" / "notebooks", help="folder for executed copies")
    where.add_argument("--inplace", action="store_true", help="overwrite the notebooks' stored outputs")
    args = parser.parse_args(argv)
    if not args.inplace:
        args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        notebook = execute(path, path if args.inplace else args.out / path.name)
        if not args.inplace:
            save_figures(notebook, path.stem, args.out.parent / "figures")


if __name__ == "__main__":
    sys.exit(main())
