#!/usr/bin/env python3
"""Browser check of the DSI web view (bundle dsi-web-view) in headless Chromium.

Logs in through the form, waits for the expected nodes with their acked policy versions in the
nodes table, notes the count of one denial edge of the graph, runs a command that should produce
that denied flow, waits (watching the DOM only, never reloading) until the edge appears or its
count rises, then opens the diff of the newest policy version. One PASS/FAIL line per check; exit 0
only if all passed.

Example:
  scripts/webview-browser-check.py --url http://127.0.0.1:8182/dsi/ --user admin \\
      --password-file etc/dsi/console/admin.password --node 1=3 --node 2=3 \\
      --command 'ip netns exec colby ... send to 10.77.0.2:9000' --edge 10@1 20@2
Without --command and --edge the denial checks are skipped (reported as SKIP).
"""

import argparse
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(("PASS" if ok else "FAIL") + " " + name + (": " + detail if detail else ""), flush=True)
    return ok


def parse_node(text):
    snid, _, version = text.partition("=")
    if not snid.isdigit() or not version.isdigit():
        raise argparse.ArgumentTypeError("expected SNID=VERSION, e.g. 2=3")
    return snid, version


def edge_count(driver, src, tgt):
    """The data-count of the denial edge src -> tgt, or None when the graph has no such edge."""
    return driver.execute_script(
        "const g = document.querySelector(`#graph g.denial[data-src='${arguments[0]}'][data-tgt='${arguments[1]}']`);"
        "return g ? Number(g.dataset.count) : null;", src, tgt)


def attribute(driver, selector, name):
    """One attribute of the first element matching selector, or None when there is none.

    Read in one script so that the page re-rendering a table between finding the element and
    reading it cannot hand us a stale element reference (the live stream redraws rows at any time).
    """
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
        selector, name)


def text_of(driver, selector):
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector)


def load_id(driver):
    return driver.execute_script("return window.dsiViewLoadId || null;")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="the view's base URL, e.g. http://127.0.0.1:8182/dsi/")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password-file", required=True, help="file holding the password (first line)")
    ap.add_argument("--node", action="append", type=parse_node, default=[], metavar="SNID=VERSION",
                    help="a node expected in the nodes table with this acked policy version (repeat)")
    ap.add_argument("--command", help="shell command that generates the denied flow")
    ap.add_argument("--edge", nargs=2, metavar=("SRC", "TGT"), help="expected denial edge, e.g. 10@1 20@2")
    ap.add_argument("--minutes", choices=["1", "5", "15"], default="5", help="denial window selected in the page")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each condition")
    ap.add_argument("--show-browser", action="store_true", help="do not run headless")
    args = ap.parse_args()

    base = args.url if args.url.endswith("/") else args.url + "/"
    with open(args.password_file, encoding="utf-8") as f:
        password = f.readline().strip()

    opts = Options()
    if not args.show_browser:
        opts.add_argument("--headless=new")
    opts.add_argument("--no-sandbox")
    opts.add_argument("--disable-gpu")
    opts.add_argument("--window-size=1600,1200")
    opts.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    wait = WebDriverWait(driver, args.timeout, poll_frequency=0.1)
    try:
        # ---- login through the form
        driver.get(base)
        try:
            wait.until(lambda d: d.find_elements(By.ID, "login-user"))
            check("login form shown for a visitor without session", True, driver.current_url)
        except TimeoutException:
            check("login form shown for a visitor without session", False, driver.current_url)
            return 1
        driver.find_element(By.ID, "login-user").send_keys(args.user)
        driver.find_element(By.ID, "login-password").send_keys(password)
        driver.find_element(By.ID, "login-submit").click()
        try:
            wait.until(lambda d: attribute(d, "#live", "data-state") == "live")
            check("logged in, live stream connected", True, "user %s" % text_of(driver, "#user"))
        except TimeoutException:
            err = driver.find_elements(By.ID, "login-error")
            check("logged in, live stream connected", False, err[0].text if err else driver.current_url)
            return 1
        first_load = load_id(driver)
        print("INFO SS policy version %s" % text_of(driver, "#ss-version"), flush=True)

        # ---- nodes with their acked versions
        for snid, version in args.node:
            sel = "#nodes tr[data-snid='%s'] td.acked" % snid
            try:
                wait.until(lambda d: attribute(d, sel, "data-version") == version)
                check("node %s acked version %s" % (snid, version), True)
            except TimeoutException:
                shown = attribute(driver, sel, "data-version")
                check("node %s acked version %s" % (snid, version), False,
                      "shows " + (shown if shown is not None else "no such row"))

        # ---- denial edge appears or its count rises after the command, without reload
        if args.command and args.edge:
            src, tgt = args.edge
            driver.execute_script(
                "const s = document.getElementById('minutes'); s.value = arguments[0];"
                "s.dispatchEvent(new Event('change'));", args.minutes)
            time.sleep(1.0)   # let the page re-read the selected window
            before = edge_count(driver, src, tgt)
            print("INFO edge %s -> %s before: %s" % (src, tgt, "absent" if before is None else before), flush=True)
            start = time.monotonic()
            proc = subprocess.run(args.command, shell=True, capture_output=True, text=True, timeout=args.timeout)
            print("INFO command exited %d" % proc.returncode, flush=True)
            if proc.returncode != 0 and proc.stderr:
                print("INFO command stderr: " + proc.stderr.strip()[:500], flush=True)
            after = None
            deadline = start + args.timeout
            while time.monotonic() < deadline:
                after = edge_count(driver, src, tgt)
                if after is not None and (before is None or after > before):
                    break
                time.sleep(0.05)
            elapsed = time.monotonic() - start
            grew = after is not None and (before is None or after > before)
            check("denial edge %s -> %s %s" % (src, tgt, "appeared" if before is None else "count rose"), grew,
                  "count %s -> %s, %.2f s after the command started" % (before, after, elapsed))
            if grew:
                print("INFO time from command start to the edge in the page: %.2f s" % elapsed, flush=True)
                label = driver.execute_script(
                    "const g = document.querySelector(`#graph g.denial[data-src='${arguments[0]}'][data-tgt='${arguments[1]}']`);"
                    "return g ? g.dataset.rule : null;", src, tgt)
                print("INFO deciding rule shown: %s" % label, flush=True)
        else:
            print("SKIP denial edge (no --command/--edge given)", flush=True)

        # ---- diff of the newest version
        # Found and clicked in one script: the history list is redrawn when a version arrives.
        clicked = driver.execute_script(
            "const all = [...document.querySelectorAll('#history button.diff')];"
            "const b = all.find(x => !x.disabled);"
            "if (!b) return {listed: all.length, version: null};"
            "b.click(); return {listed: all.length, version: b.getAttribute('data-version')};")
        version = clicked["version"]
        if version is None:
            check("diff of the newest version", False,
                  "no diff button enabled (%d versions listed; the oldest has nothing to compare to)"
                  % clicked["listed"])
        else:
            try:
                wait.until(lambda d: attribute(d, "#diff", "data-state") in ("ready", "error"))
                box = driver.execute_script(
                    "const b = document.getElementById('diff');"
                    "return {state: b.getAttribute('data-state'), to: b.getAttribute('data-to'),"
                    " from: b.getAttribute('data-from'), chars: b.innerText.length,"
                    " rows: b.querySelectorAll('.changes tr[data-kind], .lines .line').length};")
                ok = box["state"] == "ready" and box["to"] == version
                check("diff of version %s shown" % version, ok and box["rows"] > 0,
                      "%d characters, from version %s" % (box["chars"], box["from"]))
            except TimeoutException:
                check("diff of version %s shown" % version, False, "timed out")

        # ---- no reload happened
        nav = driver.execute_script(
            "const e = performance.getEntriesByType('navigation')[0]; return e ? e.type : null;")
        same = load_id(driver) == first_load and first_load is not None
        check("page never reloaded", same and nav != "reload",
              "load id kept=%s, navigation type=%s" % (same, nav))
    except WebDriverException as e:
        check("browser session", False, str(e).splitlines()[0])
    finally:
        driver.quit()
    return 0 if RESULTS and all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
