"""Interop of the cloud role's Entra v2 surface with MSAL Python and azure-identity, unmodified,
over HTTPS: a certificate credential (MSAL's RS256 form named by its SHA-1 thumbprint, its
default PS256 form named by x5t#S256 with the certificate chain, and azure-identity's
CertificateCredential) gets an application token for Exchange, which PyJWT verifies against
the keys the tenant's OpenID configuration publishes."""

import json
import subprocess
import time

import jwt
import msal
import pytest
import requests
from azure.identity import CertificateCredential

from conftest import hybrid, hybrid_bin, hybrid_json, openssl_cert, openssl_sha1

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
SKYPE = "00000004-0000-0ff1-ce00-000000000000"


def cli(data, *args, check=0):
    r = hybrid("--data", data, "cloud", *args, "--json", check=check)
    return json.loads(r.stdout) if r.stdout.strip() else None


def tls_chain(d):
    """A CA and a server certificate for 127.0.0.1 it issued, made by openssl; the server's PEM
    file holds its certificate and the CA's (the chain it serves)."""
    def run(*a):
        subprocess.run(["openssl", *map(str, a)], check=True, capture_output=True)
    ca, ca_key = d / "ca.pem", d / "ca-key.pem"
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-subj", "/CN=Interop CA",
        "-days", "30")
    leaf, key, csr, ext = d / "leaf.pem", d / "server-key.pem", d / "server.csr", d / "server.ext"
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", leaf, "-days", "30",
        "-extfile", ext)
    chain = d / "server.pem"
    chain.write_text(leaf.read_text() + ca.read_text())
    return chain, key, ca


@pytest.fixture
def tls_cloud(tmp_path):
    """`hybrid serve cloud` over HTTPS with a certificate for 127.0.0.1, a tenant, and
    a client certificate (made by openssl) registered as a Verify key on 00000004."""
    server_cert, server_key, ca = tls_chain(tmp_path)
    data = tmp_path / "data"
    log = open(tmp_path / "cloud.log", "w")
    proc = subprocess.Popen([hybrid_bin(), "--data", str(data), "serve", "cloud", "--listen", "127.0.0.1:0",
                             "--tls-cert", str(server_cert), "--tls-key", str(server_key)],
                            stdout=subprocess.DEVNULL, stderr=log, text=True)
    url_file = data / "cloud" / "server.url"
    for _ in range(400):
        if url_file.exists() and url_file.read_text().strip():
            break
        if proc.poll() is not None:
            pytest.fail(f"hybrid serve cloud exited: {(tmp_path / 'cloud.log').read_text()}")
        time.sleep(0.025)
    url = url_file.read_text().strip()
    assert url.startswith("https://")
    tenant = cli(data, "new-tenant", "--domain", "contoso.com")["tenantId"]
    cli(data, "set-service-principal-names", "--service-principal-id", EXCHANGE,
        "--service-principal-names", "https://mail.contoso.com/")
    cert, key = openssl_cert(tmp_path, "client")
    der = tmp_path / "client.cer"
    subprocess.run(["openssl", "x509", "-in", cert, "-outform", "der", "-out", der], check=True)
    cli(data, "add-service-principal-key", "--service-principal-id", SKYPE,
        "--type", "AsymmetricX509Cert", "--usage", "Verify", "--key-file", der)
    yield {"url": url, "tenant": tenant, "ca": str(ca), "cert": cert, "key": key, "der": der}
    proc.terminate()
    proc.wait(timeout=10)


def verified_claims(c, token):
    """The token's claims, its signature checked with the tenant's published keys."""
    session = requests.Session()
    # The CA of this test, not a bundle named by REQUESTS_CA_BUNDLE (which would win otherwise).
    session.trust_env = False
    session.verify = c["ca"]
    oidc = session.get(f"{c['url']}/{c['tenant']}/v2.0/.well-known/openid-configuration").json()
    jwks = jwt.PyJWKSet.from_dict(session.get(oidc["jwks_uri"]).json())
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [k for k in jwks.keys if k.key_id == kid]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=EXCHANGE, issuer=oidc["issuer"])
    assert claims["ver"] == "2.0" and claims["azp"] == SKYPE and claims["tid"] == c["tenant"]
    assert claims["idtyp"] == "app" and claims["oid"] == claims["sub"]
    return claims


def msal_app(c, credential, instance_discovery=True):
    session = requests.Session()
    # The CA of this test, not a bundle named by REQUESTS_CA_BUNDLE (which would win otherwise).
    session.trust_env = False
    session.verify = c["ca"]
    return msal.ConfidentialClientApplication(
        SKYPE, authority=f"{c['url']}/{c['tenant']}", client_credential=credential, http_client=session,
        # Instance discovery answered by the cloud role itself, or off.
        instance_discovery=f"{c['url']}/common/discovery/instance" if instance_discovery else False)


def test_msal_rs256_with_a_sha1_thumbprint(tls_cloud):
    c = tls_cloud
    app = msal_app(c, {"private_key": c["key"].read_text(), "thumbprint": openssl_sha1(c["der"])})
    result = app.acquire_token_for_client(scopes=[f"{EXCHANGE}/.default"])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    verified_claims(c, result["access_token"])


def test_msal_default_ps256_with_x5t_s256_and_the_certificate(tls_cloud):
    c = tls_cloud
    app = msal_app(c, {"private_key": c["key"].read_text(), "public_certificate": c["cert"].read_text()})
    result = app.acquire_token_for_client(scopes=[f"{EXCHANGE}/.default"])
    assert "access_token" in result, result
    verified_claims(c, result["access_token"])


def test_msal_with_a_certificate_not_registered_is_refused_with_700027(tls_cloud, tmp_path):
    c = tls_cloud
    other, other_key = openssl_cert(tmp_path, "stranger")
    # Discovery off: after a refusal MSAL looks up authority aliases at login.microsoftonline.com
    # whatever discovery endpoint it was given, and this machine has no route there.
    app = msal_app(c, {"private_key": other_key.read_text(), "public_certificate": other.read_text()},
                   instance_discovery=False)
    result = app.acquire_token_for_client(scopes=[f"{EXCHANGE}/.default"])
    assert "access_token" not in result
    assert 700027 in result["error_codes"], result


def test_azure_identity_certificate_credential(tls_cloud, tmp_path):
    c = tls_cloud
    both = tmp_path / "client-with-key.pem"
    both.write_text(c["key"].read_text() + c["cert"].read_text())
    credential = CertificateCredential(
        c["tenant"], SKYPE, certificate_path=str(both), authority=c["url"],
        disable_instance_discovery=True, connection_verify=c["ca"])
    token = credential.get_token(f"{EXCHANGE}/.default")
    assert token.expires_on > time.time() + 3000
    verified_claims(c, token.token)


def test_msal_token_opens_mailboxes_in_the_dedicated_mode(tmp_path):
    """The dedicated-application mode end to end with MSAL: `hybrid demo --trust dedicated`
    leaves an organization whose EvoSts AuthServer (Type AzureAD) trusts the tenant and whose
    dedicated Exchange hybrid application holds full_access_as_app. The cloud is then served
    over HTTPS, the AuthServer pointed at its federation metadata there, a client certificate
    made by openssl added to the application, and MSAL's token (RS256 and its default PS256
    form) reads alice's and bob's mailboxes through exchangelib with impersonation."""
    import os
    import pathlib
    import re

    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    from exchangelib import IMPERSONATION, Account, Configuration, OAuth2AuthorizationCodeCredentials
    from exchangelib.protocol import close_connections

    demo = hybrid("demo", "--trust", "dedicated", "--keep", check=0)
    assert "All checks passed." in demo.stdout
    data = pathlib.Path(re.search(r"^kept (.+)$", demo.stdout, re.M).group(1)) / "data"
    for role in ("cloud", "onprem"):
        (data / role / "server.url").unlink(missing_ok=True)
    server_cert, server_key, ca = tls_chain(tmp_path)
    procs = []

    def serve(role, *extra):
        log = open(tmp_path / f"{role}.log", "w")
        procs.append(subprocess.Popen([hybrid_bin(), "--data", str(data), "serve", role, "--listen", "127.0.0.1:0",
                                       *extra], stdout=subprocess.DEVNULL, stderr=log))
        url_file = data / role / "server.url"
        for _ in range(400):
            if url_file.exists() and url_file.read_text().strip():
                return url_file.read_text().strip()
            time.sleep(0.025)
        pytest.fail(f"hybrid serve {role}: {(tmp_path / f'{role}.log').read_text()}")

    try:
        cloud = serve("cloud", "--tls-cert", str(server_cert), "--tls-key", str(server_key))
        onprem = serve("onprem", "--insecure-http")
        assert cloud.startswith("https://")
        [evosts] = [s for s in hybrid_json("--data", data, "onprem", "get-auth-server") if s["Type"] == "AzureAD"]
        tenant, app_id = evosts["Realm"], evosts["ApplicationIdentifier"]
        # The token service moved: the AuthServer reads the tenant's federation metadata again.
        moved = hybrid_json("--data", data, "onprem", "set-auth-server", "--identity", evosts["Name"],
                            "--auth-metadata-url",
                            f"{cloud}/{tenant}/federationmetadata/2007-06/federationmetadata.xml",
                            "--trust-any-ssl-certificate")
        moved = moved[0] if isinstance(moved, list) else moved
        assert moved["IssuerIdentifier"] == f"{cloud}/{tenant}/"
        cert, key = openssl_cert(tmp_path, "ews-client")
        hybrid("--data", data, "cloud", "configure-hybrid-application", "--mode", "update-certificate",
               "--certificate", cert, check=0)
        c = {"url": cloud, "tenant": tenant, "ca": str(ca)}
        session = requests.Session()
        session.trust_env = False
        session.verify = str(ca)
        for credential in ({"private_key": key.read_text(), "thumbprint": openssl_sha1(cert)},
                           {"private_key": key.read_text(), "public_certificate": cert.read_text()}):
            app = msal.ConfidentialClientApplication(
                app_id, authority=f"{cloud}/{tenant}", client_credential=credential, http_client=session,
                instance_discovery=f"{cloud}/common/discovery/instance")
            result = app.acquire_token_for_client(scopes=[f"{EXCHANGE}/.default"])
            assert "access_token" in result, result
            claims = jwt.decode(result["access_token"], options={"verify_signature": False})
            assert claims["azp"] == app_id and "full_access_as_app" in claims["roles"]

            def account(smtp):
                close_connections()
                creds = OAuth2AuthorizationCodeCredentials(access_token={"access_token": result["access_token"]})
                config = Configuration(service_endpoint=f"{onprem}/EWS/Exchange.asmx", credentials=creds)
                return Account(smtp, config=config, autodiscover=False, access_type=IMPERSONATION)

            [transcript] = list(account("alice@contoso.com").recoverable_items_purges.filter(subject="Lunch?"))
            assert transcript.item_class == "IPM.Note.Microsoft.Conversation"
            assert account("bob@contoso.com").conversation_history.all().count() >= 1
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
