"""The on-premises web view of the trust, `/admin/ui`, loaded in a real browser: headless
Chromium from Debian's packages opens what `hybrid demo --keep` left, served again over HTTPS,
signs in with the organization admin credential (HTTP Basic: the credential is the password),
and the page shows the doctor's findings with their fixes, the auth certificate with where it is
uploaded, the handshakes (followed live) and the partner's queue. The screenshot is kept under
the build folder (screenshots/admin-ui.png)."""

import base64
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import ROOT, hybrid, hybrid_bin, hybrid_json


def browser():
    for name in ("chromium-headless-shell", "chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is not installed: scripts/setup-test-deps installs chromium-headless-shell")


def spki_sha256(pem_file):
    """The base64 SHA-256 of the server certificate's public key, as Chromium pins it."""
    cert = x509.load_pem_x509_certificate(pem_file.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


ATTACK = """<!doctype html><html><body>
<form id="f" method="POST" enctype="text/plain" action="{target}">
<input name='{{"Cmdlet":"Remove-Mailbox","Parameters":{{"Identity":"alice","Confirm":false}},"pad":"' value='"}}'>
</form>
<script>
  // The administrator has the web view open in another tab: the browser holds its Basic
  // credential and would attach it to any request to that server, whoever starts it.
  window.open("{signin}");
  setTimeout(() => {{
    // What a hostile page then does: a fetch that may not read the answer, and a form (a
    // top-level navigation).
    fetch("{target}", {{method: "POST", mode: "no-cors", credentials: "include",
      headers: {{"Content-Type": "text/plain"}},
      body: JSON.stringify({{Cmdlet: "Remove-Mailbox", Parameters: {{Identity: "bob", Confirm: false}}}})}})
      .finally(() => document.getElementById("f").submit());
  }}, 3000);
</script></body></html>"""


def forged_posts_from_another_site_change_nothing(flags, host, credential, data, tmp_path):
    """A page on another origin posts cmdlets to /admin/cmdlet from a browser that holds the
    admin credential (HTTP Basic): nothing changes, and the server's refusal is what the form
    lands on."""
    import http.server
    import threading

    page = ATTACK.format(signin=f"https://admin:{credential}@{host}/admin/ui",
                         target=f"https://{host}/admin/cmdlet")

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    attacker = http.server.HTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        before = hybrid_json("--data", data, "onprem", "get-mailbox")
        names = {m["Alias"] for m in before}
        assert {"alice", "bob"} <= names
        dom = subprocess.run([*flags, "--disable-popup-blocking", "--virtual-time-budget=10000", "--dump-dom",
                              f"http://127.0.0.1:{attacker.server_port}/attack.html"],
                             capture_output=True, text=True, timeout=120).stdout
        assert "cross-site requests are refused" in dom or "accepted for reading only" in dom, dom[:2000]
        after = {m["Alias"] for m in hybrid_json("--data", data, "onprem", "get-mailbox")}
        assert after == names, f"a forged request changed the mailboxes: {names} -> {after}"
    finally:
        attacker.shutdown()


def test_the_trust_in_a_browser(tmp_path):
    demo = hybrid("demo", "--keep", check=0)
    assert "All checks passed." in demo.stdout
    work = pathlib.Path(re.search(r"^kept (.+)$", demo.stdout, re.M).group(1))
    data = work / "data"
    (data / "ready").unlink(missing_ok=True)
    up = subprocess.Popen([hybrid_bin(), "--data", str(data), "up", "--base-port", "0"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env=dict(os.environ, HYBRID_LOG="warn"))
    try:
        for _ in range(400):
            if (data / "ready").exists():
                break
            time.sleep(0.025)
        assert (data / "ready").exists()
        onprem = (data / "onprem" / "server.url").read_text().strip()
        credential = (data / "onprem" / "admin.credential").read_text().strip()
        # Without the credential a browser is asked for it; the operator's is not enough.
        session = requests.Session()
        session.trust_env = False
        session.verify = str(data / "ca.pem")
        r = session.get(f"{onprem}/admin/ui")
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic realm=")
        operator = (data / "onprem" / "operator.credential").read_text().strip()
        assert session.get(f"{onprem}/admin/ui", auth=("admin", operator)).status_code == 403

        config = hybrid_json("--data", data, "onprem", "get-auth-config")
        config = config[0] if isinstance(config, list) else config
        current = config["CurrentCertificateThumbprint"]
        host = onprem.removeprefix("https://")
        url = f"https://admin:{credential}@{host}/admin/ui"
        # Chromium trusts exactly this server's key (its own root store is not the system's).
        flags = [browser(), "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
                 f"--ignore-certificate-errors-spki-list={spki_sha256(data / 'onprem' / 'tls.pem')}"]
        dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120).stdout
        assert "<title>Trust of Contoso</title>" in dom, dom[:2000]
        # The doctor's findings with their fixes: the shared mode's CVE-2025-53786 warning.
        assert "SharedServicePrincipalExposure" in dom
        assert f"hybrid --data {data} cloud configure-hybrid-application --mode full" in dom
        # The auth certificate, where it is uploaded, and its bar on the timeline.
        assert current in dom
        assert "00000004-0000-0ff1-ce00-000000000000 (Skype for Business Online)" in dom
        assert re.search(r"<rect[^>]*>", dom), "the validity timeline"
        # The demo's handshakes, and the script following new ones.
        assert dom.count('class="accepted"') >= 5
        assert "alice@contoso.com" in dom and "bob@contoso.com" in dom
        assert 'id="live">(live)' in dom, "the page follows the handshakes"
        assert "The partner's work queue" in dom and "dead-lettered" in dom

        shots = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        png = shots / "admin-ui.png"
        png.unlink(missing_ok=True)
        subprocess.run([*flags, "--window-size=1280,2200", f"--screenshot={png}", url],
                       capture_output=True, timeout=120)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
        print(f"screenshot: {png}")

        forged_posts_from_another_site_change_nothing(flags, host, credential, data, tmp_path)
    finally:
        up.terminate()
        up.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
