"""The leak check reads files as a student would hide a leak in them: plain, reversed, encoded, compressed."""
import base64
import gzip
import zlib

import pytest

from grading.output.leaks import find_leaks

SECRET = 'assert hidden_iou == 1.0, "two empty masks"'
ENCODINGS = {
    "plain": lambda text: text,
    "reversed": lambda text: text[::-1],
    "base64": lambda text: base64.b64encode(text.encode()).decode(),
    "base64, reversed": lambda text: base64.b64encode(text.encode()).decode()[::-1],
    "url-safe base64, unpadded": lambda text: base64.urlsafe_b64encode(text.encode()).decode().rstrip("="),
    "hex": lambda text: text.encode().hex(),
    "zlib, base64, reversed": lambda text: base64.b64encode(zlib.compress(text.encode())).decode()[::-1],
    "gzip, hex": lambda text: gzip.compress(text.encode()).hex(),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_hidden_line_is_found_however_it_is_encoded(encoding, tmp_path):
    page = tmp_path / "05_evaluation.html"
    page.write_text(f"<pre>RuntimeError:\n{ENCODINGS[encoding](SECRET)}\n</pre>")
    assert find_leaks(tmp_path, {SECRET}, markers=()) == [(page, SECRET)]


def test_a_page_without_the_line_is_clean_and_a_bomb_is_not_inflated(tmp_path):
    bomb = base64.b64encode(zlib.compress(b"\0" * 2**27)).decode()  # 128 MiB of zeros in about 130 KB
    (tmp_path / "page.html").write_text(f"<pre>{base64.b64encode(b'an honest error').decode()} {bomb}</pre>")
    assert find_leaks(tmp_path, {SECRET}, markers=()) == []
