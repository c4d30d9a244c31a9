"""The review console in a real headless Chromium (Debian's chromium and chromedriver, through Selenium),
against the API served by uvicorn: log in, take a case, see its evidence, decide; the decision is in the
database."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as arrived
from selenium.webdriver.support.ui import Select, WebDriverWait

from api.app import create_app
from storage.enrollments.repositories import Assertions, Decisions, Enrollments
from storage.review.repositories import ReviewActions
from storage.runtime import Runtime
from tests import services
from tests.api.conftest import present
from tests.api.review_factories import (
    PASSWORD,
    SELFIE_FRAMES,
    make_case,
    make_operator,
    review_settings,
)
from verification.enrollment.lifecycle import Status

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file() or not Path(CHROMEDRIVER).is_file(),
    reason="needs Debian's chromium and chromium-driver (scripts/install-system.sh test installs them)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[tuple[str, FastAPI]]:
    """The whole app on a loopback port, in this process (eager Celery), on a database of its own."""
    with review_settings(tmp_path_factory.mktemp("browser"), s3_endpoint) as settings:
        app = create_app(settings)
        port = services.free_port()
        uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not uv.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", app
        finally:
            uv.should_exit = True
            thread.join(timeout=10)
            app.state.runtime.database.engine.dispose()


@pytest.fixture
def chromium() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def test_log_in_open_a_case_and_approve_it(server: tuple[str, FastAPI], chromium: WebDriver) -> None:
    base, app = server
    runtime: Runtime = app.state.runtime
    enrollment_id = make_case(TestClient(app), runtime)
    username = make_operator(runtime)
    driver = chromium

    def submit_and_wait(button_id: str, url: str) -> None:
        """Click a form's button and wait for the page it leads to (a click does not wait for navigation)."""
        old_page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.ID, button_id).click()
        WebDriverWait(driver, 15).until(arrived.staleness_of(old_page))
        WebDriverWait(driver, 15).until(arrived.url_to_be(url))

    driver.get(f"{base}/review/")
    assert driver.current_url == f"{base}/review/login"  # no session: the login page
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys("not the password")
    submit_and_wait("login-submit", f"{base}/review/login")
    assert "Wrong username or password" in driver.find_element(By.ID, "login-error").text
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit_and_wait("login-submit", f"{base}/review/")
    assert username in driver.find_element(By.ID, "operator").text
    assert driver.find_element(By.ID, "waiting").text == "1"

    submit_and_wait("next-case", f"{base}/review/cases/{enrollment_id}")
    assert driver.find_element(By.ID, "case-id").text == enrollment_id
    WebDriverWait(driver, 15).until(lambda d: d.execute_script(
        "return [...document.images].every(image => image.complete)"))
    images = driver.find_elements(By.CSS_SELECTOR, "img.evidence")
    assert len(images) == 2 + SELFIE_FRAMES
    for image in images:  # every image really loaded and decoded in the browser
        width = driver.execute_script("return arguments[0].naturalWidth", image)
        assert width and width > 0, image.get_attribute("src")
    for left, right in (("document-panel", "mrz-panel"), ("portrait-panel", "selfie-panel")):  # side by side
        left_box, right_box = (driver.find_element(By.ID, panel).rect for panel in (left, right))
        assert left_box["x"] + left_box["width"] <= right_box["x"] and abs(left_box["y"] - right_box["y"]) < 5
    assert len(driver.find_elements(By.CSS_SELECTOR, "#mrz-fields tr")) >= 6
    assert {row.get_attribute("id") for row in driver.find_elements(By.CSS_SELECTOR, "#checks tr.check")} == {
        "check-document", "check-face_match", "check-liveness", "check-traits"}

    Select(driver.find_element(By.ID, "approve-reason")).select_by_value("identity_confirmed")
    driver.find_element(By.ID, "approve-comment").send_keys("Portrait, frames and MRZ agree.")
    submit_and_wait("approve-submit", f"{base}/review/")
    assert "approved" in driver.find_element(By.ID, "last-decision").text

    with runtime.database.session() as session:
        final = present(Decisions(session).latest(enrollment_id))
        assert (final.decided_by, final.outcome, final.final) == (username, "approved", True)
        assert present(Enrollments(session).get(enrollment_id)).status == Status.APPROVED
        assert Assertions(session).of_enrollment(enrollment_id) is not None
        trail = [a.action for a in ReviewActions(session).of_enrollment(enrollment_id)]
    assert trail[0] == "assign" and trail[-1] == "decide" and trail.count("view_evidence") == len(images)
