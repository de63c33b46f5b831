"""Find solution and hidden-test lines in files that students see (a release, feedback).

A secret line is a line that the source holds only inside a solution region, a solution
cell or a hidden-test region; a line also found outside them (an import, ``return x``) is
public. Comparison is by stripped line, so indentation and HTML markup do not hide a leak, and
a file is read as it is and decoded as a student would encode a leak: reversed, and each long
base64 or hex word decoded, forwards or reversed, inflated when it is compressed.
"""
import base64
import binascii
import json
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
ENCODED_WORD = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
MAX_INFLATED = 2**20  # bytes of one compressed word read back: a leak is a few lines, a bomb is not read


def secret_lines(source, kinds=("solution", "hidden tests")):
    """The secret lines of the notebooks and other text files in ``source``, of the given kinds."""
    secret, public = set(), set()
    for text, solution_cell in _texts(source):
        for line, kind in _regions(text, solution_cell):
            if kind is None:
                public.add(line)
            elif kind in kinds:
                secret.add(line)
    return {line for line in secret - public if any(c.isalnum() for c in line)}


def find_leaks(folder, secrets, markers=SOLUTION + HIDDEN_TESTS):
    """``(file, line)`` for each marker or secret line that a file under ``folder`` holds."""
    leaks = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        text = "\n".join(_text_lines(path))
        lines = {line.strip() for variant in (text, *decoded(text)) for line in variant.splitlines()}
        found = sorted(lines & secrets) + sorted({m for m in markers for line in lines if m in line})
        leaks += [(path, line) for line in found]
    return leaks


def describe(leaks):
    """The leaks, one ``file: line`` a line."""
    return "\n".join(f"{path}: {line}" for path, line in leaks)


def decoded(text):
    """What ``text`` may hide: itself reversed, and each long base64 or hex word of it decoded."""
    yield text[::-1]
    for word in set(ENCODED_WORD.findall(text)):
        for candidate in (word, word[::-1]):
            for data in _decodings(candidate):
                for plain in (data, _inflated(data)):
                    if plain:
                        readable = plain.decode(errors="ignore")
                        yield from (readable, readable[::-1])


def _decodings(word):
    """The bytes ``word`` stands for as base64 (standard or URL-safe) or hex, where it is one."""
    padded = word + "=" * (-len(word) % 4)
    for decode, argument in ((base64.b64decode, padded), (base64.urlsafe_b64decode, padded), (bytes.fromhex, word)):
        try:
            yield decode(argument)
        except (binascii.Error, ValueError):
            continue


def _inflated(data):
    """``data`` decompressed (zlib, gzip or raw deflate), at most MAX_INFLATED bytes; None when it is not."""
    for window in (zlib.MAX_WBITS, zlib.MAX_WBITS | 16, -zlib.MAX_WBITS):
        try:
            return zlib.decompressobj(window).decompress(data, MAX_INFLATED)
        except zlib.error:
            continue
    return None


def _texts(source):
    """``(text, is a solution cell)`` for each notebook cell and each other text file in ``source``."""
    for path in sorted(p for p in Path(source).rglob("*") if p.is_file()):
        if path.suffix == ".ipynb":
            for cell in nbformat.read(path, as_version=4).cells:
                yield cell.source, is_solution(cell)
        else:
            yield "\n".join(_text_lines(path)), False


def _regions(text, solution_cell):
    """Each stripped line of ``text`` with its kind: "solution", "hidden tests" or None (public).

    A solution cell without a solution region is a solution as a whole, as in nbgrader.
    """
    whole = "solution" if solution_cell and SOLUTION[0] not in text else None
    kind = whole
    for line in text.splitlines():
        if SOLUTION[0] in line or HIDDEN_TESTS[0] in line:
            kind = "solution" if SOLUTION[0] in line else "hidden tests"
        elif SOLUTION[1] in line or HIDDEN_TESTS[1] in line:
            kind = whole
        else:
            yield line.strip(), kind


def _text_lines(path):
    """The lines a reader sees in a file: notebook strings, HTML text, plain text; none for binaries."""
    if path.suffix == ".ipynb":
        return [line for text in _strings(json.loads(path.read_text())) for line in text.splitlines()]
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        return []
    if path.suffix == ".html":
        parser = _HTMLText()
        parser.feed(text)
        text = "".join(parser.parts)
    return text.splitlines()


def _strings(value):
    """Every string in a JSON value (a notebook: sources, outputs, metadata)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class _HTMLText(HTMLParser):
    """The text of an HTML page, entities decoded (syntax highlighting splits code into spans)."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)
