"""A real browser: JupyterLab serves a generated notebook, headless Chromium (Debian's
`chromium` and `chromium-driver`, driven by Selenium) runs all its cells, and the check
cells' feedback appears on the page. The screenshot lands in build/artifacts/.

The test waits for events (the kernel is idle, Run All has ended), each with a deadline
that a loaded machine meets, and only then asserts what the page says; in the kernel the
checks have no time limit (engine/inprocess.py), so load changes how long the run takes,
never its result. A failure names the event or expectation it missed and shows the page:
the summaries, every cell's prompt and output, JupyterLab's log and a screenshot in the
test's tmp_path."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder import COURSE_ROOT
from autograder.classroom.notebooks import NOTEBOOKS, topic_cells

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = COURSE_ROOT / "build" / "artifacts"
STARTUP_SECONDS = 180  # the page, the kernel, the menu: seconds when idle
RUN_SECONDS = 600      # Run All: TensorFlow's import and five check cells, about a minute when idle
# What works here as root, in a container without a GPU or a network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1800"]

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                                reason="needs Debian's chromium and chromium-driver (make system-deps)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on 127.0.0.1 with a random free port and token; yields (url, root)."""
    root, token, port = tmp_path / "lab", uuid.uuid4().hex, free_port()
    root.mkdir()
    settings = tmp_path / "lab-settings"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "run"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')  # no "get notified about news?" toast over the screenshot
    log = open(tmp_path / "jupyterlab.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text())
                time.sleep(0.5)
        yield url, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


# The page as JupyterLab shows it: the notebook's kernel (name, status), an open dialog, the
# course's summaries, and every code cell: its prompt ("[ ]:" not run, "[*]:" queued or
# running, "[3]:" done), source, output text and whether an output is an error (JupyterLab
# shows errors, like stderr, as application/vnd.jupyter.stderr). From the DOM, not Selenium's
# visible text: cells scrolled out of view count too; innerText keeps an output's lines apart.
PAGE_SCRIPT = """
const text = (root, selector) => { const e = root.querySelector(selector); return e ? e.textContent.trim() : null; };
const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
return {
  kernel: text(document, '.jp-Toolbar-kernelName'),
  status: indicator && indicator.dataset.status,
  dialog: text(document, '.jp-Dialog'),
  summaries: Array.from(document.querySelectorAll('.tf-course-summary')).map(s => s.textContent),
  cells: Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell')).map(cell => ({
    prompt: text(cell, '.jp-InputPrompt') || '',
    source: Array.from(cell.querySelectorAll('.cm-line')).map(line => line.textContent).join('\\n'),
    output: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o => o.innerText || o.textContent).join('\\n'),
    error: cell.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]') !== null,
  })),
};
"""


class Lab:
    """The page under test: waits for events and, when one does not come or an assertion
    fails, says what the page showed (the kernel, a dialog, the summaries, every cell's
    prompt and output, JupyterLab's log) and where its screenshot is."""

    def __init__(self, browser, tmp_path: Path):
        self.browser, self.tmp_path = browser, tmp_path

    def page(self) -> dict:
        return self.browser.execute_script(PAGE_SCRIPT)

    def wait(self, what: str, condition, seconds: float):
        """`condition(page)`'s first truthy value within `seconds`; else the test fails
        with `what` and what the page showed."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.browser, seconds, poll_frequency=1).until(lambda _: condition(self.page()))
        except TimeoutException:
            pass  # failed below, outside the handler: the message is ours alone, not a chained TimeoutException
        pytest.fail(f"{what}: not within {seconds} s\n{self.seen()}", pytrace=False)

    def click(self, what: str, locator, seconds: float) -> None:
        from selenium.webdriver.support import expected_conditions as ready

        element = self.wait(what, lambda _: ready.element_to_be_clickable(locator)(self.browser), seconds)
        element.click()

    def seen(self) -> str:
        """What the page shows now, and a screenshot of it under the test's tmp_path."""
        from selenium.common.exceptions import WebDriverException

        screenshot = self.tmp_path / "jupyterlab.png"
        lines = []
        try:
            self.browser.save_screenshot(str(screenshot))
            lines.append(f"screenshot: {screenshot}")
            page = self.page()
            lines.append(f"kernel: {page['kernel']} ({page['status']}); dialog: {page['dialog']}")
            lines.append(f"summaries: {page['summaries']}")
            for cell in page["cells"]:
                lines.append(f"{cell['prompt']} {cell['source'].strip().splitlines()[0] if cell['source'].strip() else ''}"
                             + (" (error)" if cell["error"] else ""))
                lines += [f"      {line}" for line in cell["output"].splitlines() if line.strip()]
        except WebDriverException as error:
            lines.append(f"the browser did not answer: {error.msg}")
        log = (self.tmp_path / "jupyterlab.log").read_text(errors="replace").splitlines()
        return "\n".join(lines + ["JupyterLab's log, last lines:"] + [f"  {line}" for line in log[-15:]])


def run_ended(page: dict) -> bool:
    """Run All has ended: no cell is queued or running, and the last cell ran or a cell
    failed (the kernel then drops the cells after it); or a dialog stopped it."""
    cells = page["cells"]
    if page["dialog"]:
        return True
    if not cells or any("*" in cell["prompt"] for cell in cells):
        return False
    return any(char.isdigit() for char in cells[-1]["prompt"]) or any(cell["error"] for cell in cells)


@pytest.mark.slow  # about 2 minutes on a machine that other work shares
@pytest.mark.quiet  # drives a browser against deadlines: not beside the 20-seed training tests
def test_check_cells_show_feedback_in_jupyterlab(jupyterlab, browser, course, tmp_path):
    from selenium.webdriver.common.by import By

    url, token, root = jupyterlab
    topic = course.topic("e01")
    # The committed notebook, with the first exercise answered and the second one wrong.
    notebook = nbformat.read(NOTEBOOKS / f"{topic.module}.ipynb", as_version=4)
    answer = next(c.cell.source for c in topic_cells(topic, with_solutions=True) if c.role == "solution")
    blanks = [cell for cell in notebook.cells if "raise NotImplementedError()" in cell.source]
    blanks[0].source = answer
    blanks[1].source = "def standardize(x):\n    return x - tf.reduce_mean(x, axis=0)"
    nbformat.write(notebook, root / f"{topic.module}.ipynb")
    kernel = notebook.metadata.kernelspec.display_name

    lab = Lab(browser, tmp_path)
    browser.get(f"{url}/lab/tree/{topic.module}.ipynb?token={token}")
    # The notebook's own kernel, connected and idle: the execution indicator alone reads
    # "idle" before any kernel exists, and Run All then asks which kernel to start instead
    # of running anything (a fresh HOME makes the kernel slow enough for that).
    lab.wait(f"the kernel {kernel!r} is idle", lambda page: page["kernel"] == kernel and page["status"] == "idle",
             STARTUP_SECONDS)
    lab.click("the Run menu opens", (By.XPATH, "//li[contains(@class,'lm-MenuBar-item')][.//div[text()='Run']]"),
              STARTUP_SECONDS)
    lab.click("Run All Cells is offered", (By.CSS_SELECTOR, "li[data-command='runmenu:run-all']"), STARTUP_SECONDS)
    # The event is the end of the run, however long load makes it; what it shows is asserted after.
    page = lab.wait("Run All ends", lambda page: run_ended(page) and page, RUN_SECONDS)

    summaries, cells = page["summaries"], page["cells"]
    feedback = "\n".join(cell["output"] for cell in cells).replace("✔ ", "")
    expected = f"{len(topic.exercises[0].checks)}/{len(topic.checks)} checks passed"  # describe's checks alone
    expectations = {
        "no dialog": not page["dialog"],
        "no cell failed": not any(cell["error"] for cell in cells),
        f"the last summary reads {expected!r}": bool(summaries) and expected in summaries[-1],
        "describe passes": "describe: shape is a tuple of ints (passed, 1/1)" in feedback,
        "the blanks are not attempted": "not attempted" in feedback
                                        and "this exercise still raises NotImplementedError" in feedback,
        "standardize's targeted message": "it only subtracts the mean; divide by the standard deviation too" in feedback,
        "standardize's hint": "Hint: Reduce over the rows" in feedback,
    }
    missed = [expectation for expectation, met in expectations.items() if not met]
    assert not missed, f"not seen: {'; '.join(missed)}. The page showed:\n{lab.seen()}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'});",
                           browser.find_elements(By.CSS_SELECTOR, ".tf-course-summary")[-1])
    time.sleep(0.5)
    browser.save_screenshot(str(ARTIFACTS / "jupyterlab-e01-check.png"))
