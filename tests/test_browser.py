"""A real browser: JupyterLab serves a generated notebook, headless Chromium (Debian's
`chromium` and `chromium-driver`, driven by Selenium) runs all its cells, and the check
cells' feedback appears on the page. The screenshot lands in build/artifacts/."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import nbformat
import pytest

from autograder import COURSE_ROOT
from autograder.classroom.notebooks import NOTEBOOKS, topic_cells

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = COURSE_ROOT / "build" / "artifacts"
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


@pytest.mark.slow  # about 1.5 minutes on an idle machine, more when it is shared
def test_check_cells_show_feedback_in_jupyterlab(jupyterlab, browser, course):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    url, token, root = jupyterlab
    topic = course.topic("e01")
    # The committed notebook, with the first exercise answered and the second one wrong.
    notebook = nbformat.read(NOTEBOOKS / f"{topic.module}.ipynb", as_version=4)
    answer = next(c.cell.source for c in topic_cells(topic, with_solutions=True) if c.role == "solution")
    blanks = [cell for cell in notebook.cells if "raise NotImplementedError()" in cell.source]
    blanks[0].source = answer
    blanks[1].source = "def standardize(x):\n    return x - tf.reduce_mean(x, axis=0)"
    nbformat.write(notebook, root / f"{topic.module}.ipynb")

    browser.get(f"{url}/lab/tree/{topic.module}.ipynb?token={token}")
    wait = WebDriverWait(browser, 180)
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    wait.until(lambda b: b.find_elements(By.XPATH, "//*[contains(@class,'jp-Notebook-ExecutionIndicator')"
                                                   " and @data-status='idle']"))
    wait.until(ready.element_to_be_clickable((By.XPATH, "//li[contains(@class,'lm-MenuBar-item')][.//div[text()='Run']]"))).click()
    wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, "li[data-command='runmenu:run-all']"))).click()

    summary = f"{len(next(e for e in topic.exercises).checks)}/{len(topic.checks)} checks passed"
    feedback = wait.until(lambda b: [el for el in b.find_elements(By.CSS_SELECTOR, ".tf-course-summary")
                                     if summary in el.text])
    page = browser.find_element(By.CSS_SELECTOR, ".jp-Notebook").text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'});", feedback[-1])
    time.sleep(0.5)
    browser.save_screenshot(str(ARTIFACTS / "jupyterlab-e01-check.png"))
    assert "describe: shape is a tuple of ints (passed, 1/1)" in page.replace("✔ ", "")
    assert "this exercise still raises NotImplementedError" in page
    assert "it only subtracts the mean; divide by the standard deviation too" in page
    assert "Hint: Reduce over the rows" in page
    assert "not attempted" in page
