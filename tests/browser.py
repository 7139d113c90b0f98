"""Driving the web demo from a real browser: a Streamlit server on loopback and Debian's headless
Chromium through Selenium (``make test`` installs both: ``make browser``, requirements/demo.txt).
Tests skip, saying why, only where Chromium and its driver are not installed."""
import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.tool_runner import REPO, free_port

CHROMIUM = ('/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome')
DRIVER = ('/usr/bin/chromedriver', )


def _first(paths):
    return next((p for p in paths if os.access(p, os.X_OK)), None)


def chromium_or_skip():
    """``(chromium, chromedriver)`` paths, or skip the test naming what is missing."""
    browser = _first(CHROMIUM) or shutil.which('chromium')
    driver = _first(DRIVER) or shutil.which('chromedriver')
    if not browser or not driver:
        pytest.skip('Chromium and ChromeDriver are not installed (make browser installs '
                    'Debian\'s chromium and chromium-driver; it needs root and apt-get): '
                    f'chromium={browser}, chromedriver={driver}.')
    return browser, driver


@contextlib.contextmanager
def streamlit_server(script: str, args, env: dict, timeout: float = 180):
    """``streamlit run script -- args`` on a free loopback port; yields its URL. The server's
    output is kept and shown if it does not come up."""
    port = free_port()
    log = open(os.path.join(env.get('TMPDIR', '/tmp'), f'streamlit-{port}.log'), 'w+')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'streamlit', 'run', script, '--server.port', str(port),
         '--server.address', '127.0.0.1', '--server.headless', 'true',
         '--browser.gatherUsageStats', 'false', '--server.fileWatcherType', 'none', '--',
         *args], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f'{url}/_stcore/health', timeout=2) as r:
                    if r.read().strip() == b'ok':
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise RuntimeError(f'The Streamlit server did not come up:\n{log.read()}')
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chrome(profile_dir: str, width: int = 1280, height: int = 1000):
    """A headless Chromium driven by Selenium, with no background network traffic (the machine
    may have no internet) and a fresh profile in ``profile_dir``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    browser, driver_path = chromium_or_skip()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                 '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--disable-extensions',
                 f'--window-size={width},{height}', f'--user-data-dir={profile_dir}'):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()
