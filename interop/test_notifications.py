"""EWS notifications with exchangelib 5.6.0, unchanged: pull and streaming subscriptions learn of
items created, changed, moved and deleted by another client, and of mail that arrives."""

import glob
import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest

from conftest import Served, arrived
from test_ews import make_world, world  # noqa: F401  (the module's own organization, made as test_ews makes it)

from exchangelib import Mailbox, Message  # noqa: E402
from exchangelib.errors import ErrorInvalidSubscription, ErrorSubscriptionNotFound  # noqa: E402
from exchangelib.properties import (CopiedEvent, CreatedEvent, DeletedEvent, ModifiedEvent, MovedEvent,  # noqa: E402
                                    NewMailEvent, StatusEvent)


def events_of(notifications):
    return [e for n in notifications for e in n.events]


def item_events(events, cls, item_id):
    return [e for e in events if isinstance(e, cls) and getattr(e, "item_id", None) is not None
            and e.item_id.id == item_id]


def test_pull_subscription_sees_another_clients_changes(world):
    alice, other = world.account(), world.account()
    folder = alice.drafts
    with folder.pull_subscription() as (sub, watermark):
        first = events_of(folder.get_events(sub, watermark))
        assert [type(e) for e in first] == [StatusEvent]
        watermark = first[-1].watermark

        m = Message(account=other, folder=other.drafts, subject="pull one")
        m.save()
        events = events_of(folder.get_events(sub, watermark))
        assert len(item_events(events, CreatedEvent, m.id)) == 1
        watermark = events[-1].watermark

        m.subject = "pull one, changed"
        m.save(update_fields=["subject"])
        events = events_of(folder.get_events(sub, watermark))
        assert len(item_events(events, ModifiedEvent, m.id)) == 1
        watermark = events[-1].watermark

        # A copy names its original.
        copy_id, _ = m.copy(other.drafts)
        events = events_of(folder.get_events(sub, watermark))
        copied = [e for e in events if isinstance(e, CopiedEvent)]
        assert len(copied) == 1 and copied[0].item_id.id == copy_id and copied[0].old_item_id.id == m.id
        watermark = events[-1].watermark

        # A moved item has a new id, as in Exchange: the event names both.
        before = m.id
        m.move(other.inbox)
        assert m.id != before
        events = events_of(folder.get_events(sub, watermark))
        moved = [e for e in events if isinstance(e, MovedEvent) and e.old_item_id.id == before]
        assert len(moved) == 1 and moved[0].old_parent_folder_id.id == alice.drafts.id
        assert moved[0].parent_folder_id.id == alice.inbox.id and moved[0].item_id.id == m.id
        watermark = events[-1].watermark

        # Nothing more: a status event, and the watermark stays usable.
        again = events_of(folder.get_events(sub, watermark))
        assert [type(e) for e in again] == [StatusEvent]

    # A subscription started from an old watermark replays what happened since.
    with alice.inbox.pull_subscription(watermark=watermark) as (sub2, w2):
        gone = m.id
        m.delete()
        events = events_of(alice.inbox.get_events(sub2, w2))
        assert len(item_events(events, DeletedEvent, gone)) == 1
    with pytest.raises(ErrorSubscriptionNotFound):
        alice.inbox.unsubscribe(sub2)


def test_new_mail_is_announced_to_the_recipient(world):
    alice, bob = world.account(), world.account("bob@contoso.com")
    with alice.inbox.pull_subscription(event_types=["NewMailEvent"]) as (sub, watermark):
        Message(account=bob, subject="new mail for alice", body="hi",
                to_recipients=[Mailbox(email_address="alice@contoso.com")]).send()
        arrived(alice.inbox.filter(subject="new mail for alice"))
        events = events_of(alice.inbox.get_events(sub, watermark))
        assert [type(e) for e in events] == [NewMailEvent]
        mail = alice.inbox.get(id=events[0].item_id.id)
        assert mail.subject == "new mail for alice"


def test_streaming_subscription_hears_events_as_they_happen(world):
    alice, other = world.account(), world.account()
    with alice.drafts.streaming_subscription() as sub:
        # An event made before the connection opens is not lost.
        m1 = Message(account=other, folder=other.drafts, subject="stream one")
        m1.save()
        started = time.monotonic()
        got = events_of(alice.drafts.get_streaming_events(sub, connection_timeout=1, max_notifications_returned=1))
        assert len(item_events(got, CreatedEvent, m1.id)) == 1
        assert time.monotonic() - started < 30

        # An event made while the connection is open arrives on it.
        made = {}

        def later():
            time.sleep(1.0)
            m2 = Message(account=other, folder=other.drafts, subject="stream two")
            m2.save()
            made["id"] = m2.id

        t = threading.Thread(target=later)
        t.start()
        got = events_of(alice.drafts.get_streaming_events(sub, connection_timeout=1, max_notifications_returned=1))
        t.join()
        assert len(item_events(got, CreatedEvent, made["id"])) == 1

    with pytest.raises(ErrorSubscriptionNotFound):
        alice.drafts.unsubscribe(sub)
    # Exchange's answer to an id that is not a subscription's, alone or beside a good one.
    with pytest.raises(ErrorInvalidSubscription) as e:
        list(alice.drafts.get_streaming_events("AAA-", connection_timeout=1, max_notifications_returned=1))
    assert "AAA-" in e.value.value
    with alice.drafts.streaming_subscription() as good:
        with pytest.raises(ErrorInvalidSubscription):
            list(alice.drafts.get_streaming_events(("AAA-", good), connection_timeout=1, max_notifications_returned=1))


def test_subscriptions_of_a_mailbox_are_its_own(world):
    alice, bob = world.account(), world.account("bob@contoso.com")
    with alice.inbox.pull_subscription() as (sub, watermark):
        from exchangelib.errors import ErrorSubscriptionAccessDenied
        with pytest.raises(ErrorSubscriptionAccessDenied):
            list(bob.inbox.get_events(sub, watermark))


class Listener:
    """A push subscriber's endpoint on loopback: records each SendNotification as exchangelib
    reads it, and answers with the status the test sets."""

    def __init__(self):
        import http.server
        from exchangelib.services import SendNotification

        self.received, self.answer = [], "OK"
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ws = SendNotification(protocol=None)
                outer.received.extend(ws.parse(body))
                payload = ws.ok_payload() if outer.answer == "OK" else ws.unsubscribe_payload()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/push"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, seconds=20):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            events = [e for n in self.received for e in n.events]
            if predicate(events):
                return events
            time.sleep(0.2)
        raise AssertionError(f"not received in {seconds} s: {self.received}")


def test_push_subscription_posts_events_until_the_subscriber_unsubscribes(world):
    alice, other = world.account(), world.account()
    listener = Listener()
    sub, _ = alice.drafts.subscribe_to_push(callback_url=listener.url)
    m = Message(account=other, folder=other.drafts, subject="push one")
    m.save()
    listener.wait_for(lambda events: item_events(events, CreatedEvent, m.id))
    assert all(n.subscription_id == sub for n in listener.received)
    # Exchange's rule: a push subscription is not ended by Unsubscribe, but by its subscriber.
    with pytest.raises(ErrorInvalidSubscription):
        alice.drafts.unsubscribe(sub)
    listener.answer = "Unsubscribe"
    m.subject = "push one, changed"
    m.save(update_fields=["subject"])
    listener.wait_for(lambda events: item_events(events, ModifiedEvent, m.id))
    heard = len(listener.received)
    for _ in range(50):
        try:
            alice.drafts.unsubscribe(sub)
        except ErrorSubscriptionNotFound:
            break
        except ErrorInvalidSubscription:
            time.sleep(0.1)
    else:
        raise AssertionError("the subscription outlived its subscriber's Unsubscribe")
    m.delete()
    time.sleep(2)
    assert len(listener.received) == heard
    listener.server.shutdown()


def test_push_to_a_host_not_allowed_is_accepted_and_not_unsubscribable(world):
    """A push subscription to any URL is accepted, as Exchange accepts one (that this server
    never posts to a host the admin did not allow is the unit test of push.rs), and, as Exchange
    answers, Unsubscribe does not end it."""
    alice = world.account()
    sub, watermark = alice.inbox.subscribe_to_push(callback_url="https://example.com/foo")
    assert sub and watermark
    with pytest.raises(ErrorInvalidSubscription):
        alice.inbox.unsubscribe(sub)


def fresh_postgres_database():
    url = os.environ.get("HYBRID_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("HYBRID_REQUIRE_POSTGRES"):
            pytest.fail("HYBRID_REQUIRE_POSTGRES is set but HYBRID_TEST_POSTGRES_URL is not")
        pytest.skip("HYBRID_TEST_POSTGRES_URL is not set (scripts/test sets it)")
    psql = shutil.which("psql") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    name = f"hybrid_notifications_{uuid.uuid4().hex[:12]}"
    subprocess.run([psql, url, "-qc", f"CREATE DATABASE {name}"], check=True)
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """The organization with its on-premises role on PostgreSQL, and a second on-premises
    process on the same database (its own data folder, another port)."""
    url = fresh_postgres_database()
    for w in make_world(tmp_path_factory, onprem_store=url):
        second = Served(tmp_path_factory.mktemp("second") / "data", "onprem", ("--store", url))
        w.others.append(second)
        w.second_ews = f"{second.url}/EWS/Exchange.asmx"
        yield w


def test_subscriptions_are_served_by_any_process_on_the_store(two_processes):
    w = two_processes
    here, there = w.account(), w.account(ews=w.second_ews)
    # Pull: subscribed here, read there.
    with here.drafts.pull_subscription() as (sub, watermark):
        m = Message(account=here, folder=here.drafts, subject="made here")
        m.save()
        events = events_of(there.drafts.get_events(sub, watermark))
        assert len(item_events(events, CreatedEvent, m.id)) == 1

    # Streaming: subscribed there, streamed here, mail sent there: this process hears of the
    # other's write through PostgreSQL's notifications.
    bob_there = w.account("bob@contoso.com", ews=w.second_ews)
    here, there = w.account(), w.account(ews=w.second_ews)
    with there.inbox.streaming_subscription(event_types=["NewMailEvent"]) as sub:
        def send_later():
            time.sleep(1.0)
            Message(account=bob_there, subject="sent there", body="hi",
                    to_recipients=[Mailbox(email_address="alice@contoso.com")]).send()

        t = threading.Thread(target=send_later)
        t.start()
        started = time.monotonic()
        got = events_of(here.inbox.get_streaming_events(sub, connection_timeout=1, max_notifications_returned=1))
        t.join()
        assert [type(e) for e in got] == [NewMailEvent]
        assert time.monotonic() - started < 30
        assert here.inbox.get(id=got[0].item_id.id).subject == "sent there"

    # Push: subscribed here, the item made there; whichever process holds the job posts it.
    listener = Listener()
    sub, _ = here.drafts.subscribe_to_push(callback_url=listener.url)
    m2 = Message(account=there, folder=there.drafts, subject="pushed from there")
    m2.save()
    listener.wait_for(lambda events: item_events(events, CreatedEvent, m2.id))
    listener.server.shutdown()


def test_ews_javascript_api_streaming_connection_hears_new_mail(world):
    """ews-javascript-api's StreamingSubscriptionConnection, unchanged: a NewMail event for a
    message bob sends while the connection is open."""
    import json
    import pathlib
    script = pathlib.Path(__file__).parent / "js" / "streaming.js"
    node = subprocess.Popen(["node", str(script), world.ews, world.token("alice@contoso.com")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = node.stdout.readline().strip()
        assert first == "ready", first + node.stderr.read()
        bob = world.account("bob@contoso.com")
        Message(account=bob, subject="for the js stream", body="hi",
                to_recipients=[Mailbox(email_address="alice@contoso.com")]).send()
        out, err = node.communicate(timeout=90)
        heard = json.loads(out.strip().splitlines()[-1])
        assert node.returncode == 0, (heard, err)
        assert heard["event"] == "NewMail"
        assert world.account().inbox.get(id=heard["itemId"]).subject == "for the js stream"
    finally:
        node.kill()


def test_people_of_the_directory_and_of_the_contacts_folder(world):
    """FindPeople and GetPersona, as exchangelib calls them."""
    from exchangelib import Contact
    from exchangelib.errors import ErrorInvalidIdMalformed
    from exchangelib.indexed_properties import EmailAddress
    from exchangelib.items import Persona
    from exchangelib.services import GetPersona
    alice = world.account()
    Contact(account=alice, folder=alice.contacts, display_name="John Smith", given_name="John",
            email_addresses=[EmailAddress(email="john@example.org", label="EmailAddress1")]).save()
    Contact(account=alice, folder=alice.contacts, display_name="Mary Major").save()
    found = list(alice.contacts.people().filter(display_name="John Smith"))
    assert [p.display_name for p in found] == ["John Smith"]
    assert found[0].email_address.email_address == "john@example.org"
    names = [p.display_name for p in alice.contacts.people().order_by("-display_name")]
    assert names[:2] == ["Mary Major", "John Smith"]
    assert [p.display_name for p in alice.contacts.people().filter("john")] == ["John Smith"]
    whole = list(alice.fetch_personas(alice.contacts.people().filter(display_name="John Smith")))
    assert whole and whole[0].display_name == "John Smith"
    with pytest.raises(ErrorInvalidIdMalformed):
        GetPersona(account=alice).get(personas=[Persona(id="AAA=", changekey="x")])


def test_a_stopping_server_closes_its_streams_at_once(tmp_path_factory):
    """SIGTERM: an open GetStreamingEvents gets its closing envelope at once, and the server
    stops without waiting for the connection's time to run out."""
    for w in make_world(tmp_path_factory):
        alice = w.account()
        sub = alice.inbox.subscribe_to_streaming()
        ended = {}

        def listen():
            started = time.monotonic()
            list(alice.inbox.get_streaming_events(sub, connection_timeout=30))
            ended["after"] = time.monotonic() - started

        t = threading.Thread(target=listen)
        t.start()
        time.sleep(1.0)
        stopping = time.monotonic()
        w.onprem.proc.terminate()
        w.onprem.proc.wait(timeout=10)
        stopped_in = time.monotonic() - stopping
        t.join(timeout=10)
        assert not t.is_alive() and ended["after"] < 5
        assert stopped_in < 4, f"the server took {stopped_in:.1f} s to stop"
        break
