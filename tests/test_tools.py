"""The maintainer tools: the lane report made from nbval's JUnit XML, execute.py, the GPU lane's calls."""

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))  # the tools import each other (provenance)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="chapters.01_background.01_1_what_is_pytorch.ipynb" name="Cell 0" time="1.5" />
<testcase classname="chapters.01_background.01_1_what_is_pytorch.ipynb" name="Cell 1" time="0.5" />
<testcase classname="chapters.05_practice.05_4_cifar10_cnn.ipynb" name="Cell 0" time="2.0" />
<testcase classname="chapters.05_practice.05_4_cifar10_cnn.ipynb" name="Cell 1" time="100.0"><failure message="x">diff</failure></testcase>
</testsuite></testsuites>"""


def test_report_groups_cells_per_notebook(tmp_path, capsys):
    report = _load("gpu_report")
    (tmp_path / "j.xml").write_text(JUNIT)
    out = tmp_path / "r" / "lane.md"
    assert report.main([str(tmp_path / "j.xml"), "--out", str(out), "--title", "T"]) == 0
    text = out.read_text()
    assert text.startswith("# T\n")
    assert "| `chapters/01_background/01_1_what_is_pytorch.ipynb` | 2 | 2.0 | pass |" in text
    assert "| `chapters/05_practice/05_4_cifar10_cnn.ipynb` | 2 | 102.0 | FAIL (1 cells) |" in text
    assert "result: **FAIL** (4 cells in 2 notebooks, 1 failed)" in text
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["notebooks"]["chapters/05_practice/05_4_cifar10_cnn.ipynb"]["failed"] == 1
    assert "torch" in data["hardware"]


def test_report_without_junit_is_a_clear_error(tmp_path, capsys):
    report = _load("gpu_report")
    assert report.main([str(tmp_path / "none.xml"), "--out", str(tmp_path / "r.md")]) == 2
    assert "no JUnit XML" in capsys.readouterr().err


def test_execute_writes_real_outputs_in_place(tmp_path):
    import nbformat

    execute = _load("execute")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A page"),
        nbformat.v4.new_code_cell("print(6 * 7)"),
        nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
    ]
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    seconds = execute.execute(path, timeout=120)
    assert seconds > 0
    done = nbformat.read(path, as_version=4)
    assert done.metadata["kernelspec"]["name"] == "python3"
    printed, error = done.cells[1], done.cells[2]
    assert printed.outputs[0]["text"] == "42\n" and printed.execution_count == 1
    assert error.outputs[0]["ename"] == "ZeroDivisionError"
    assert len(error.outputs[0]["traceback"]) == 1  # short tracebacks (xmode Minimal)
    assert all("execution" not in c.metadata for c in done.cells)  # no timestamps in the diff


def _lane(*args: str) -> list[str]:
    import subprocess
    import sys

    out = subprocess.run(
        ["bash", "tools/gpu_lane.sh", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
    )
    return out.stdout.split()


def test_gpu_lane_calls_split_the_pages_by_the_data_they_carry():
    """Call 1 carries MNIST, Fashion-MNIST and Tiny Shakespeare, call 2 MNIST and CIFAR-10: every page
    is in exactly one call, and no page needs data that its call does not carry."""
    one, two = set(_lane("pages", "1")), set(_lane("pages", "2"))
    every = {str(p.relative_to(REPO)) for p in REPO.glob("chapters/*/*.ipynb")}
    assert one | two == every and not one & two
    for page in two:
        nb = json.loads((REPO / page).read_text())
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert "fashion_mnist(" not in code and "shakespeare(" not in code, f"{page} needs data call 2 lacks"
    script = (REPO / "tools" / "gpu_lane.sh").read_text()
    device_pages = script.split('DEVICE_PAGES="', 1)[1].split('"', 1)[0].split()
    assert device_pages and all((REPO / p).is_file() for p in device_pages)


def test_report_records_what_each_page_was_when_checked(tmp_path, monkeypatch):
    """The JSON keeps the hash of what the run checked of each notebook (tools/provenance.py), so a
    page's stamp can tell whether it changed since."""
    import nbformat
    from provenance import checked_sha256

    report = _load("gpu_report")
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "chapters" / "01_background" / "01_1_what_is_pytorch.ipynb"
    page.parent.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A page"), nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(nb, page)
    (tmp_path / "j.xml").write_text(JUNIT)
    assert report.main(["j.xml", "--out", "lane.md"]) == 0
    rows = json.loads((tmp_path / "lane.json").read_text())["notebooks"]
    first = rows["chapters/01_background/01_1_what_is_pytorch.ipynb"]["checked_sha256"]
    assert first == checked_sha256(page) and len(first) == 64
    assert rows["chapters/05_practice/05_4_cifar10_cnn.ipynb"]["checked_sha256"] is None  # not in this tree
