"""The pinned requirements install from binary wheels alone wherever students work.

uv resolves ``requirements.txt`` for each target platform and Python (pip cannot: it evaluates
environment markers for the machine it runs on), allowing wheels only. This needs PyPI.
"""
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

from grading.course import KIT

UV = "uv==0.13.8"
PYTHONS = ("3.11", "3.12", "3.13")
# Each platform students use, with the TensorFlow distribution the markers must pick there.
PLATFORMS = {
    "x86_64-unknown-linux-gnu": "tensorflow-cpu",
    "aarch64-unknown-linux-gnu": "tensorflow",
    "aarch64-apple-darwin": "tensorflow",
    "x86_64-pc-windows-msvc": "tensorflow-cpu",
}
TENSORFLOWS = {"tensorflow", "tensorflow-cpu"}


@pytest.fixture(scope="module")
def uv(tmp_path_factory):
    """The uv command, installed in a venv of its own."""
    venv = tmp_path_factory.mktemp("uv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", UV], check=True)
    return str(venv / "bin" / "uv")


def resolve(uv, platform, python):
    """``uv pip compile`` of the kit's requirements for one platform and Python, wheels only."""
    # uv may not fetch a Python of its own: PyPI is the only registry CI reaches, and wheels need none.
    command = [uv, "pip", "compile", "--quiet", "--no-python-downloads", "--only-binary", ":all:",
               "--python-platform", platform, "--python-version", python, str(KIT / "requirements.txt")]
    return subprocess.run(command, capture_output=True, text=True)


def pinned_tensorflow():
    """The version that requirements.txt pins for TensorFlow (the same for both distributions)."""
    lines = [line.split("#")[0] for line in (KIT / "requirements.txt").read_text().splitlines()]
    versions = {str(r.specifier) for r in map(Requirement, filter(str.strip, lines)) if r.name in TENSORFLOWS}
    assert len(versions) == 1, f"requirements.txt pins TensorFlow at {versions}: one version for every platform"
    return versions.pop()


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_pins_resolve_to_wheels(uv, platform, python):
    result = resolve(uv, platform, python)
    assert result.returncode == 0, f"no wheels-only install on {platform}, Python {python}:\n{result.stderr}"
    resolved = {line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith((" ", "#"))}
    assert resolved & {f"{name}{pinned_tensorflow()}" for name in TENSORFLOWS} == {
        f"{PLATFORMS[platform]}{pinned_tensorflow()}"
    }, f"{platform} should get {PLATFORMS[platform]} alone, got {sorted(resolved)}"


def test_intel_macs_are_sent_to_colab(uv):
    """TensorFlow 2.21 has no wheel for Intel Macs: the student README must say where to work instead."""
    result = resolve(uv, "x86_64-apple-darwin", "3.12")
    assert result.returncode != 0 and "tensorflow" in result.stderr, "Intel Macs install now: update the READMEs"
    assert "Intel Mac" in (KIT / "grading" / "student" / "README.md").read_text()
