"""The repository's layout and the promises that tie its files together."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "chapters").glob("*/*.ipynb"))


def _config() -> dict:
    return yaml.safe_load((REPO / "_config.yml").read_text())


def _toc_files() -> list[str]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc["parts"])
    return files


def test_code_folder_is_not_a_package():
    assert not (REPO / "code" / "__init__.py").exists()
    out = subprocess.run(
        [sys.executable, "-c", "import code, sys; print(code.__file__); print(hasattr(code, 'interact'))"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(out[0]).parent == Path(subprocess.__file__).parent, out  # the standard library's code.py
    assert out[1] == "True"


def test_top_level_layout():
    for name in (
        "_config.yml",
        "_toc.yml",
        "requirements.txt",
        "README.md",
        "Makefile",
        "pyproject.toml",
        "LICENSE",
        "LICENSE-TEXT",
        "code/pyproject.toml",
        "code/torchbook/__init__.py",
        "data/README.md",
        ".ci/run",
        ".github/workflows/ci.yml",
        "references.bib",
        "glossary.md",
    ):
        assert (REPO / name).is_file(), name
    assert "Attribution-ShareAlike 4.0 International" in (REPO / "LICENSE-TEXT").read_text()
    assert "MIT License" in (REPO / "LICENSE").read_text()


def test_data_files_are_ignored_by_git():
    for path in ("data/MNIST/raw/train-images-idx3-ubyte", "data/cifar10/train.pt", "data/anything.bin"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0, path
    assert subprocess.run(["git", "check-ignore", "-q", "data/README.md"], cwd=REPO).returncode == 1


def test_requirements_admit_colab_torch():
    req = (REPO / "requirements.txt").read_text()
    assert re.search(r"^jupyter-book>=1\.0\.4\.post1,<2$", req, re.M)
    assert re.search(r"^-e \./code$", req, re.M)
    for line in req.splitlines():
        if re.match(r"^(torch|torchvision)\b", line):
            assert "==" not in line and "<" not in line, f"pinned: {line}"
    pyproject = (REPO / "code" / "pyproject.toml").read_text()
    deps = re.search(r"dependencies = \[(.*?)\]", pyproject, re.S).group(1)
    assert '"torch"' in deps and '"torchvision"' in deps  # bare names: the host's build is kept


def test_toc_lists_every_page_and_only_existing_ones():
    files = _toc_files()
    for f in files:
        assert (REPO / f"{f}.md").is_file() or (REPO / f"{f}.ipynb").is_file(), f"{f} in _toc.yml does not exist"
    listed = set(files)
    for nb in NOTEBOOKS:
        assert str(nb.relative_to(REPO).with_suffix("")) in listed, f"{nb} is not in _toc.yml"
    for index in (REPO / "chapters").glob("*/index.md"):
        assert str(index.relative_to(REPO).with_suffix("")) in listed
    parts = yaml.safe_load((REPO / "_toc.yml").read_text())["parts"]
    assert len([p for p in parts if p["caption"].startswith("Part ")]) == 9


def test_every_chapter_folder_has_an_index_and_numbered_pages():
    for folder in sorted((REPO / "chapters").iterdir()):
        assert re.fullmatch(r"\d\d_[a-z_]+", folder.name), folder
        assert (folder / "index.md").is_file()
        for nb in folder.glob("*.ipynb"):
            assert re.fullmatch(folder.name[:2] + r"_\d+_[a-z0-9_]+\.ipynb", nb.name), nb


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_template(nb_path):
    nb = json.loads(nb_path.read_text())
    config = _config()
    url, branch = config["repository"]["url"], config["repository"]["branch"]
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    colab = "".join(code_cells[0]["source"])
    assert 'if "google.colab" in sys.modules:' in colab, "the first code cell must be the Colab cell"
    assert f'"torchbook @ git+{url}@{branch}#subdirectory=code"' in colab, "Colab cell and _config.yml disagree"
    assert "remove-cell" in code_cells[0]["metadata"].get("tags", [])
    setup = "".join(code_cells[1]["source"])
    assert "runtime.seed(" in setup, "the second code cell must seed"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    # committed executed: every code cell with source ran, in order
    counts = [c["execution_count"] for c in code_cells if "".join(c["source"]).strip()]
    assert all(counts), f"{nb_path.name} has cells that were never executed"
    assert counts == sorted(counts), f"{nb_path.name} was not executed top to bottom"
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).startswith("# ")
    # every page ends with 2-4 exercises, each with a solution (sphinx-exercise)
    markdown = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    exercises = re.findall(r"\{exercise\}\s*\n:label: (\S+)", markdown)
    solved = re.findall(r"\{solution(?:-start)?\} (\S+)", markdown)
    assert 2 <= len(exercises) <= 4, f"{nb_path.name}: {len(exercises)} exercises"
    assert sorted(exercises) == sorted(solved), f"{nb_path.name}: exercises without a solution"


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    match = re.search(r"^make test\b", readme, re.M)
    assert match, "README must name the test command"
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^\s*make test\b", ci, re.M)
    assert re.search(r"^make book\b", readme, re.M)


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_test_plumbing_stays_out_of_the_code(nb_path):
    """nbval is steered by cell tags (nbval-ignore-output, raises-exception), never by comments in
    the code a reader copies; and the tags are ones nbval knows."""
    known = {"nbval-ignore-output", "nbval-skip", "raises-exception", "nbval-raises-exception", "nbval-check-output"}
    for cell in json.loads(nb_path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        assert "NBVAL_" not in "".join(cell["source"]), f"{nb_path.name}: an nbval comment in the code; use a tag"
        tags = set(cell["metadata"].get("tags", []))
        unknown = {t for t in tags if t.startswith("nbval")} - known
        assert not unknown, f"{nb_path.name}: unknown nbval tags {unknown}"
