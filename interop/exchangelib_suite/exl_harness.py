"""A pytest plugin that runs exchangelib's own test suite (its `tests/` folder at the tag of the
pinned release, which the PyPI package does not carry) against a Hybrid organization: the
interop suites' world, alice's mailbox through an act-as token with DELEGATE access, an archive
mailbox and Danish default folder names as the suite's test account has, its locale and time
zone. It counts the tests that reach a server (those of EWSTest classes) by module.

    cd <exchangelib checkout at v5.6.0>
    HYBRID_BIN=... PYTHONPATH=<this folder>:. python -m pytest -p exl_harness tests -q

Not part of the README's test command: the suite is not in this repository."""
import collections
import sys
import zoneinfo

import pytest

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
import conftest as hybrid_conftest  # noqa: E402,F401  (interop's)
from test_ews import make_world  # noqa: E402

from exchangelib import Account, Configuration, DELEGATE, OAuth2AuthorizationCodeCredentials  # noqa: E402
from exchangelib.protocol import FaultTolerance  # noqa: E402
import tests.common as common  # noqa: E402

WORLD = {}



@pytest.fixture(scope="session", autouse=True)
def hybrid_world(tmp_path_factory):
    gen = make_world(tmp_path_factory)
    w = next(gen)
    # As the suite's own test account: an archive mailbox, and Danish (the suite's locale).
    script = w.data.parent / "exl.ps1"
    script.write_text("Enable-Mailbox -Identity alice -Archive\n"
                      "Set-MailboxRegionalConfiguration -Identity alice -Language da-DK -LocalizeDefaultFolderName\n")
    r = hybrid_conftest.hybrid("--data", w.data, "onprem", "run", script)
    assert r.returncode == 0, r.stderr
    WORLD["w"] = w
    yield w
    try:
        next(gen)
    except StopIteration:
        pass


def _setup(cls):
    w = WORLD["w"]
    host = w.ews.split("//")[1].split("/")[0]
    cls.settings = {"server": host, "autodiscover_server": host, "account": "alice@contoso.com",
                    "alias": "alice@contoso.com", "username": "alice@contoso.com", "password": "x",
                    "verify_ssl": False}
    cls.verify_ssl = False
    cls.tz = zoneinfo.ZoneInfo("Europe/Copenhagen")
    cls.retry_policy = FaultTolerance(max_wait=60)
    creds = OAuth2AuthorizationCodeCredentials(access_token={"access_token": w.token("alice@contoso.com")})
    cls.config = Configuration(service_endpoint=w.ews, credentials=creds, retry_policy=cls.retry_policy)
    cls.account = Account("alice@contoso.com", access_type=DELEGATE, config=cls.config, locale="da_DK",
                          default_timezone=cls.tz, autodiscover=False)
    _ = cls.account.version


common.EWSTest.setUpClass = classmethod(_setup)
common.EWSTest.get_account = classmethod(lambda cls: Account(
    "alice@contoso.com", access_type=DELEGATE, config=cls.config, locale="da_DK", default_timezone=cls.tz,
    autodiscover=False))

RESULTS = collections.defaultdict(lambda: [0, 0])
FAILED = []


def pytest_runtest_logreport(report):
    if type(report).__name__ != "TestReport":
        return  # a subtest's report: the test is counted once
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        mod = report.nodeid.split("::")[0]
        if report.nodeid in SERVER:
            if report.outcome == "passed":
                RESULTS[mod][0] += 1
            elif report.outcome == "failed":
                RESULTS[mod][1] += 1
                FAILED.append(report.nodeid)


SERVER = set()


def pytest_collection_modifyitems(items):
    for it in items:
        c = getattr(it, "cls", None)
        if c is not None and issubclass(c, common.EWSTest):
            SERVER.add(it.nodeid)


def pytest_terminal_summary(terminalreporter):
    tp = tf = 0
    for mod, (p, f) in sorted(RESULTS.items()):
        terminalreporter.write_line(f"{mod}: {p}/{p + f}")
        tp += p
        tf += f
    terminalreporter.write_line(f"SERVER TOTAL {tp}/{tp + tf} = {100 * tp / max(1, tp + tf):.1f}%")
    for n in FAILED:
        terminalreporter.write_line(f"FAILED {n}")
