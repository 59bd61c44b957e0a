"""Shared helpers for the interop suites: the hybrid binary, openssl, and PyJWT key handling."""

import base64
import hashlib
import json
import os
import pathlib
import subprocess

import pytest
from cryptography import x509

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates" / "s2s" / "fixtures"


def hybrid_bin() -> str:
    path = os.environ.get("HYBRID_BIN", str(ROOT / "target" / "debug" / "hybrid"))
    path = str((ROOT / path).resolve()) if not os.path.isabs(path) else path
    if not os.path.exists(path):
        pytest.fail(f"hybrid binary not found at {path}: run scripts/test, or set HYBRID_BIN")
    return path


def hybrid(*args, input=None, check=None):
    """Runs the hybrid CLI; returns the CompletedProcess. check=0/1 asserts the exit status."""
    proc = subprocess.run([hybrid_bin(), *map(str, args)], input=input, capture_output=True, text=True, timeout=60)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def hybrid_json(*args, check=0):
    return json.loads(hybrid(*args, "--json", check=check).stdout)


def openssl_cert(directory: pathlib.Path, name: str, bits: int = 2048, days: int = 30):
    """A self-signed certificate and key made by `openssl req -x509`."""
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", f"rsa:{bits}", "-nodes", "-keyout", key, "-out", cert,
         "-subj", f"/CN={name}", "-days", str(days)],
        check=True, capture_output=True,
    )
    return cert, key


def load_cert(path: pathlib.Path) -> x509.Certificate:
    data = path.read_bytes()
    return x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----") else x509.load_der_x509_certificate(data)


def x5t(cert: x509.Certificate) -> str:
    der = cert.public_bytes(encoding=__import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)
    return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()


def openssl_sha1(path: pathlib.Path) -> str:
    """`openssl x509 -fingerprint -sha1` as 40 uppercase hex digits."""
    data = path.read_bytes()
    form = "PEM" if data.lstrip().startswith(b"-----") else "DER"
    out = subprocess.run(["openssl", "x509", "-inform", form, "-in", path, "-noout", "-fingerprint", "-sha1"],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1].replace(":", "")


class Served:
    """`hybrid serve ROLE` in the background, on a free loopback port."""

    def __init__(self, data, role, extra=()):
        # The log goes to a file: a pipe nobody reads would stop the server once it is full.
        pathlib.Path(data).mkdir(parents=True, exist_ok=True)
        self.log = pathlib.Path(data) / f"{role}.log"
        # Plain HTTP on loopback: these suites are about EWS and tokens; test_demo and test_msal
        # run over HTTPS.
        self.proc = subprocess.Popen([hybrid_bin(), "--data", str(data), "serve", role, "--listen", "127.0.0.1:0",
                                      "--insecure-http", *extra],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "a"), text=True)
        url_file = pathlib.Path(data) / role / "server.url"
        for _ in range(400):
            if url_file.exists() and url_file.read_text().strip():
                break
            if self.proc.poll() is not None:
                pytest.fail(f"hybrid serve {role} exited: {self.log.read_text()}")
            import time
            time.sleep(0.025)
        self.url = url_file.read_text().strip()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def arrived(query, count=1, seconds=10):
    """Waits for mail the transport delivers after the sending request was answered (as an
    Exchange client must): `query` (an exchangelib QuerySet) has `count` items; returns them."""
    import time
    end = time.monotonic() + seconds
    while True:
        items = list(query)
        if len(items) == count or time.monotonic() > end:
            assert len(items) == count, f"{len(items)} items arrived, not {count}"
            return items
        time.sleep(0.05)
