"""Every file the library writes is replaced in one step, and errors name the user's path."""

import os

import pytest

from micrograd_like import MLP
from micrograd_like._atomic import write_atomically
from micrograd_like.viz.page import Page


def test_write_replaces_the_file_and_keeps_its_mode(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_atomically(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o640
    write_atomically(tmp_path / "b.bin", b"\x00\x01", durable=True)
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.bin").stat().st_mode & 0o777 == 0o644
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.bin"]


def test_an_error_names_the_users_path_not_the_temporary_file(tmp_path):
    missing = tmp_path / "nowhere" / "x.svg"
    with pytest.raises(OSError) as info:
        write_atomically(missing, "text")
    assert info.value.filename == os.fspath(missing)
    assert ".tmp" not in str(info.value)


def test_saving_through_a_dangling_link_names_the_link(tmp_path):
    link = tmp_path / "model.json"
    link.symlink_to(tmp_path / "nowhere" / "x.json")
    with pytest.raises(OSError) as info:
        MLP(2, [2], seed=0).save(link)
    assert info.value.filename == os.fspath(link)
    assert ".tmp" not in str(info.value)


def test_page_saves_and_shows_inline_in_a_sandboxed_frame(tmp_path):
    page = Page('<html><body><p class="x">a & b</p></body></html>', title="T <1>", height=300)
    out = page.save(tmp_path / "p")
    assert out.name == "p.html" and out.read_text() == str(page)
    frame = page._repr_html_()
    assert frame.startswith("<iframe ") and 'sandbox="allow-scripts"' in frame and "height:300px" in frame
    assert "&lt;p class=&quot;x&quot;&gt;a &amp; b&lt;/p&gt;" in frame and "T &lt;1&gt;" in frame
    with pytest.raises(ValueError, match=r"ends in \.svg; use a name ending in \.html such as 'p\.html'"):
        page.save(tmp_path / "p.svg")
    with pytest.raises(TypeError, match="path must be a str or pathlib.Path"):
        page.save(3)
