"""Interop of Hybrid's certificates and S2S tokens with openssl, PyJWT and cryptography."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from conftest import FIXTURES, hybrid, hybrid_json, load_cert, openssl_cert, openssl_sha1, x5t

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
SKYPE = "00000004-0000-0ff1-ce00-000000000000"
ACS = "00000001-0000-0000-c000-000000000000"
PARTNER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TENANT = "9b8f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
HOST = "mail.contoso.com"


def private_key(path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def self_issued_claims(now):
    # Exchange's shape: iss = nameid, trustedfordelegation "true", dates as numeric strings.
    return {
        "aud": f"{EXCHANGE}/{HOST}@contoso.com",
        "iss": f"{PARTNER}@contoso.com",
        "nameid": f"{PARTNER}@contoso.com",
        "trustedfordelegation": "true",
        "nbf": str(now - 10),
        "exp": str(now + 3600),
    }


def pyjwt_actor(cert, key, claims):
    return jwt.encode(claims, private_key(key), algorithm="RS256", headers={"x5t": x5t(load_cert(cert))})


def test_cert_show_thumbprint_matches_openssl(tmp_path):
    cert, _ = openssl_cert(tmp_path, "openssl-made")
    assert hybrid_json("cert", "show", cert)["Thumbprint"] == openssl_sha1(cert)
    made = tmp_path / "hybrid-made.cer"
    hybrid("cert", "new", "--out", made, check=0)
    shown = hybrid_json("cert", "show", made)
    assert shown["Thumbprint"] == openssl_sha1(made)
    assert shown["Subject"] == "CN=Microsoft Exchange Server Auth Certificate"
    assert shown["KeySize"] == 2048
    assert shown["X5t"] == x5t(load_cert(made))
    # The key hybrid wrote is a PKCS#8 key that cryptography reads and that matches.
    key = private_key(tmp_path / "hybrid-made-key.pem")
    assert key.public_key().public_numbers() == load_cert(made).public_key().public_numbers()


def test_pyjwt_actor_passes_inspect_and_the_pipeline(tmp_path):
    cert, key = openssl_cert(tmp_path, "partner")
    token = pyjwt_actor(cert, key, self_issued_claims(int(time.time())))
    hybrid("token", "inspect", "--cert", cert, token, check=0)
    v = hybrid_json("token", "validate", token, "--trust-cert", cert, "--host", HOST)
    assert v["Result"] == "Accepted"
    assert v["Profile"] == "S2SAppOnly"
    assert v["SigningThumbprint"] == openssl_sha1(cert)


def test_pyjwt_act_as_with_an_unsigned_outer_token(tmp_path):
    cert, key = openssl_cert(tmp_path, "partner")
    now = int(time.time())
    actor = pyjwt_actor(cert, key, self_issued_claims(now))
    outer = jwt.encode(
        {"actortoken": actor, "aud": f"{EXCHANGE}/{HOST}@contoso.com", "iss": f"{PARTNER}@contoso.com",
         "nbf": now - 10, "exp": now + 600, "smtp": "alice@contoso.com", "sip": "sip:alice@contoso.com"},
        None, algorithm="none",
    )
    assert outer.endswith(".")
    v = hybrid_json("token", "validate", f"Bearer {outer}", "--trust-cert", cert, "--host", HOST)
    assert v["Profile"] == "S2SAppActAs"
    assert v["User"] == "smtp=alice@contoso.com sip=alice@contoso.com"


def test_pyjwt_acs_actor_for_skype(tmp_path):
    cert, key = openssl_cert(tmp_path, "acs")
    now = int(time.time())
    actor = pyjwt_actor(cert, key, {
        "aud": f"{EXCHANGE}/{HOST}@{TENANT}", "iss": f"{ACS}@{TENANT}", "nameid": f"{SKYPE}@{TENANT}",
        "identityprovider": f"{ACS}@{TENANT}", "trustedfordelegation": "true",
        "iat": now, "nbf": now, "exp": now + 86400,
    })
    v = hybrid_json("token", "validate", actor, "--trust-cert", cert, "--host", HOST)
    assert v["PartnerApplication"] == SKYPE


def test_rejections_carry_catalogue_codes(tmp_path):
    cert, key = openssl_cert(tmp_path, "partner")
    other, other_key = openssl_cert(tmp_path, "other")
    now = int(time.time())
    forged = jwt.encode(self_issued_claims(now), private_key(other_key), algorithm="RS256",
                        headers={"x5t": x5t(load_cert(cert))})
    r = hybrid_json("token", "validate", forged, "--trust-cert", cert, "--host", HOST, check=1)
    assert (r["ErrorCode"], r["Error"]) == (1001, "InvalidSignature")
    assert r["x-ms-diagnostics"].startswith('2000000;reason="The token has an invalid signature."')
    hybrid("token", "inspect", "--cert", cert, forged, check=1)

    expired = dict(self_issued_claims(now), exp=str(now - 3600))
    r = hybrid_json("token", "validate", pyjwt_actor(cert, key, expired), "--trust-cert", cert, "--host", HOST, check=1)
    assert r["Error"] == "TokenExpired"

    r = hybrid_json("token", "validate", pyjwt_actor(cert, key, self_issued_claims(now)),
                    "--trust-cert", cert, "--host", "evil.example.com", check=1)
    assert r["Error"] == "UnexpectedHostNameInAudience"
    assert 'error="invalid_token"' in r["WWW-Authenticate"]

    # HS256 keyed with the certificate's public key bytes: refused as a bad signature.
    pub_pem = load_cert(cert).public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    confused = jwt.api_jws.PyJWS().encode(
        jwt.utils.force_bytes(__import__("json").dumps(self_issued_claims(now))), pub_pem[:32], algorithm="HS256")
    r = hybrid_json("token", "validate", confused, "--trust-cert", cert, "--host", HOST, check=1)
    assert r["Error"] == "InvalidSignature"


def test_hybrid_signed_tokens_verify_in_pyjwt(tmp_path):
    cert = tmp_path / "exchange-auth.pem"
    hybrid("cert", "new", "--out", cert, check=0)
    key = tmp_path / "exchange-auth-key.pem"
    audience = f"{SKYPE}/lync.contoso.com@contoso.com"
    token = hybrid("token", "new", "--cert", cert, "--key", key, "--issuer", f"{EXCHANGE}@contoso.com",
                   "--audience", audience, check=0).stdout.strip()
    public = load_cert(cert).public_key()
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=audience)
    assert claims["iss"] == claims["nameid"] == f"{EXCHANGE}@contoso.com"
    assert claims["trustedfordelegation"] == "true"
    assert int(claims["exp"]) - int(claims["nbf"]) == 86400
    assert jwt.get_unverified_header(token)["x5t"] == x5t(load_cert(cert))

    outer = hybrid("token", "new", "--cert", cert, "--key", key, "--issuer", f"{EXCHANGE}@contoso.com",
                   "--audience", audience, "--user-smtp", "alice@contoso.com", check=0).stdout.strip()
    unsigned = jwt.decode(outer, options={"verify_signature": False})
    assert jwt.get_unverified_header(outer)["alg"] == "none" and outer.endswith(".")
    jwt.decode(unsigned["actortoken"], public, algorithms=["RS256"], audience=audience)


def test_golden_vectors_verify_in_pyjwt():
    acs = load_cert(FIXTURES / "acs-cert.pem").public_key()
    token = (FIXTURES / "tokens" / "acs-actor.jwt").read_text().strip()
    claims = jwt.decode(token, acs, algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False})
    assert claims["iss"] == f"{ACS}@{TENANT}"
    partner = load_cert(FIXTURES / "partner-cert.pem").public_key()
    token = (FIXTURES / "tokens" / "exchange-self-issued-actor.jwt").read_text().strip()
    jwt.decode(token, partner, algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False})


def test_small_keys_are_refused(tmp_path):
    cert, key = openssl_cert(tmp_path, "weak", bits=1024)
    shown = hybrid_json("cert", "show", cert)
    assert shown["KeySize"] == 1024 and shown["UsableForS2S"] is False
    token = jwt.encode({"exp": int(time.time()) + 60}, private_key(key), algorithm="RS256")
    r = hybrid("token", "inspect", "--cert", cert, token, check=1)
    assert "error[SignatureInvalid]" in r.stderr
    r = hybrid("token", "new", "--cert", cert, "--key", key, "--issuer", "a@b", "--audience", "a/h@b", check=1)
    assert "CryptoKeyTooSmall" in r.stderr


@pytest.mark.parametrize("garbage", ["", "a.b", "!!!.e30.", "e30.e30.e30.e30"])
def test_garbage_tokens_exit_nonzero(garbage):
    r = hybrid("token", "inspect", input=garbage)
    assert r.returncode in (1, 2) and "error[" in r.stderr
