"""Interop of the cloud role with openssl, PyJWT and cryptography: a certificate made by openssl
is uploaded with the CLI, PyJWT signs the assertion and gets a token, and PyJWT verifies that
token with the certificate taken from the metadata document."""

import base64
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import hybrid, hybrid_bin, load_cert, openssl_cert, openssl_sha1, x5t

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
SKYPE = "00000004-0000-0ff1-ce00-000000000000"
ACS = "00000001-0000-0000-c000-000000000000"


@pytest.fixture
def cloud(tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen([hybrid_bin(), "--data", str(data), "serve", "cloud", "--listen", "127.0.0.1:0",
                             "--insecure-http"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url_file = data / "cloud" / "server.url"
    for _ in range(200):
        if url_file.exists() and url_file.read_text().strip():
            break
        if proc.poll() is not None:
            pytest.fail(f"hybrid serve cloud exited: {proc.stderr.read()}")
        time.sleep(0.05)
    url = url_file.read_text().strip()
    yield url, data
    proc.terminate()
    proc.wait(timeout=10)


def cli(data, *args, check=0):
    r = hybrid("--data", data, "cloud", *args, "--json", check=check)
    return json.loads(r.stdout) if r.stdout.strip() else None


def post_form(url, form):
    req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def test_openssl_cert_uploaded_pyjwt_assertion_pyjwt_verifies_the_token(cloud, tmp_path):
    url, data = cloud
    tenant = cli(data, "new-tenant", "--domain", "contoso.com")["tenantId"]
    cert, key = openssl_cert(tmp_path, "sfb-partner")
    der = tmp_path / "OAuthCert.cer"
    subprocess.run(["openssl", "x509", "-in", cert, "-outform", "der", "-out", der], check=True)

    sp = cli(data, "add-service-principal-key", "--service-principal-id", SKYPE,
             "--type", "AsymmetricX509Cert", "--usage", "Verify", "--key-file", der)
    [k] = sp["keyCredentials"]
    assert k["customKeyIdentifier"] == openssl_sha1(der)
    c = load_cert(der)
    assert k["startDateTime"] == c.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert k["endDateTime"] == c.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Step 6: read it back.
    again = cli(data, "get-service-principal", "--service-principal-id", SKYPE, "--property", "KeyCredentials")
    assert again["keyCredentials"][0]["keyId"] == k["keyId"]
    cli(data, "set-service-principal-names", "--service-principal-id", EXCHANGE,
        "--service-principal-names", "https://mail.contoso.com/")

    authority = url.split("://", 1)[1]
    now = int(time.time())
    assertion = jwt.encode(
        {"iss": f"{SKYPE}@{tenant}", "aud": f"{ACS}/{authority}@{tenant}", "nbf": now, "exp": now + 600,
         "jti": str(uuid.uuid4())},
        serialization.load_pem_private_key(key.read_bytes(), None), algorithm="RS256", headers={"x5t": x5t(c)})
    resource = f"{EXCHANGE}/mail.contoso.com@contoso.com"
    status, body = post_form(f"{url}/{tenant}/tokens/OAuth/2", {
        "grant_type": "http://oauth.net/grant_type/jwt/1.0/bearer", "assertion": assertion, "resource": resource})
    assert status == 200, body
    assert body["expires_in"] == "86400"
    token = body["access_token"]

    metadata = get_json(f"{url}/{tenant}/metadata/json/1")
    issuance = [e for e in metadata["endpoints"] if e["usage"] == "issuance"][0]["location"]
    assert issuance == f"{url}/{tenant}/tokens/OAuth/2"
    header = jwt.get_unverified_header(token)
    certs = [x509.load_der_x509_certificate(base64.b64decode(k["keyValue"]["value"])) for k in metadata["keys"]]
    signer = [cert for cert in certs if x5t(cert) == header["x5t"]]
    assert signer, "the token's x5t names a certificate of the metadata document"
    claims = jwt.decode(token, signer[0].public_key(), algorithms=["RS256"],
                        audience=f"{EXCHANGE}/mail.contoso.com@{tenant}", issuer=f"{ACS}@{tenant}")
    assert claims["nameid"] == f"{SKYPE}@{tenant}"
    assert claims["trustedfordelegation"] == "true"
    assert claims["exp"] - claims["iat"] == 86400

    # The same assertion again is a replay.
    status, body = post_form(f"{url}/{tenant}/tokens/OAuth/2", {
        "grant_type": "http://oauth.net/grant_type/jwt/1.0/bearer", "assertion": assertion, "resource": resource})
    assert status == 401 and body["error_codes"] == [700029]


def test_cli_refusals(cloud, tmp_path):
    url, data = cloud
    cli(data, "new-tenant", "--domain", "contoso.com")
    r = hybrid("--data", data, "cloud", "new-tenant", "--domain", "contoso.com")
    assert r.returncode == 1 and "Request_MultipleObjectsWithSameKeyValue" in r.stderr
    weak, _ = openssl_cert(tmp_path, "weak", bits=1024)
    r = hybrid("--data", data, "cloud", "add-service-principal-key", "--service-principal-id", SKYPE, "--key-file", weak)
    assert r.returncode == 1 and "Request_BadRequest" in r.stderr, r.stderr
    r = hybrid("--data", data, "cloud", "get-service-principal", "--service-principal-id", "99999999-0000-0000-0000-000000000000")
    assert r.returncode == 1 and "Request_ResourceNotFound" in r.stderr
    cli(data, "new-tenant", "--domain", "fabrikam.com")
    r = hybrid("--data", data, "cloud", "get-service-principal")
    assert r.returncode == 2 and "--tenant" in r.stderr
    out = cli(data, "get-service-principal", "--tenant", "fabrikam.com", "--service-principal-id", SKYPE)
    assert out["appId"] == SKYPE
