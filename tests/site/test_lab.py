"""`make lab` as a reader uses it: JupyterLab on the book, page 1.2 run in Chromium through its UI.

The server is started the way `make lab` starts it (the target itself, with `make -o venv -o data`:
`make test` has set both up), headless, on loopback and any free port, in fast mode; the reader's
steps are clicks in JupyterLab's menus (clear the committed outputs, Run All Cells), and the checks
read the notebook as JupyterLab shows it. Both editions' page 1.2 are run, in one server. Nothing is
written to the repository: autosave is off and the notebooks are never saved.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

PAGE = "chapters/01_background/01_2_running_the_book.ipynb"
PAGES = {"en": PAGE, "zh": f"locales/zh_CN/notebooks/{PAGE}"}
DATA = Path(os.environ.get("TORCHBOOK_DATA") or ROOT / "data").resolve()  # the data root `make lab` sets
URL = re.compile(r"(http://127\.0\.0\.1:\d+)/lab\?token=(\w+)")
ERROR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
# JupyterLab's user settings for the test: never save a page, no news pop-up over the notebook
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
CELLS_JS = """els => els.map(e => ({
    prompt: (e.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    text: Array.from(e.querySelectorAll('.jp-OutputArea-output')).map(o => o.textContent).join('\\n'),
    errors: e.querySelectorAll(ERROR).length,
}))""".replace("ERROR", repr(ERROR))


def _start(tmp: Path) -> tuple[subprocess.Popen, str, str]:
    for name, value in SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    # the server's checkpoints (JupyterLab makes one when it opens a page) outside the repository
    (tmp / "config").mkdir()
    checkpoints = {"FileCheckpoints": {"root_dir": str(tmp / "checkpoints")}}
    (tmp / "config" / "jupyter_server_config.json").write_text(json.dumps(checkpoints))
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(
        DISPLAY="",
        WAYLAND_DISPLAY="",
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    cmd = ["make", "--no-print-directory", "-o", "venv", "-o", "data", "lab"]
    cmd += ["MODE=fast", "LAB_PORT=0", "LAB_ARGS=--no-browser"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    log: list[str] = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if sel.select(timeout=1):
            line = proc.stdout.readline()
            log.append(line)
            if found := URL.search(line):
                # the launch message names the run mode and both editions' folders
                told = "".join(log)
                assert "run mode fast" in told, told
                assert "chapters/" in told and "locales/zh_CN/notebooks/chapters/" in told, told
                return proc, found.group(1), found.group(2)
    _stop(proc)
    pytest.fail("make lab printed no URL with a token:\n" + "".join(log)[-3000:])


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to make and the server it runs (the server shuts its kernels down), then wait."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    proc, base, token = _start(tmp_path_factory.mktemp("lab"))
    yield base, token
    _stop(proc)


@pytest.fixture(scope="module")
def lab_context(browser):
    """One browser context for both pages: JupyterLab's scripts load once, then come from the cache."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def _tags(path: Path) -> list[list[str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c.get("metadata", {}).get("tags", []) for c in nb["cells"] if c["cell_type"] == "code"]


def _run_all(page, base: str, token: str, path: str, n_code: int) -> None:
    """Open ``path`` in JupyterLab, wait for its kernel, clear the committed outputs, Run All Cells."""
    page.bring_to_front()  # a tab in the background renders lazily
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")  # reset: this page only, no restored tabs
    page.wait_for_function(f"document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell').length == {n_code}")
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for(timeout=60_000)  # the kernel is up

    def menu(name: str, command: str) -> None:
        page.locator(".lm-MenuBar-item", has_text=name).first.click()
        page.locator(f".lm-Menu-item[data-command='{command}']").click()

    menu("Edit", "editmenu:clear-all")  # the committed outputs go: what shows next is this run's
    page.wait_for_function("document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output').length == 0")
    menu("Run", "runmenu:run-all")


# Run All has finished when every code cell has run, or stopped at an unexpected error (one in a
# cell without the raises-exception tag), the kernel idle either way.
DONE_JS = """([n, allowed]) => {
    const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')];
    const idle = [...document.querySelectorAll('.jp-StatusBar-TextItem')].some(e => e.textContent.includes('| Idle'));
    const ran = cells.filter(c => /\\[\\d+\\]/.test(c.querySelector('.jp-InputArea-prompt').textContent)).length;
    const stopped = cells.some((c, i) => !allowed.includes(i) && c.querySelector(ERROR));
    return cells.length == n && idle && (ran == n || stopped);
}""".replace("ERROR", repr(ERROR))


def _outputs(page, tags: list[list[str]], timeout_ms: int = 90_000) -> list[dict]:
    """Wait until Run All has finished, then each code cell as shown: prompt, output text, errors."""
    page.bring_to_front()
    allowed = [i for i, cell_tags in enumerate(tags) if "raises-exception" in cell_tags]
    page.wait_for_function(DONE_JS, arg=[len(tags), allowed], timeout=timeout_ms)
    return page.locator(".jp-NotebookPanel .jp-CodeCell").evaluate_all(CELLS_JS)


def test_run_all_cells_of_page_1_2(lab_context, lab: tuple[str, str]) -> None:
    """Both editions' page 1.2, each in its own tab and kernel (run side by side), Run All Cells."""
    base, token = lab
    tags = {edition: _tags(ROOT / path) for edition, path in PAGES.items()}
    tabs = {edition: lab_context.new_page() for edition in PAGES}
    try:
        for edition, page in tabs.items():
            _run_all(page, base, token, PAGES[edition], len(tags[edition]))
        shown = {edition: _outputs(page, tags[edition]) for edition, page in tabs.items()}
    finally:
        for page in tabs.values():
            page.close()

    for edition, cells in shown.items():
        assert len(cells) == len(tags[edition])
        for i, (cell, cell_tags) in enumerate(zip(cells, tags[edition], strict=True)):
            assert re.fullmatch(r"\[\d+\]:", cell["prompt"].strip()), f"{edition}: code cell {i} did not run: {cell}"
            expected = "raises-exception" in cell_tags  # an error only where it is the lesson
            assert bool(cell["errors"]) == expected, f"{edition}: code cell {i} (tags {cell_tags}): {cell}"
        env_check = next(c["text"] for c in cells if "torchvision:" in c["text"])
        assert re.search(r"torch: \d", env_check) and re.search(r"mode: fast\b", env_check), env_check
        assert any(c["text"].strip() == str(DATA) for c in cells), f"{edition}: the data root is not {DATA}"
