"""The Colab path, as far as a machine without Colab or internet allows, on every run of the tests.

A page's first cell installs ``torchbook`` when ``google.colab`` has been imported (Colab's
kernels import it at start). Here a kernel like Colab's runs page 1.2 in fast mode:

* its own fresh environment that already has the book's other packages (PyTorch among them; the
  book's venv's packages linked in, never ``torchbook`` itself), as Colab has PyTorch preinstalled;
* ``google.colab`` a stub the kernel imports at start, so the page's install cell runs, unchanged;
* the repository URL of that cell served by git from a snapshot of this working tree's ``code/``
  (``url.<snapshot>.insteadOf``), pip offline (no index, the build without isolation), so the cell
  makes the same non-editable install from git that it makes on Colab;
* the working folder outside the repository, so the data root is ``./data`` as on Colab (there a
  link to the book's laid-out copies, offline: nothing is downloaded).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "chapters" / "01_background" / "01_2_running_the_book.ipynb"
INSTALL = re.compile(r'%pip install -q "torchbook @ git\+(https://github\.com/[\w.-]+/[\w.-]+)@main#subdirectory=code"')
MARK = "torchbook imported from: "


def _venv_with_preinstalled(where: Path) -> Path:
    """A fresh venv that sees this venv's packages, except torchbook; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where / "venv")], check=True)
    python = where / "venv" / "bin" / "python"
    site = where / "venv" / Path(sysconfig.get_paths()["purelib"]).relative_to(sys.prefix)
    preinstalled = where / "preinstalled"  # like Colab's system packages: pip never changes them
    preinstalled.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(("torchbook", "__editable__")) or entry.suffix == ".pth":
            continue
        (preinstalled / entry.name).symlink_to(entry)
    (site / "preinstalled.pth").write_text(f"{preinstalled}\n")
    return python


def _snapshot_of_code(where: Path) -> Path:
    """A git repository whose branch main is this working tree's code/ (what the cell clones)."""
    repo = where / "repo"
    shutil.copytree(REPO / "code", repo / "code", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build"))
    git = ["git", "-C", str(repo), "-c", "user.name=book", "-c", "user.email=book@localhost"]
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}  # no one's settings
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run([*git, *args], check=True, env=env)
    return repo


def test_colab_install_cell_then_page_1_2_in_fast_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = Path(os.environ.get("TORCHBOOK_DATA") or REPO / "data")  # the book's laid-out copies
    if not (data / "MNIST" / "raw").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must prepare the offline data first (make data); nothing in {data}")
        pytest.skip(f"offline copies not prepared in {data} (run `make data`)")
    nb = nbformat.read(PAGE, as_version=4)
    found = INSTALL.search(nb.cells[1].source)
    assert found and "google.colab" in nb.cells[1].source, nb.cells[1].source

    python = _venv_with_preinstalled(tmp_path)
    snapshot = _snapshot_of_code(tmp_path)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "file://{snapshot}"]\n\tinsteadOf = {found.group(1)}\n')
    stub = tmp_path / "stubs" / "google" / "colab"  # google/ stays a namespace package (protobuf)
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text('"""A stand-in for Colab\'s module."""\n')
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # Colab's kernels have imported it\n")
    content = tmp_path / "content"  # Colab's working folder
    content.mkdir()
    (content / "data").symlink_to(data)

    kernels = tmp_path / "jupyter" / "kernels" / "colab"
    kernels.mkdir(parents=True)
    env = {
        "PYTHONPATH": str(tmp_path / "stubs"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's inverted spelling: 0 means --no-build-isolation
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "TORCHBOOK_MODE": "fast",
        "TORCHBOOK_OFFLINE": "1",
    }
    spec = {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "env": env}
    (kernels / "kernel.json").write_text(json.dumps({**spec, "display_name": "Colab", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("TORCHBOOK_DATA", raising=False)  # Colab has no data root set

    nb.cells.append(nbformat.v4.new_code_cell(f"import torchbook\nprint({MARK!r} + torchbook.__file__)"))
    client = NotebookClient(nb, kernel_name="colab", timeout=600, resources={"metadata": {"path": str(content)}})
    try:
        client.execute()
    finally:
        install_output = "".join(o.get("text", "") for o in nb.cells[1].outputs)
        print("the install cell printed:", install_output)  # shown when the test fails
    assert "error" not in install_output.lower(), install_output
    printed = "\n".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "mode: fast" in printed, printed
    assert str(content.resolve() / "data") in printed.splitlines(), "the data root is not ./data"
    where = Path(printed.split(MARK, 1)[1].split()[0])
    assert where.is_relative_to(tmp_path / "venv") and "site-packages" in where.parts, where  # not editable
