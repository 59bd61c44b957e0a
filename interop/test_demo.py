"""exchangelib, as a separate client, reads what `hybrid demo` left in the mailboxes: the archived
IM transcript in Recoverable Items\\Purges and the Conversation History items. The demo runs with
--keep; its data folder is then served again by `hybrid up` over HTTPS from the folder's
development CA, which exchangelib is given, and read with a token from the real ACS flow,
signed by the EWS client key the demo registered on 00000004-…."""

import os
import pathlib
import re
import shutil
import subprocess
import time

from conftest import hybrid, hybrid_bin

os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

from exchangelib import DELEGATE, Account, Configuration, OAuth2AuthorizationCodeCredentials  # noqa: E402
from exchangelib.protocol import close_connections  # noqa: E402

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
SKYPE = "00000004-0000-0ff1-ce00-000000000000"


def scrape(url, credential_file, ca):
    """`GET /metrics` with the role's operator credential, parsed by prometheus_client's OpenMetrics
    parser: {(sample name, sorted labels): value}."""
    import urllib.request

    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    req = urllib.request.Request(f"{url}/metrics",
                                 headers={"Authorization": f"Bearer {credential_file.read_text().strip()}"})
    import ssl
    with urllib.request.urlopen(req, timeout=10, context=ssl.create_default_context(cafile=str(ca))) as resp:
        assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
        text = resp.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_exchangelib_reads_the_demos_archive_and_conversation_history():
    demo = hybrid("demo", "--keep", check=0)
    assert "All checks passed." in demo.stdout
    work = pathlib.Path(re.search(r"^kept (.+)$", demo.stdout, re.M).group(1))
    data = work / "data"
    # The demo's own `hybrid up` was stopped; its marker goes, so that the new one is awaited.
    (data / "ready").unlink(missing_ok=True)
    env = dict(os.environ, HYBRID_LOG="warn")
    up = subprocess.Popen([hybrid_bin(), "--data", str(data), "up", "--base-port", "0"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    try:
        for _ in range(400):
            if (data / "ready").exists():
                break
            time.sleep(0.025)
        assert (data / "ready").exists(), "hybrid up did not serve the demo's data again"
        onprem = (data / "onprem" / "server.url").read_text().strip()
        cloud = (data / "cloud" / "server.url").read_text().strip()
        assert onprem.startswith("https://") and cloud.startswith("https://")
        # exchangelib's HTTP session trusts the folder's development CA, as a user gives it.
        os.environ["REQUESTS_CA_BUNDLE"] = str(data / "ca.pem")
        tenant = next((data / "cloud" / "tenants").iterdir()).name.removesuffix(".credential")

        def account(smtp):
            token = hybrid("--data", data, "token", "request", "--cert", work / "client.pem", "--key", work / "client-key.pem",
                           "--client", SKYPE, "--tenant", tenant, "--token-endpoint", f"{cloud}/{tenant}/tokens/OAuth/2",
                           "--resource", f"{EXCHANGE}/mail.contoso.com@contoso.com", "--user-smtp", smtp, check=0).stdout.strip()
            close_connections()
            creds = OAuth2AuthorizationCodeCredentials(access_token={"access_token": token})
            config = Configuration(service_endpoint=f"{onprem}/EWS/Exchange.asmx", credentials=creds)
            # The token names the user: delegate access (exchangelib defaults to impersonation
            # with OAuth, which needs ApplicationImpersonation).
            return Account(smtp, config=config, autodiscover=False, access_type=DELEGATE)

        for smtp in ("alice@contoso.com", "bob@contoso.com"):
            [transcript] = list(account(smtp).recoverable_items_purges.filter(subject="Lunch?"))
            assert transcript.item_class == "IPM.Note.Microsoft.Conversation"
            assert "lunch at noon?" in str(transcript.body)
            assert transcript.is_draft is False
        history = account("bob@contoso.com").conversation_history.all()
        classes = sorted((i.subject, i.item_class) for i in history)
        assert ("Lunch?", "IPM.Note.Microsoft.Conversation") in classes
        assert any(c == "IPM.Note.Microsoft.Missed" for _, c in classes), classes

        # What an operator scrapes after that traffic, read with Prometheus' own parser.
        cloud_metrics = scrape(cloud, data / "cloud" / "operator.credential", data / "ca.pem")
        assert cloud_metrics[("hybrid_sts_tokens_issued_total", (("endpoint", "acs"), ("role", "cloud")))] > 0
        skype_keys = [v for (name, labels), v in cloud_metrics.items()
                      if name == "hybrid_key_credential_days_to_expiry" and ("app_id", SKYPE) in labels]
        assert skype_keys and min(skype_keys) > 0, cloud_metrics
        assert ("hybrid_change_feed_lag_seconds", (("role", "cloud"),)) in cloud_metrics
        onprem_metrics = scrape(onprem, data / "onprem" / "operator.credential", data / "ca.pem")
        accepted = [v for (name, labels), v in onprem_metrics.items()
                    if name == "hybrid_s2s_handshakes_total" and ("outcome", "accepted") in labels
                    and ("direction", "inbound") in labels]
        assert accepted and accepted[0] > 0, onprem_metrics
        finds = [v for (name, labels), v in onprem_metrics.items()
                 if name == "hybrid_ews_operations_total" and ("operation", "FindItem") in labels]
        assert sum(finds) > 0, onprem_metrics
        days = [v for (name, labels), v in onprem_metrics.items()
                if name == "hybrid_auth_certificate_days_to_expiry" and ("certificate", "current") in labels]
        assert days and days[0] > 300, onprem_metrics
        requests = [v for (name, labels), v in onprem_metrics.items()
                    if name == "hybrid_http_requests_total" and ("route", "/EWS/Exchange.asmx") in labels]
        assert sum(requests) > 0, onprem_metrics
    finally:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
        if ca_bundle is not None:
            os.environ["REQUESTS_CA_BUNDLE"] = ca_bundle
        up.terminate()
        up.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
