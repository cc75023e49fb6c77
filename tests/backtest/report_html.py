#!/usr/bin/python3
"""Checks a backtest report.html (CONTRACT.md section 7) in a real browser.

usage: report_html.py REPORT_DIR [--screenshot OUT.png]

REPORT_DIR holds report.json and report.html. The checks:
 1. Static: the HTML text references nothing external: no `src=`/`srcset=`,
    no `<link`, no `@import`, no `url(` other than an in-page `url(#id)`, and
    no http:// or https:// in any attribute value except the exact
    xmlns="http://www.w3.org/2000/svg". The contract wants one self-contained
    file that needs no network.
 2. Load: headless Chromium opens file://.../report.html; every uncaught
    exception, console error/warning/assert, Log error/warning, failed load,
    and request for anything but the page itself (or a data: URL) fails.
 3. DOM: table.rows has one tr[data-alert][data-variant] per report.json row
    (no extra, none missing) whose [data-field] cells warned, true_positives
    (exact integers), precision, recall (within 0.0005), lead_p10/p50/p90
    (within 0.05 days; "-", "–" or empty for null) agree with report.json;
    svg.chart[data-chart=warnings-per-day|precision-recall|lead-time|pr-curve]
    each exist once, render larger than 50x50 and carry their rect.bar /
    circle.point marks per alert (see check_charts); <title> is not empty.
 4. --screenshot: a 1200 px wide PNG of the whole page (height capped 4000).

Chromium is driven by the DevTools protocol over a pipe
(--remote-debugging-pipe: commands on its fd 3, replies on its fd 4, JSON
messages ending in NUL) rather than a WebSocket: no port to pick or race
for, nothing listening on the network, and no package beyond the standard
library. Everything is bounded by a 60 s deadline; Chromium (its whole
process group) is killed and its profile directory removed at the end.
Prints "report_html: FAIL: ..." per failure and exits 1, else one summary
line and exits 0.
"""
import argparse, base64, fcntl, html.parser, json, os, pathlib, re, select
import shutil, signal, subprocess, sys, tempfile, time, urllib.parse

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 60
CHARTS = ("warnings-per-day", "precision-recall", "lead-time", "pr-curve")
SVG_NS = "http://www.w3.org/2000/svg"
failures = []


def fail(msg):
    failures.append(msg)
    print("report_html: FAIL: " + msg, flush=True)


class AttrScan(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and re.search(r"https?://", value, re.I) and \
                    not (name == "xmlns" and value == SVG_NS):
                fail(f"static: <{tag} {name}=\"{value}\"> names a URL")


def static_check(text):
    for pat, what in ((r"\bsrc(set)?\s*=", "src="), (r"<link\b", "<link"),
                      (r"@import\b", "@import"), (r"url\(\s*(?!['\"]?#)", "url(")):
        for m in re.finditer(pat, text, re.I):
            line = text.count("\n", 0, m.start()) + 1
            fail(f"static: line {line}: {what} "
                 f"({text[m.start():m.start() + 60].splitlines()[0]!r})")
    AttrScan().feed(text)


class CDP:
    """Chromium with a DevTools pipe; events are kept in self.events."""

    def __init__(self, deadline):
        self.deadline, self.next_id, self.buf, self.events = deadline, 0, b"", []
        self.tmp = tempfile.mkdtemp(prefix="report_html.")
        cmd_r, self.cmd_w = os.pipe()
        self.resp_r, resp_w = os.pipe()

        def child_fds():  # runs in the child before exec: cmd_r -> 3, resp_w -> 4
            for want, fd in zip((3, 4), [fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
                                         for fd in (cmd_r, resp_w)]):
                os.dup2(fd, want)
                os.close(fd)
            for fd in map(int, os.listdir("/proc/self/fd")):  # leak nothing else
                if fd > 4:
                    try:
                        os.set_inheritable(fd, False)
                    except OSError:
                        pass

        self.log = open(os.path.join(self.tmp, "chromium.log"), "wb")
        try:  # not close_fds: it runs after preexec_fn and would shut 3 and 4
            self.proc = subprocess.Popen(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                 "--remote-debugging-pipe", "--user-data-dir=" + self.tmp,
                 "--no-first-run", "--no-default-browser-check", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                close_fds=False, preexec_fn=child_fds, start_new_session=True)
        except OSError:
            self.proc = None
            self.close()
            raise
        finally:
            os.close(cmd_r)
            os.close(resp_w)

    def close(self):
        for fd in (self.cmd_w, self.resp_r):
            os.close(fd)
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the group
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def read(self, until=None, waiting="events"):
        """The next message, or None once monotonic time passes `until`."""
        while b"\0" not in self.buf:
            now = time.monotonic()
            if now >= self.deadline:
                raise TimeoutError(f"timed out after {TIMEOUT} s waiting for {waiting}")
            if until is not None and now >= until:
                return None
            wait = min(self.deadline, until or self.deadline) - now
            if select.select([self.resp_r], [], [], wait)[0]:
                chunk = os.read(self.resp_r, 1 << 20)
                if not chunk:
                    with open(self.log.name, "rb") as f:
                        tail = f.read()[-500:].decode(errors="replace")
                    raise RuntimeError(f"chromium exited ({self.proc.poll()}): {tail}")
                self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        msg = json.loads(msg)
        if "method" in msg:
            self.events.append(msg)
        return msg

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.cmd_w, data):]
        while True:
            m = self.read(waiting="the answer to " + method)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]

    def wait_event(self, method, session):
        seen = 0
        while True:
            for e in self.events[seen:]:
                if e["method"] == method and e.get("sessionId") == session:
                    return e
            seen = len(self.events)
            self.read(waiting=method)

    def evaluate(self, session, expr):
        r = self.call("Runtime.evaluate", session, expression=expr,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate: {r['exceptionDetails']}")
        return r["result"].get("value")


def load_errors(events, session, page_url):
    own = {page_url, urllib.parse.unquote(page_url)}
    urls = {}
    for e in events:
        if e.get("sessionId") != session:
            continue
        m, p = e["method"], e["params"]
        if m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            desc = d.get("exception", {}).get("description") or d.get("text")
            fail(f"uncaught exception (line {d.get('lineNumber', 0) + 1}): "
                 + " ".join(str(desc).split()))
        elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            fail(f"console.{p['type']}: {text}")
        elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            en = p["entry"]
            fail(f"log {en['level']} ({en.get('source')}): {en['text']} {en.get('url', '')}")
        elif m == "Network.requestWillBeSent":
            url = urls[p["requestId"]] = p["request"]["url"]
            if url.split("#")[0] not in own and not url.startswith("data:"):
                fail(f"request for {url}")
        elif m == "Network.loadingFailed":
            fail(f"load failed: {urls.get(p['requestId'], p['requestId'])}: "
                 f"{p.get('errorText')} {p.get('blockedReason', '')}".rstrip())


DOM_JS = r"""(() => {
  const tables = document.querySelectorAll('table.rows'), a = (e, n) => e.getAttribute(n);
  const rows = tables.length ? [...tables[0].querySelectorAll('tr')].map(tr => ({
    alert: a(tr, 'data-alert'), variant: a(tr, 'data-variant'), td: !!tr.querySelector('td'),
    cells: [...tr.querySelectorAll('[data-field]')].map(c => [a(c, 'data-field'), c.textContent.trim()])
  })) : [];
  const charts = {};
  for (const s of document.querySelectorAll('svg.chart[data-chart]')) {
    const r = s.getBoundingClientRect();
    (charts[a(s, 'data-chart')] ||= []).push({w: r.width, h: r.height,
      bars: [...s.querySelectorAll('rect.bar')].map(b =>
        ({alert: a(b, 'data-alert'), metric: a(b, 'data-metric'), height: a(b, 'height'),
          positive: Number(a(b, 'height')) > 0})),
      points: [...s.querySelectorAll('circle.point')].map(p =>
        ({alert: a(p, 'data-alert'), variant: a(p, 'data-variant')}))});
  }
  return {tables: tables.length, title: document.title.trim(), rows, charts};
})()"""


def check_rows(dom, rows):
    if dom["tables"] != 1:
        return fail(f"{dom['tables']} table.rows elements; want 1")
    got = {}
    for tr in dom["rows"]:
        if tr["alert"] is None or tr["variant"] is None:
            if tr["td"]:
                fail(f"table.rows: a tr with td cells lacks data-alert/data-variant: {tr['cells']}")
            continue
        key = (tr["alert"], tr["variant"])
        if key in got:
            fail(f"table.rows: more than one tr for alert={key[0]} variant={key[1]}")
        got[key] = tr["cells"]
    for r in rows:
        key = (r["alert"], r["variant"])
        cells = got.pop(key, None)
        what = f"table.rows alert={key[0]} variant={key[1]}"
        if cells is None:
            fail(f"{what}: no tr[data-alert][data-variant]")
            continue
        field = {}
        for name, text in cells:
            if name in field:
                fail(f"{what}: two data-field={name} cells")
            field[name] = text
        lead = r["lead_time_days"]
        want = [("warned", r["warned"], 0), ("true_positives", r["true_positives"], 0),
                ("precision", r["precision"], 0.0005), ("recall", r["recall"], 0.0005)]
        want += [("lead_" + q, lead[q], 0.05) for q in ("p10", "p50", "p90")]
        for name, value, tol in want:
            text = field.get(name)
            if text is None:
                fail(f"{what}: no [data-field={name}] cell")
            elif value is None:
                if text not in ("", "-", "–"):
                    fail(f"{what} {name}: shows {text!r}, want '–' (null in report.json)")
            else:
                try:
                    ok = int(text) == value if tol == 0 else abs(float(text) - value) <= tol + 1e-9
                except ValueError:
                    ok = False
                if not ok:
                    fail(f"{what} {name}: shows {text!r}, report.json has {value}")
    for alert, variant in got:
        fail(f"table.rows: extra tr alert={alert} variant={variant} not in report.json")


def check_charts(dom, rows):
    charts, have = {}, set()
    for name in CHARTS:
        found = dom["charts"].get(name, [])
        if len(found) != 1:
            fail(f"{len(found)} svg.chart[data-chart={name}] elements; want 1")
            continue
        c = charts[name] = found[0]
        if c["w"] <= 50 or c["h"] <= 50:
            fail(f"chart {name}: rendered {c['w']:.0f}x{c['h']:.0f}, want both > 50")
        for b in c["bars"]:
            have.add((name, f"rect.bar[data-alert={b['alert']}]"))
            have.add((name, f"rect.bar[data-alert={b['alert']}][data-metric={b['metric']}]"))
            if name == "warnings-per-day" and b["alert"] is not None and not b["positive"]:
                fail(f"chart {name}: rect.bar[data-alert={b['alert']}] has height="
                     f"{b['height']!r}, want > 0")
        for p in c["points"]:
            have.add((name, f"circle.point[data-alert={p['alert']}][data-variant={p['variant']}]"))
    want = []
    for r in rows:
        a, v = r["alert"], r["variant"]
        if v != "base" or a != "any":
            want.append(("pr-curve", f"circle.point[data-alert={a}][data-variant={v}]"))
        if v == "base" and a != "any":
            if r["warned"] > 0:
                want.append(("warnings-per-day", f"rect.bar[data-alert={a}]"))
            want += [("precision-recall", f"rect.bar[data-alert={a}][data-metric={m}]")
                     for m in ("precision", "recall")]
            if r["true_positives"] > 0:
                want.append(("lead-time", f"rect.bar[data-alert={a}]"))
    for chart, sel in want:
        if chart in charts and (chart, sel) not in have:
            fail(f"chart {chart}: no {sel}")


def screenshot(cdp, session, out):
    dims = dict(width=1200, deviceScaleFactor=1, mobile=False)
    cdp.call("Emulation.setDeviceMetricsOverride", session, height=800, **dims)
    height = cdp.evaluate(session, "document.documentElement.scrollHeight")
    cdp.call("Emulation.setDeviceMetricsOverride", session,
             height=max(1, min(int(height), 4000)), **dims)
    png = cdp.call("Page.captureScreenshot", session, format="png",
                   captureBeyondViewport=True)["data"]
    with open(out, "wb") as f:
        f.write(base64.b64decode(png))


def main():
    ap = argparse.ArgumentParser(description="Checks REPORT_DIR/report.html in headless Chromium.")
    ap.add_argument("report_dir")
    ap.add_argument("--screenshot", metavar="OUT.png")
    args = ap.parse_args()
    start = time.monotonic()
    page = pathlib.Path(args.report_dir, "report.html").resolve()
    try:
        rows = json.load(open(os.path.join(args.report_dir, "report.json")))["rows"]
        text = page.read_text(encoding="utf-8")
        for r in rows:
            lack = [k for k in ("alert", "variant", "warned", "true_positives",
                                "precision", "recall", "lead_time_days") if k not in r]
            lack += ["lead_time_days." + q for q in ("p10", "p50", "p90")
                     if q not in r.get("lead_time_days", {})]
            if lack:
                raise ValueError(f"a report.json row lacks {', '.join(lack)}: {r}")
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(f"cannot read the report: {e}")
        return 1
    static_check(text)

    def stop(signum, _):
        raise TimeoutError(f"stopped by signal {signum}")
    signal.signal(signal.SIGALRM, stop)
    signal.signal(signal.SIGTERM, stop)  # still kill chromium and clean up
    signal.alarm(TIMEOUT + 5)  # backstop; reads already stop at the deadline
    cdp = None
    try:
        cdp = CDP(start + TIMEOUT)
        target = cdp.call("Target.createTarget", url="about:blank")["targetId"]
        s = cdp.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            cdp.call(domain + ".enable", s)
        nav = cdp.call("Page.navigate", s, url=page.as_uri())
        if nav.get("errorText"):
            fail(f"navigation: {nav['errorText']}")
        cdp.wait_event("Page.loadEventFired", s)
        settle = time.monotonic() + 0.3  # late errors (timers, rAF) still count
        while cdp.read(until=settle) is not None:
            pass
        load_errors(cdp.events, s, page.as_uri())
        dom = cdp.evaluate(s, DOM_JS)
        check_rows(dom, rows)
        check_charts(dom, rows)
        if not dom["title"]:
            fail("<title> is empty or missing")
        if args.screenshot:
            screenshot(cdp, s, args.screenshot)
    except (TimeoutError, RuntimeError, OSError) as e:
        fail(f"browser: {e}")
    finally:
        signal.alarm(0)
        if cdp:
            cdp.close()
    if failures:
        return 1
    print(f"report_html: {len(rows)} rows, {len(CHARTS)} charts, no load errors "
          f"({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
