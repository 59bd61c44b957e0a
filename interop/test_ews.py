"""exchangelib 5.6.0, unchanged, against Hybrid's EWS, with S2S tokens obtained through the real
flow: the partner signs an assertion, the cloud role issues an ACS actor token, and the partner
wraps it in an outer token for the user. Scenarios follow the acceptance list (A1-A18)."""

import json
import os
import pathlib
import time
import zoneinfo

import pytest

from conftest import Served, arrived, hybrid, hybrid_json

os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

from exchangelib import (DELEGATE, Folder, FolderCollection, IMPERSONATION, Account, Configuration, ExtendedProperty, HTMLBody, Mailbox,  # noqa: E402
                         Message, OAuth2AuthorizationCodeCredentials, Q, UTC, EWSDateTime)
from exchangelib.folders import SingleFolderQuerySet  # noqa: E402
from exchangelib.errors import (ErrorInvalidRecipients, ErrorInvalidChangeKey, ErrorInvalidIdMalformed, ErrorDeleteDistinguishedFolder, ErrorFolderExists, ErrorObjectTypeChanged,  # noqa: E402
                                ErrorFolderNotFound, ErrorInvalidOperation, ErrorItemNotFound, ErrorItemSave,  # noqa: E402
                                ErrorNameResolutionNoResults, ErrorNonExistentMailbox, ErrorSchemaValidation,
                                ErrorAccessDenied, ErrorImpersonateUserDenied, UnauthorizedError)
from exchangelib.protocol import close_connections  # noqa: E402

EXCHANGE = "00000002-0000-0ff1-ce00-000000000000"
SKYPE = "00000004-0000-0ff1-ce00-000000000000"


class MessageClass(ExtendedProperty):
    property_tag, property_type = 0x001A, "String"


class ThreadId(ExtendedProperty):
    distinguished_property_set_id, property_name, property_type = "PublicStrings", "X-ChatThreadId", "String"


Message.register("message_class", MessageClass)
Message.register("thread_id", ThreadId)


def h(data, *args):
    r = hybrid("--data", data, *args)
    assert r.returncode == 0, f"{args}: {r.stderr}"
    return r.stdout


class World:
    def token(self, smtp=None):
        """An act-as token for `smtp`, or (None) the app-only ACS actor token itself."""
        user = ["--user-smtp", smtp] if smtp else []
        return hybrid("token", "request", "--cert", self.partner_cert, "--key", self.partner_key, "--client", SKYPE,
                      "--tenant", self.tenant, "--token-endpoint", f"{self.cloud.url}/{self.tenant}/tokens/OAuth/2",
                      "--resource", f"{EXCHANGE}/mail.contoso.com@contoso.com", *user, check=0).stdout.strip()

    def account(self, smtp="alice@contoso.com", token=None, as_user=None, access_type=DELEGATE, ews=None):
        close_connections()
        creds = OAuth2AuthorizationCodeCredentials(access_token={"access_token": token or self.token(as_user or smtp)})
        config = Configuration(service_endpoint=ews or self.ews, credentials=creds)
        return Account(smtp, config=config, autodiscover=False, access_type=access_type)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    yield from make_world(tmp_path_factory)


def make_world(tmp_path_factory, onprem_store=None):
    """The organization of these suites: the trust of the runbook, alice, alan and bob; the
    on-premises role on `onprem_store` when given (a PostgreSQL URL)."""
    d = tmp_path_factory.mktemp("ews")
    data = d / "data"
    w = World()
    store = ("--store", onprem_store) if onprem_store else ()
    w.cloud, w.onprem, w.partner = Served(data, "cloud"), Served(data, "onprem", store), Served(data, "partner")
    w.others = []
    try:
        h(data, "cloud", "new-tenant", "--domain", "contoso.com")
        w.tenant = [p.name for p in (data / "cloud" / "tenants").iterdir()][0].removesuffix(".credential")
        w.partner_cert, w.partner_key = d / "partner.pem", d / "partner-key.pem"
        hybrid("cert", "new", "--subject", "Skype for Business Online", "--out", w.partner_cert, check=0)
        h(data, "cloud", "add-service-principal-key", "--service-principal-id", SKYPE, "--key-file", w.partner_cert)
        h(data, "cloud", "set-service-principal-names", "--service-principal-id", EXCHANGE, "--service-principal-names", "https://mail.contoso.com/")
        h(data, "onprem", "new-organization", "--name", "Contoso", "--domain", "contoso.com", "--ews-url", "https://mail.contoso.com/EWS/Exchange.asmx")
        h(data, "onprem", "new-auth-server", "--name", "WindowsAzureACS", "--auth-metadata-url", f"{w.cloud.url}/contoso.com/metadata/json/1")
        script = d / "steps.ps1"
        script.write_text(
            "$user = New-MailUser -Name SfBOnline-ApplicationAccount -ExternalEmailAddress SfBOnline-ApplicationAccount@contoso.com\n"
            "Set-MailUser -Identity $user.Identity -HiddenFromAddressListsEnabled $True\n"
            "New-ManagementRoleAssignment -Role UserApplication -User $user.Identity\n"
            "New-ManagementRoleAssignment -Role ArchiveApplication -User $user.Identity\n"
            f"New-PartnerApplication -Name SfBOnline -ApplicationIdentifier {SKYPE} -Enabled $True -LinkedAccount $user.Identity\n"
            "New-Mailbox -Name 'Alice Smith' -Alias alice\n"
            "New-Mailbox -Name 'Alan Turing' -Alias alan\n"
            "New-Mailbox -Name 'Bob Jones' -Alias bob\n")
        h(data, "onprem", "run", script)
        w.ews = f"{w.onprem.url}/EWS/Exchange.asmx"
        w.data = data
        # The partner service, as the runbook's Skype for Business Online.
        h(data, "partner", "export-signing-cert", "--path", d / "partner-signing.cer")
        h(data, "cloud", "add-service-principal-key", "--service-principal-id", SKYPE, "--key-file", d / "partner-signing.cer")
        h(data, "partner", "configure", "--tenant", w.tenant, "--token-endpoint", f"{w.cloud.url}/{w.tenant}/tokens/OAuth/2",
          "--ews-url", w.ews, "--resource", f"{EXCHANGE}/mail.contoso.com@contoso.com")
        for u in ("alice", "bob"):
            h(data, "partner", "new-user", "--sip", f"{u}@contoso.com", "--smtp", f"{u}@contoso.com")
        yield w
    finally:
        w.cloud.stop()
        w.onprem.stop()
        w.partner.stop()
        for o in w.others:
            o.stop()


def test_a1_version_probe(world):
    a = world.account()
    assert a.version.build.major_version == 15
    assert a.version.api_version == "Exchange2016"


def test_a2_explicit_version_skips_the_probe(world):
    from exchangelib import Build, Version
    close_connections()
    creds = OAuth2AuthorizationCodeCredentials(access_token={"access_token": world.token("alice@contoso.com")})
    config = Configuration(service_endpoint=world.ews, credentials=creds, version=Version(build=Build(15, 1, 2507, 6)))
    a = Account("alice@contoso.com", config=config, autodiscover=False, access_type=DELEGATE)
    assert a.root.id


def test_a3_a4_root_walk_and_distinguished_folders(world):
    a = world.account()
    tree = a.root.tree()
    assert "Top of Information Store" in tree and "Inbox" in tree and "Purges" in tree
    assert (a.root / "Top of Information Store" / "Inbox").id == a.inbox.id
    for attr, cls in [("inbox", "Inbox"), ("msg_folder_root", "MsgFolderRoot"), ("conversation_history", "ConversationHistory"),
                      ("recoverable_items_purges", "RecoverableItemsPurges"), ("recoverable_items_root", "RecoverableItemsRoot")]:
        f = getattr(a, attr)
        assert type(f).__name__ == cls and f.id
    assert a.recoverable_items_purges.parent.id == a.recoverable_items_root.id


def test_a5_chat_transcript_in_purges(world):
    a = world.account()
    m = Message(account=a, folder=a.recoverable_items_purges, subject="Chat 1", body=HTMLBody("<p>hi</p>"),
                author=Mailbox(email_address="alice@contoso.com"), to_recipients=[Mailbox(email_address="bob@contoso.com")],
                is_read=True, message_class="IPM.Note.Microsoft.Conversation")
    m.save()
    assert m.id
    g = a.recoverable_items_purges.get(id=m.id)
    assert g.subject == "Chat 1"
    assert str(g.body) == "<p>hi</p>" and type(g.body) is HTMLBody
    assert g.author.email_address == "alice@contoso.com"
    assert g.is_read is True
    assert g.item_class == g.message_class == "IPM.Note.Microsoft.Conversation"
    assert g.datetime_created.tzinfo is not None


def test_a6_conversation_history_item(world):
    a = world.account()
    m = Message(account=a, folder=a.conversation_history, subject="Conversation with Bob",
                body="mobile chat", message_class="IPM.Note.Microsoft.Conversation", thread_id="t-42")
    m.save()
    g = a.conversation_history.get(id=m.id)
    assert g.thread_id == "t-42"
    assert a.conversation_history.filter(item_class="IPM.Note.Microsoft.Conversation").count() == 1


def test_a7_a8_listing_counting_filters(world):
    a = world.account(smtp="bob@contoso.com")
    a.bulk_create(folder=a.inbox, items=[Message(account=a, subject=f"subject {i:03d}", body="x") for i in range(250)])
    assert a.inbox.all().count() == 250
    assert len(list(a.inbox.all().only("subject"))) == 250
    assert len(list(a.inbox.all().order_by("subject")[10:13])) == 3
    assert a.inbox.filter(subject="subject 007").exists()
    assert not a.inbox.filter(subject="nope").exists()
    assert a.inbox.filter(subject__contains="ject 01").count() == 10
    assert a.inbox.filter(subject__icontains="SUBJECT 00").count() == 10
    assert a.inbox.filter(subject__startswith="subject 2").count() == 50
    assert a.inbox.filter(Q(subject="subject 001") | ~Q(subject__startswith="subject")).count() == 1
    first = list(a.inbox.all().order_by("-datetime_received").only("subject")[:1])[0]
    assert first.subject.startswith("subject")
    t0 = EWSDateTime.now(tz=UTC) - __import__("datetime").timedelta(hours=1)
    t1 = EWSDateTime.now(tz=UTC) + __import__("datetime").timedelta(hours=1)
    assert a.inbox.filter(datetime_received__range=(t0, t1)).count() == 250


def test_a9_a10_update_and_delete(world):
    a = world.account()
    made = [Message(account=a, folder=a.inbox, subject=f"del {i}") for i in range(4)]
    for m in made:
        m.save()
    m0 = made[0]
    ck = m0.changekey
    m0.subject, m0.is_read = "renamed", True
    m0.save(update_fields=["subject", "is_read"])
    m0.refresh()
    assert (m0.subject, m0.is_read) == ("renamed", True) and m0.changekey != ck
    old_id, old_ck = made[1].id, made[1].changekey
    made[1].delete()
    with pytest.raises(ErrorItemNotFound):
        Message(account=a, folder=a.inbox, id=old_id, changekey=old_ck).delete()
    made[2].soft_delete()
    assert a.recoverable_items_deletions.filter(subject="del 2").count() == 1
    made[3].move_to_trash()
    assert a.trash.filter(subject="del 3").count() == 1
    a.bulk_delete([(m0.id, m0.changekey)])
    assert a.inbox.filter(subject__startswith="del").count() == 0


def test_a11_a12_user_configuration(world):
    a = world.account()
    name = "Um.CustomGreetings"
    with pytest.raises(ErrorItemNotFound):
        a.root.get_user_configuration(name)
    when = EWSDateTime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    d = {"Greeting": "hi", 7: True, "n": 2 ** 40, "b": b"\x00\x01", "when": when}
    a.root.create_user_configuration(name=name, dictionary=d, xml_data=b"<a/>", binary_data=b"\x01\x02")
    c = a.root.get_user_configuration(name)
    assert c.dictionary == d and c.xml_data == b"<a/>" and c.binary_data == b"\x01\x02"
    with pytest.raises(ErrorItemSave):
        a.root.create_user_configuration(name=name, dictionary=d)
    a.root.update_user_configuration(name=name, dictionary={"Greeting": "bye"}, xml_data=b"<b/>", binary_data=b"\x03")
    c = a.root.get_user_configuration(name, properties="XmlData")
    assert c.xml_data == b"<b/>" and c.dictionary is None and c.binary_data is None
    a.root.delete_user_configuration(name)
    with pytest.raises(ErrorItemNotFound):
        a.root.get_user_configuration(name)
    a.inbox.create_user_configuration(name="OWA.UserOptions", dictionary={"x": "y"})
    with pytest.raises(ErrorItemNotFound):
        a.root.get_user_configuration("OWA.UserOptions")


def test_a13_resolve_names(world):
    a = world.account()
    a.version
    [one] = a.protocol.resolve_names(["bob"])
    assert one.email_address == "bob@contoso.com" and one.name == "Bob Jones"
    several = a.protocol.resolve_names(["al"])
    assert {m.email_address for m in several} == {"alice@contoso.com", "alan@contoso.com"}
    [none] = a.protocol.resolve_names(["zebra"])
    assert isinstance(none, ErrorNameResolutionNoResults)
    [(mailbox, contact)] = a.protocol.resolve_names(["bob"], return_full_contact_data=True)
    assert mailbox.email_address == "bob@contoso.com" and contact.display_name == "Bob Jones"


def test_a14_bad_token(world):
    with pytest.raises(UnauthorizedError):
        world.account(token="wrong").root


def test_a15_unknown_mailbox(world):
    with pytest.raises(ErrorNonExistentMailbox):
        world.account(smtp="nobody@contoso.com", as_user="alice@contoso.com").root


def test_a16_impersonation_needs_the_role(world):
    with pytest.raises((ErrorImpersonateUserDenied, ErrorAccessDenied)):
        world.account(smtp="bob@contoso.com", as_user="alice@contoso.com", access_type=IMPERSONATION).inbox


def test_a17_unsupported_operation(world):
    a = world.account()
    m = Message(account=a, folder=a.drafts, subject="a17")
    m.save()
    # Exchange's answer for a mailbox without an archive mailbox (alice has none here).
    # (exchangelib has no class of its own for the code: it raises TransportError naming it.)
    from exchangelib.errors import TransportError
    with pytest.raises(TransportError, match="ErrorArchiveMailboxNotEnabled"):
        m.archive(to_folder=a.trash)
    # An operation of Exchange's that this server does not run.
    from exchangelib.services.common import EWSAccountService
    from exchangelib.util import create_element

    class GetUserPhoto(EWSAccountService):
        SERVICE_NAME = "GetUserPhoto"

        def call(self):
            return self._get_elements(payload=create_element("m:GetUserPhoto"))

    with pytest.raises((ErrorInvalidOperation, ErrorSchemaValidation)):
        list(GetUserPhoto(account=a).call())


def test_a18_missing_distinguished_folder(world):
    a = world.account()
    with pytest.raises(ErrorFolderNotFound):
        a.todo_search


def test_partner_results_read_by_exchangelib(world):
    """The partner archives an IM conversation and writes conversation history; exchangelib, as a
    separate client, finds the transcript in Recoverable Items\\Purges and the history items."""
    out = h(world.data, "partner", "hold-conversation", "--participant", "alice@contoso.com", "--participant", "bob@contoso.com",
            "--subject", "Partner lunch", "--message", "alice: noon?", "--message", "bob: sure", "--mobile", "--json")
    ids = json.loads(out)["workIds"]
    missed = json.loads(h(world.data, "partner", "hold-conversation", "--participant", "bob@contoso.com", "--subject", "Missed call", "--missed", "--json"))["workIds"]
    for wid in ids + missed:
        for _ in range(200):
            status = json.loads(h(world.data, "partner", "get-work", "--id", wid, "--json"))
            if status["status"] == "done":
                break
            assert status["status"] != "failed", status
            time.sleep(0.05)
        assert status["status"] == "done", status
    b = world.account(smtp="bob@contoso.com")
    [t] = list(b.recoverable_items_purges.filter(subject="Partner lunch"))
    assert t.item_class == "IPM.Note.Microsoft.Conversation"
    assert "sure" in str(t.body)
    classes = sorted(i.item_class for i in b.conversation_history.filter(subject__in=["Partner lunch", "Missed call"]))
    assert classes == ["IPM.Note.Microsoft.Conversation", "IPM.Note.Microsoft.Missed"]


def test_b1_folders_created_renamed_counted_emptied_moved_and_deleted(world):
    a = world.account()
    f = Folder(parent=a.inbox, name="Projects B1").save()
    assert f.id and f.changekey
    with pytest.raises(ErrorFolderExists) as e:
        Folder(parent=a.inbox, name="PROJECTS b1").save()
    assert "Could not create folder 'PROJECTS b1'" in e.value.args[0]
    f.name = "Projects B1 renamed"
    f.save()
    f.refresh()
    assert f.name == "Projects B1 renamed"
    with pytest.raises(ErrorObjectTypeChanged):
        f.folder_class = "IPF.Other"
        f.save(update_fields=["folder_class"])
    f.refresh()
    sub = Folder(parent=f, name="Sub").save()
    for i in range(3):
        Message(account=a, folder=f, subject=f"in B1 {i}", is_read=False).save()
    f.refresh()
    assert (f.total_count, f.unread_count, f.child_folder_count) == (3, 3, 1)
    f.empty()
    f.refresh()
    assert (f.total_count, f.child_folder_count) == (0, 1)
    f.empty(delete_sub_folders=True)
    assert len(list(f.children)) == 0
    assert sub.id not in [c.id for c in a.inbox.walk()]
    other = Folder(parent=a.inbox, name="Elsewhere B1").save()
    old_key = f.changekey
    f.move(other)
    assert f.parent == other and f.changekey != old_key
    f.refresh()
    assert f.parent.id == other.id
    f.delete()
    other.delete()
    with pytest.raises(ErrorDeleteDistinguishedFolder):
        a.inbox.delete()


def test_b2_find_folders_with_a_restriction(world):
    a = world.account()
    name = a.root.tois.name
    roots = FolderCollection(account=a, folders=[a.root])
    assert [f.name for f in roots.find_folders(q=Q(name=name))] == [name]
    assert len(list(roots.find_folders(q=Q(name__startswith=name[:6])))) == 1
    assert len(list(roots.find_folders(q=Q(name__startswith=name[:6].lower())))) == 0
    assert len(list(roots.find_folders(q=Q(name__istartswith=name[:6].lower())))) == 1


def test_b3_malformed_ids_and_change_keys(world):
    a = world.account()
    items = [Message(account=a, folder=a.inbox, subject=f"b3 {i}").save() for i in range(3)]
    items[1].changekey = "XXX"
    res = list(a.bulk_delete(items))
    assert res[0] is True and isinstance(res[1], ErrorInvalidChangeKey) and res[2] is True
    items = [Message(account=a, folder=a.inbox, subject=f"b3 {i}").save() for i in range(3)]
    items[1].id = "AAAA=="
    res = list(a.bulk_delete(items))
    assert res[0] is True and isinstance(res[1], ErrorInvalidIdMalformed) and res[2] is True
    with pytest.raises(ErrorInvalidIdMalformed):
        SingleFolderQuerySet(account=a, folder=Folder(root=a.root, id="XXX")).get()


def test_b4_app_only_token_with_exchange_impersonation(world):
    """exchangelib's usual OAuth pattern: an app-only token, IMPERSONATION access, the partner's
    linked account holding ApplicationImpersonation."""
    app_only = world.token()
    with pytest.raises((ErrorAccessDenied, ErrorImpersonateUserDenied)):
        world.account("bob@contoso.com", token=app_only, access_type=IMPERSONATION).inbox
    h(world.data, "onprem", "new-management-role-assignment", "--role", "ApplicationImpersonation",
      "--user", "SfBOnline-ApplicationAccount")
    try:
        deadline = time.time() + 5
        while True:
            try:
                a = world.account("bob@contoso.com", token=app_only, access_type=IMPERSONATION)
                inbox = a.inbox
                break
            except (ErrorAccessDenied, ErrorImpersonateUserDenied):
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        Message(account=a, folder=inbox, subject="b4 as bob").save()
        assert inbox.filter(subject="b4 as bob").count() == 1
    finally:
        h(world.data, "onprem", "remove-management-role-assignment",
          "--identity", "ApplicationImpersonation-SfBOnline-ApplicationAccount", "--confirm:$false")


def test_b5_categories_are_filterable(world):
    a = world.account()
    Message(account=a, folder=a.inbox, subject="b5 tagged", categories=["Hybrid B5", "Blue"]).save()
    Message(account=a, folder=a.inbox, subject="b5 other", categories=["Blue"]).save()
    assert [m.subject for m in a.inbox.filter(categories__contains=["Hybrid B5", "Blue"])] == ["b5 tagged"]
    assert a.inbox.filter(categories__contains=["Blue"], subject__startswith="b5").count() == 2
    assert a.inbox.filter(categories__contains=["hybrid b5"]).count() == 1
    assert a.inbox.filter(categories__contains=["Nope"]).count() == 0
    got = a.inbox.get(subject="b5 tagged")
    assert sorted(got.categories) == ["Blue", "Hybrid B5"]


def test_b6_mail_between_mailboxes(world):
    alice, bob, alan = world.account(), world.account("bob@contoso.com"), world.account("alan@contoso.com")
    m = Message(account=alice, subject="b6 lunch", body="Lunch at noon?",
                to_recipients=[Mailbox(email_address="bob@contoso.com")],
                bcc_recipients=[Mailbox(email_address="alan@contoso.com")])
    m.send_and_save()
    got, = arrived(bob.inbox.filter(subject="b6 lunch"))
    assert got.sender.email_address == "alice@contoso.com" and got.author.email_address == "alice@contoso.com"
    assert not got.is_draft and not got.is_read and got.datetime_sent is not None
    assert not got.bcc_recipients
    arrived(alan.inbox.filter(subject="b6 lunch"))
    kept = alice.sent.get(subject="b6 lunch")
    assert [r.email_address for r in kept.bcc_recipients] == ["alan@contoso.com"]
    # A saved draft, then sent: it leaves Drafts and stays in Sent Items.
    d = Message(account=alice, folder=alice.drafts, subject="b6 draft", to_recipients=[Mailbox(email_address="bob@contoso.com")])
    d.save()
    d.send()
    assert alice.drafts.filter(subject="b6 draft").count() == 0
    assert alice.sent.filter(subject="b6 draft").count() == 1
    arrived(bob.inbox.filter(subject="b6 draft"))
    # Nothing leaves the organization, and nothing is half-sent.
    with pytest.raises(ErrorInvalidRecipients):
        Message(account=alice, subject="b6 outside", to_recipients=[Mailbox(email_address="bob@contoso.com"),
                                                                   Mailbox(email_address="eve@example.org")]).send()
    assert bob.inbox.filter(subject="b6 outside").count() == 0


def test_b7_convert_id_between_formats(world):
    from exchangelib.properties import ENTRY_ID, EWS_ID, ID_FORMATS, AlternateId
    a = world.account()
    m = Message(account=a, folder=a.inbox, subject="b7").save()
    for fmt in ID_FORMATS:
        res = list(a.protocol.convert_ids([AlternateId(id=m.id, format=EWS_ID, mailbox=a.primary_smtp_address)],
                                          destination_format=fmt))
        assert len(res) == 1 and res[0].format == fmt
    entry = list(a.protocol.convert_ids([AlternateId(id=m.id, format=EWS_ID, mailbox=a.primary_smtp_address)],
                                        destination_format=ENTRY_ID))[0]
    back = list(a.protocol.convert_ids([AlternateId(id=entry.id, format=ENTRY_ID, mailbox=a.primary_smtp_address)],
                                       destination_format=EWS_ID))[0]
    assert back.id == m.id


def test_b8_file_and_item_attachments(world):
    from exchangelib import FileAttachment, ItemAttachment
    from exchangelib.attachments import AttachmentId
    from exchangelib.errors import ErrorInvalidAttachmentId
    a = world.account()
    m = Message(account=a, folder=a.inbox, subject="b8 outer", body="outer")
    content = "Hello from unicode æøå".encode("utf-8")
    m.attach(FileAttachment(name="hello.txt", content=content))
    inner = Message(account=a, folder=a.inbox, subject="b8 inner", body="inner body")
    m.attach(ItemAttachment(name="inner", item=inner))
    m.save()
    fresh = a.inbox.get(id=m.id)
    assert fresh.has_attachments
    by_name = {x.name: x for x in fresh.attachments}
    assert by_name["hello.txt"].content == content and by_name["hello.txt"].size == len(content)
    assert by_name["inner"].item.subject == "b8 inner" and by_name["inner"].item.text_body == "inner body"
    # Attached to a saved item, then detached; the parent's change key moves on each time.
    before = fresh.changekey
    late = FileAttachment(name="late.bin", content=b"\x00\x01\x02")
    fresh.attach(late)
    assert fresh.changekey != before
    assert {x.name for x in a.inbox.get(id=m.id).attachments} == {"hello.txt", "inner", "late.bin"}
    gone = late.attachment_id
    fresh.detach(late)
    assert {x.name for x in a.inbox.get(id=m.id).attachments} == {"hello.txt", "inner"}
    # A removed attachment's id names nothing; a malformed one is refused as malformed.
    ghost = FileAttachment(parent_item=fresh, attachment_id=gone, name="late.bin")
    with pytest.raises(ErrorInvalidAttachmentId):
        with ghost.fp as fp:
            fp.read()
    ghost.attachment_id = AttachmentId(id="AAMk=")
    with pytest.raises(ErrorInvalidIdMalformed):
        with ghost.fp as fp:
            fp.read()
    # Copies keep their attachments (contents are stored once, by digest).
    copy_id, _ = fresh.copy(to_folder=a.drafts)
    assert {x.name for x in a.drafts.get(id=copy_id).attachments} == {"hello.txt", "inner"}


def test_b9_bodies_text_and_html(world):
    a = world.account()
    m = Message(account=a, folder=a.inbox, subject="b9 html", body=HTMLBody("<html><body><p>Hello &amp; welcome</p></body></html>")).save()
    got = a.inbox.filter(subject="b9 html").only("text_body")[0]
    assert got.text_body == "Hello & welcome\r\n"
    assert a.inbox.filter(body__contains="welcome", subject="b9 html").count() == 1
    assert a.inbox.filter(body__contains="nowhere", subject="b9 html").count() == 0
    # The client itself stops at 255; lifted, the server keeps 255 as Exchange does.
    field = Message.get_field_by_fieldname("subject")
    field.max_length = 4000
    try:
        m.subject = "s" * 300
        m.save(update_fields=["subject"])
    finally:
        field.max_length = 255
    assert len(a.inbox.get(id=m.id).subject) == 255


def test_b10_restrictions_on_indexed_contact_fields(world):
    from exchangelib import Contact
    from exchangelib.indexed_properties import EmailAddress, PhysicalAddress
    a = world.account()
    Contact(account=a, folder=a.contacts, display_name="b10 Carol", given_name="Carol",
            email_addresses=[EmailAddress(label="EmailAddress1", email="carol@fabrikam.com")],
            physical_addresses=[PhysicalAddress(label="Home", street="Main 1", city="Oslo")]).save()
    assert a.contacts.filter(email_addresses__EmailAddress1="carol@fabrikam.com").count() == 1
    assert a.contacts.filter(email_addresses__EmailAddress1__contains="fabrikam").count() == 1
    assert a.contacts.filter(email_addresses__EmailAddress2="carol@fabrikam.com").count() == 0
    assert a.contacts.filter(physical_addresses__Home__city="Oslo").count() == 1
    assert a.contacts.filter(physical_addresses__Home__city="Bergen").count() == 0


def test_b11_junk_read_all_and_directory_questions(world):
    from exchangelib.errors import ErrorAccessDenied, ErrorNameResolutionNoResults
    a = world.account()
    m = Message(account=a, folder=a.inbox, subject="b11 junk").save()
    m.mark_as_junk(is_junk=True, move_item=True)
    assert a.junk.filter(subject="b11 junk").count() == 1 and a.inbox.filter(subject="b11 junk").count() == 0
    m.mark_as_junk(is_junk=False, move_item=True)
    assert a.inbox.filter(subject="b11 junk").count() == 1
    assert list(a.protocol.get_roomlists()) == []
    with pytest.raises(ErrorNameResolutionNoResults):
        list(a.protocol.get_rooms("my.roomlist@contoso.com"))
    with pytest.raises(ErrorNameResolutionNoResults):
        a.protocol.expand_dl("nobody-group@contoso.com")
    with pytest.raises(ErrorAccessDenied):
        a.protocol.get_searchable_mailboxes(search_filter="x@contoso.com")


def test_b12_inbox_rules_stored_and_run_on_delivery(world):
    from exchangelib import Folder as PlainFolder
    from exchangelib.properties import Actions, Address, Conditions, Exceptions, MoveToFolder, Rule
    from exchangelib.errors import ErrorInboxRulesValidationError
    alice, bob = world.account(), world.account("bob@contoso.com")
    reports = PlainFolder(parent=alice.inbox, name="b12 reports").save()
    rule = Rule(account=alice, display_name="b12 reports", priority=1, is_enabled=True,
                conditions=Conditions(contains_subject_strings=["weekly report"]),
                exceptions=Exceptions(contains_subject_strings=["draft"]),
                actions=Actions(move_to_folder=MoveToFolder(folder_id=reports.to_id()), mark_as_read=True,
                                assign_categories=["Reports"]))
    rule.save()
    assert rule.id and [r.display_name for r in alice.rules].count("b12 reports") == 1
    Message(account=bob, subject="Weekly Report 48", to_recipients=[Mailbox(email_address="alice@contoso.com")]).send()
    Message(account=bob, subject="weekly report draft", to_recipients=[Mailbox(email_address="alice@contoso.com")]).send()
    moved, = arrived(reports.filter(subject="Weekly Report 48"))
    assert moved.is_read and moved.categories == ["Reports"]
    assert alice.inbox.filter(subject="Weekly Report 48").count() == 0
    arrived(alice.inbox.filter(subject="weekly report draft"))  # the exception holds
    # Renamed, then deleted: later mail stays in the Inbox.
    rule.display_name = "b12 renamed"
    rule.save()
    assert {r.display_name for r in alice.rules} >= {"b12 renamed"}
    rule.delete()
    Message(account=bob, subject="weekly report 49", to_recipients=[Mailbox(email_address="alice@contoso.com")]).send()
    arrived(alice.inbox.filter(subject="weekly report 49"))
    # Exchange's validation errors, all-or-none.
    with pytest.raises(ErrorInboxRulesValidationError) as e:
        Rule(account=alice, display_name="b12 sms", priority=2,
             actions=Actions(send_sms_alert_to_recipients=[Address(email_address="x@contoso.com")])).save()
    assert "UnsupportedRule on field Action:SendSMSAlertToRecipients" in str(e.value)
    assert "b12 sms" not in {r.display_name for r in alice.rules}


def test_b13_export_and_upload(world):
    from exchangelib import FileAttachment
    from exchangelib.errors import ErrorInvalidRequest
    a = world.account()
    m = Message(account=a, folder=a.inbox, subject="b13 exported", body="kept", categories=["B13"])
    m.attach(FileAttachment(name="b13.txt", content=b"b13 content"))
    m.save()
    [data] = a.export([m])
    assert isinstance(data, str)
    [(new_id, _)] = a.upload([(a.drafts, data)])
    copy = a.drafts.get(id=new_id)
    assert new_id != m.id and copy.subject == "b13 exported" and copy.categories == ["B13"]
    assert copy.attachments[0].content == b"b13 content"
    with pytest.raises(ErrorInvalidRequest):
        a.upload([(a.drafts, "bm90IGFuIGl0ZW0=")])  # base64 of "not an item"


def test_b14_exchanges_default_folder_tree(world):
    a = world.account()
    names = {f.name for f in a.root.walk()}
    assert len(names) > 40
    assert {"Common Views", "Finder", "Reminders", "Sync Issues", "Conflicts", "Recoverable Items"} <= names
    assert len(list(a.contacts.glob("GAL*"))) == 1
    from exchangelib.folders import CommonViews
    assert isinstance(a.root / "Common Views", CommonViews)
    # Folder sizes (PR_MESSAGE_SIZE_EXTENDED) are kept with the counts.
    class FolderSize(ExtendedProperty):
        property_tag = 0x0E08
        property_type = "Long"
    Folder.register("size", FolderSize)
    try:
        Message(account=a, folder=a.inbox, subject="b14 sized", body="x" * 1000).save()
        a.inbox.refresh()
        assert a.inbox.size > 1000
    finally:
        Folder.deregister("size")


def test_b15_mime_content_mail_tips_and_delegates(world):
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from exchangelib.errors import ErrorDelegateNoUser, ErrorInvalidUserSid, ErrorNotDelegate
    from exchangelib.properties import SendingAs, UserId
    from exchangelib.services import GetDelegate, GetMailTips
    a = world.account()
    msg = MIMEMultipart()
    msg["From"] = "bob@contoso.com"
    msg["To"] = "alice@contoso.com"
    msg["Subject"] = "b15 from mime"
    msg.attach(MIMEText("MIME test mail", "plain", _charset="utf-8"))
    Message(account=a, folder=a.inbox, mime_content=msg.as_bytes()).save()
    got = a.inbox.get(subject="b15 from mime")
    assert got.body == "MIME test mail" and got.to_recipients[0].email_address == "alice@contoso.com"
    assert b"Subject: b15 from mime" in got.mime_content
    tips = list(GetMailTips(protocol=a.protocol).call(
        sending_as=SendingAs(email_address="alice@contoso.com"),
        recipients=[Mailbox(email_address="bob@contoso.com"), Mailbox(email_address="eve@example.org")],
        mail_tips_requested="All"))
    assert [t.recipient_address.email_address for t in tips] == ["bob@contoso.com", "eve@example.org"]
    assert tips[0].external_member_count == 0 and tips[1].external_member_count == 1
    assert a.delegates == []
    with pytest.raises(ErrorInvalidUserSid):
        list(GetDelegate(account=a).call(user_ids=[UserId(sid="XXX")], include_permissions=True))
    with pytest.raises(ErrorDelegateNoUser):
        list(GetDelegate(account=a).call(user_ids=["nobody@example.org"], include_permissions=True))
    with pytest.raises(ErrorNotDelegate):
        list(GetDelegate(account=a).call(user_ids=["bob@contoso.com"], include_permissions=True))


def test_b16_reply_reply_all_and_forward(world):
    from exchangelib import FileAttachment
    alice, bob, alan = world.account(), world.account("bob@contoso.com"), world.account("alan@contoso.com")
    m = Message(account=bob, subject="b16 plan", body="The plan.",
                to_recipients=[Mailbox(email_address="alice@contoso.com"), Mailbox(email_address="alan@contoso.com")])
    m.attach(FileAttachment(name="plan.txt", content=b"step 1"))
    m.send_and_save()
    got, = arrived(alice.inbox.filter(subject="b16 plan"))
    # A reply goes to the sender, with RE: and the original below the new text.
    got.reply(subject="RE: b16 plan", body="Agreed.")
    back, = arrived(bob.inbox.filter(subject="RE: b16 plan"))
    assert back.body.startswith("Agreed.") and "The plan." in back.body
    assert alice.sent.filter(subject="RE: b16 plan").count() == 1
    # Reply-all reaches the other recipients too, but not the one replying.
    got.reply_all(subject="RE: b16 plan (all)", body="All agreed.")
    arrived(bob.inbox.filter(subject="RE: b16 plan (all)"))
    arrived(alan.inbox.filter(subject="RE: b16 plan (all)"))
    assert alice.inbox.filter(subject="RE: b16 plan (all)").count() == 0
    # A saved reply is a draft; a forward carries the attachments.
    got.create_reply(subject="RE: b16 draft", body="Later.").save(alice.drafts)
    assert alice.drafts.get(subject="RE: b16 draft").to_recipients[0].email_address == "bob@contoso.com"
    got.forward(subject="FW: b16 plan", body="FYI", to_recipients=[Mailbox(email_address="alan@contoso.com")])
    fw, = arrived(alan.inbox.filter(subject="FW: b16 plan"))
    assert [a.name for a in fw.attachments] == ["plan.txt"] and fw.attachments[0].content == b"step 1"


def test_b17_sync_hierarchy_and_items_across_a_restart(world):
    from exchangelib import Folder as PlainFolder
    from exchangelib.errors import ErrorInvalidSyncStateData
    a = world.account()
    box = PlainFolder(parent=a.inbox, name="b17 sync").save()
    assert [c for c, _ in box.sync_hierarchy()] == []
    child = PlainFolder(parent=box, name="b17 child").save()
    assert [(c, f.id) for c, f in box.sync_hierarchy()] == [("create", child.id)]
    items = [Message(account=a, folder=box, subject=f"b17 {i}").save() for i in range(5)]
    # A first synchronization in pages of two: every item once, then nothing.
    seen = []
    while True:
        got = list(box.sync_items(max_changes_returned=2))
        seen += [i.id for c, i in got if c == "create"]
        if not got:
            break
    assert sorted(seen) == sorted(i.id for i in items)
    state, hierarchy = box.item_sync_state, box.folder_sync_state
    # The server restarts; the client's states still work, and carry the changes made since.
    world.onprem.stop()
    (world.data / "onprem" / "server.url").unlink()
    world.onprem = Served(world.data, "onprem")
    world.ews = f"{world.onprem.url}/EWS/Exchange.asmx"
    a = world.account()
    box = a.inbox / "b17 sync"
    items[0].account = a
    items[0].subject = "b17 changed"
    items[0].save(update_fields=["subject"])
    items[1].account = a
    items[1].is_read = True
    items[1].save(update_fields=["is_read"])
    items[2].account = a
    items[2].delete()
    Message(account=a, folder=box, subject="b17 new").save()
    changes = list(box.sync_items(sync_state=state))
    kinds = sorted(c for c, _ in changes)
    assert kinds == ["create", "delete", "read_flag_change", "update"]
    assert [c for c, _ in box.sync_hierarchy(sync_state=hierarchy)] == []
    with pytest.raises(ErrorInvalidSyncStateData):
        list(box.sync_items(sync_state="bm90IGEgc3RhdGU"))


def test_b18_ews_javascript_api(world):
    """ews-javascript-api (the EWS Managed API for JavaScript), from npm, with a token from the
    real flow: folders, items with attachments and MIME, sending, sync, rules, conveniences."""
    import subprocess
    client = pathlib.Path(__file__).parent / "js" / "client.js"
    run = subprocess.run(["node", str(client), world.ews, world.token("alice@contoso.com")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    errors = {k: v["error"] for k, v in out.items() if isinstance(v, dict) and "error" in v}
    assert not errors, errors
    assert "js interop renamed" in out["folders"]["names"]
    assert out["items"]["found"] == ["js item"]
    assert out["items"]["attachment"] == {"name": "js.txt", "content": "js attachment"}
    assert out["items"]["mime"] is True
    assert out["sync"]["first"] >= 1 and out["sync"]["again"] == 0 and out["sync"]["more"] is False
    assert "js rule" in out["rules"]["names"]
    assert out["conveniences"] == {"resolved": 1, "roomLists": 0}
    bob = world.account("bob@contoso.com")
    got = bob.inbox.get(subject="js to bob")
    assert got.body == "<p>Hello Bob</p>"


def test_b19_server_time_zones(world):
    """GetServerTimeZones: every Windows zone with its periods and this year's rule, which
    exchangelib turns into its own TimeZone with the same bias and changes, and maps back."""
    from exchangelib.properties import TimeZone
    a = world.account()
    names = {d.id: d.name for d in a.protocol.get_timezones()}
    assert 100 <= len(names) <= 160
    assert names["W. Europe Standard Time"] == "(UTC+01:00) Berlin"
    full = list(a.protocol.get_timezones(return_full_timezone_data=True))
    by_id = {d.id: d for d in full}
    berlin = TimeZone.from_server_timezone(tz_definition=by_id["W. Europe Standard Time"], for_year=2026)
    assert berlin.bias == -60
    assert (berlin.daylight_time.iso_month, berlin.daylight_time.occurrence) == (3, 5)
    assert (berlin.standard_time.iso_month, berlin.standard_time.time.hour) == (10, 3)
    india = TimeZone.from_server_timezone(tz_definition=by_id["India Standard Time"], for_year=2026)
    assert india.bias == -330
    assert india.to_server_timezone(full, 2026) in {"India Standard Time", "Sri Lanka Standard Time"}
    assert berlin.to_server_timezone(full, 2026) in {
        "W. Europe Standard Time", "Romance Standard Time", "Central Europe Standard Time",
        "Central European Standard Time", "W. Central Africa Standard Time"}


def test_b20_automatic_replies_set_and_read(world):
    """Get/SetUserOofSettings through exchangelib: enabled, scheduled, disabled; a window
    that has ended is refused with Exchange's code; another mailbox's settings are not read."""
    import datetime
    from exchangelib.settings import OofSettings
    from exchangelib.errors import ErrorInvalidScheduledOofDuration, ErrorAccessDenied
    from exchangelib.services import GetUserOofSettings, SetUserOofSettings

    class Unchecked(OofSettings):
        # Sent as is: exchangelib's own check would refuse it before the server sees it.
        def clean(self, version=None):
            pass

    utc = zoneinfo.ZoneInfo("UTC")
    a = world.account()
    on = OofSettings(state=OofSettings.ENABLED, external_audience="Known",
                     internal_reply="Back Monday", external_reply="Away")
    a.oof_settings = on
    assert a.oof_settings == on
    start = datetime.datetime.now(utc).replace(microsecond=0) + datetime.timedelta(days=1)
    planned = OofSettings(state=OofSettings.SCHEDULED, external_audience="All", internal_reply="Holiday",
                          external_reply="Holiday", start=start, end=start + datetime.timedelta(days=7))
    a.oof_settings = planned
    got = a.oof_settings
    assert (got.state, got.start, got.end) == ("Scheduled", planned.start, planned.end)
    past = Unchecked(state=OofSettings.SCHEDULED, external_audience="All", internal_reply="x", external_reply="x",
                     start=EWSDateTime(2001, 1, 1, tzinfo=UTC), end=EWSDateTime(2001, 1, 2, tzinfo=UTC))
    with pytest.raises(ErrorInvalidScheduledOofDuration):
        SetUserOofSettings(account=a).get(oof_settings=past, mailbox=Mailbox(email_address=a.primary_smtp_address))
    with pytest.raises(ErrorAccessDenied):
        GetUserOofSettings(account=a).get(mailbox=Mailbox(email_address="bob@contoso.com"))
    a.oof_settings = OofSettings(state=OofSettings.DISABLED)
    assert a.oof_settings.state == "Disabled"


def test_b21_calendar_view_over_a_weekly_series(world):
    """A weekly series made in Copenhagen time, read through CalendarView from a New York
    account: each occurrence at the same instant, across the change to summer time; one
    occurrence moved and one deleted show as such, and the master says so."""
    import datetime
    from exchangelib import CalendarItem
    from exchangelib.recurrence import Recurrence, WeeklyPattern
    from exchangelib.items.calendar_item import EXCEPTION, OCCURRENCE, RECURRING_MASTER
    cph, nyc = zoneinfo.ZoneInfo("Europe/Copenhagen"), zoneinfo.ZoneInfo("America/New_York")
    a = world.account()
    start = datetime.datetime(2026, 3, 16, 9, tzinfo=cph)  # a Monday, winter time
    master = CalendarItem(folder=a.calendar, subject="b21 weekly", start=start, end=start + datetime.timedelta(hours=1),
                          recurrence=Recurrence(pattern=WeeklyPattern(interval=1, weekdays=[1, 3]), start=start.date(),
                                                number=6)).save()
    master.refresh()
    assert master.type == RECURRING_MASTER
    window = (datetime.datetime(2026, 3, 16, tzinfo=cph), datetime.datetime(2026, 4, 1, tzinfo=cph))
    view = [i for i in a.calendar.view(*window) if i.subject == "b21 weekly"]
    assert [i.start.astimezone(cph).strftime("%a %d %H:%M") for i in view] == [
        "Mon 16 09:00", "Wed 18 09:00", "Mon 23 09:00", "Wed 25 09:00", "Mon 30 09:00"]
    assert all(i.type == OCCURRENCE for i in view)
    # Seen from New York the instants are the same (12 March to 29 March NY is already on summer time).
    b = Account("alice@contoso.com", config=a.protocol.config, autodiscover=False, access_type=DELEGATE,
                default_timezone=nyc)
    seen = [i.start for i in b.calendar.view(*window) if i.subject == "b21 weekly"]
    assert seen == [i.start for i in view]
    moved = view[1]
    moved.start += datetime.timedelta(hours=2)
    moved.end += datetime.timedelta(hours=2)
    moved.save(update_fields=["start", "end"])
    view[2].delete()
    master.refresh()
    assert len(master.modified_occurrences) == 1 and len(master.deleted_occurrences) == 1
    again = [i for i in a.calendar.view(*window) if i.subject == "b21 weekly"]
    assert len(again) == 4
    assert again[1].type == EXCEPTION and again[1].start.astimezone(cph).hour == 11
    master.delete()


def test_b22_free_busy_of_two_users(world):
    """GetUserAvailability for alice (the caller) and bob: their busy times in the asker's
    zone, subjects only for the caller's own calendar, a merged string, an unknown address
    answered on its own."""
    import datetime
    from exchangelib import CalendarItem
    from exchangelib.errors import ErrorMailRecipientNotFound
    from exchangelib import EWSTimeZone
    cph = EWSTimeZone("Europe/Copenhagen")
    a, b = world.account(), world.account("bob@contoso.com")
    day = datetime.datetime(2031, 6, 2, tzinfo=cph)
    CalendarItem(folder=a.calendar, subject="b22 alice busy", start=day.replace(hour=9),
                 end=day.replace(hour=10)).save()
    CalendarItem(folder=b.calendar, subject="b22 bob tentative", start=day.replace(hour=11),
                 end=day.replace(hour=12, minute=30), legacy_free_busy_status="Tentative").save()
    CalendarItem(folder=b.calendar, subject="b22 bob free", start=day.replace(hour=13),
                 end=day.replace(hour=14), legacy_free_busy_status="Free").save()
    views = list(a.protocol.get_free_busy_info(
        accounts=[(a, "Organizer", False), ("bob@contoso.com", "Required", False),
                  ("nobody@contoso.com", "Required", False)],
        start=day.replace(hour=8), end=day.replace(hour=16)))
    mine, bobs, nobody = views
    assert isinstance(nobody, ErrorMailRecipientNotFound)
    assert mine.view_type == "DetailedMerged"
    assert [(e.start.hour, e.end.hour, e.busy_type, e.details.subject) for e in mine.calendar_events] == [
        (9, 10, "Busy", "b22 alice busy")]
    assert bobs.view_type == "FreeBusyMerged"
    assert [(e.start.hour, e.end.minute, e.busy_type, e.details) for e in bobs.calendar_events] == [
        (11, 30, "Tentative", None)]
    # Half-hour slots from 08:00: 11:00-12:30 tentative, the free 13:00 stays free.
    assert bobs.merged == "0000001110000000"
    assert mine.merged[2:4] == "22"


def test_b23_meeting_request_accepted_and_declined(world):
    """A meeting alice sends to bob: a request in bob's Inbox and a tentative item on his
    calendar; his acceptance makes it busy for him and is recorded on alice's item; a second
    meeting declined leaves his calendar and says so on hers."""
    import datetime
    from exchangelib import CalendarItem, Attendee, Mailbox as Mbx
    from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY
    from exchangelib.items.calendar_item import MeetingRequest
    from exchangelib.errors import ErrorInvalidRecipients
    a, b = world.account(), world.account("bob@contoso.com")
    start = datetime.datetime(2031, 9, 1, 9, tzinfo=UTC)
    for n in ("one", "two"):
        CalendarItem(folder=a.calendar, subject=f"b23 {n}", start=start, end=start + datetime.timedelta(hours=1),
                     required_attendees=[Attendee(mailbox=Mbx(email_address="bob@contoso.com"))]
                     ).save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    requests = {r.subject: r for r in arrived(b.inbox.filter(subject__startswith="b23"), 2)}
    assert set(requests) == {"b23 one", "b23 two"}
    assert all(isinstance(r, MeetingRequest) for r in requests.values())
    tentative, = arrived(b.calendar.filter(subject="b23 one"))
    assert tentative.legacy_free_busy_status == "Tentative"
    requests["b23 one"].accept()
    requests["b23 two"].decline()
    assert b.calendar.get(subject="b23 one").legacy_free_busy_status == "Busy"
    assert b.calendar.filter(subject="b23 two").count() == 0
    one, two = a.calendar.get(subject="b23 one"), a.calendar.get(subject="b23 two")
    assert one.required_attendees[0].response_type == "Accept"
    assert two.required_attendees[0].response_type == "Decline"
    assert one.is_meeting and one.meeting_request_was_sent
    assert {m.subject for m in a.inbox.filter(subject__startswith="Accepted: b23")} == {"Accepted: b23 one"}
    with pytest.raises(ErrorInvalidRecipients):
        CalendarItem(folder=a.calendar, subject="b23 outside", start=start, end=start + datetime.timedelta(hours=1),
                     required_attendees=[Attendee(mailbox=Mbx(email_address="someone@fabrikam.com"))]
                     ).save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    assert a.calendar.filter(subject="b23 outside").count() == 0


def test_b26_rules_forward_redirect_and_forward_as_attachment_through_the_transport(world):
    """Inbox rules' sending-on actions, run by the transport within the organization: a forward
    from the rule's owner with the text, one with the message attached, and a redirect that
    keeps the original sender; mail to outside addresses is not sent. A loop between two
    mailboxes ends after a few hops."""
    from exchangelib import ItemAttachment
    from exchangelib.properties import Actions, Address, Conditions, Rule
    alice, bob, alan = world.account(), world.account("bob@contoso.com"), world.account("alan@contoso.com")
    to = lambda *who: [Address(email_address=w) for w in who]  # noqa: E731
    rules = [
        Rule(account=bob, display_name="b26 fw", priority=1, is_enabled=True,
             conditions=Conditions(contains_subject_strings=["b26 forward"]),
             actions=Actions(forward_to_recipients=to("alan@contoso.com", "eve@example.org"))),
        Rule(account=bob, display_name="b26 fwa", priority=2, is_enabled=True,
             conditions=Conditions(contains_subject_strings=["b26 attach"]),
             actions=Actions(forward_as_attachment_to_recipients=to("alan@contoso.com"))),
        Rule(account=bob, display_name="b26 redirect", priority=3, is_enabled=True,
             conditions=Conditions(contains_subject_strings=["b26 redirect"]),
             actions=Actions(redirect_to_recipients=to("alan@contoso.com"))),
        Rule(account=bob, display_name="b26 loop", priority=4, is_enabled=True,
             conditions=Conditions(contains_subject_strings=["b26 loop"]),
             actions=Actions(redirect_to_recipients=to("alan@contoso.com"))),
        Rule(account=alan, display_name="b26 loop back", priority=1, is_enabled=True,
             conditions=Conditions(contains_subject_strings=["b26 loop"]),
             actions=Actions(redirect_to_recipients=to("bob@contoso.com"))),
    ]
    try:
        for r in rules:
            r.save()
        for subject in ("b26 forward", "b26 attach", "b26 redirect", "b26 loop"):
            Message(account=alice, subject=subject, body=f"{subject} text",
                    to_recipients=[Mailbox(email_address="bob@contoso.com")]).send()
        fw, = arrived(alan.inbox.filter(subject="FW: b26 forward"))
        assert fw.sender.email_address == "bob@contoso.com" and "b26 forward text" in fw.body
        fwa, = arrived(alan.inbox.filter(subject="FW: b26 attach"))
        assert isinstance(fwa.attachments[0], ItemAttachment)
        assert fwa.attachments[0].item.subject == "b26 attach"
        redirected, = arrived(alan.inbox.filter(subject="b26 redirect"))
        assert redirected.author.email_address == "alice@contoso.com"
        # bob -> alan -> bob -> alan: three hops, then the loop ends.
        arrived(alan.inbox.filter(subject="b26 loop"), 2)
        arrived(bob.inbox.filter(subject="b26 loop"), 2)
        time.sleep(1)
        assert alan.inbox.filter(subject="b26 loop").count() == 2
        assert bob.inbox.filter(subject="b26 loop").count() == 2
    finally:
        for r in rules:
            r.delete()


def test_b27_meeting_updates_and_cancellations_reach_the_attendees(world):
    """The organizer moves a sent meeting and says so (UpdateItem with
    SendMeetingInvitationsOrCancellations): the attendee's calendar follows and an update arrives.
    Then CancelCalendarItem: the attendee's item is cancelled and free, a cancellation arrives,
    and the meeting leaves the organizer's calendar. A meeting deleted with
    SendMeetingCancellations is cancelled the same way."""
    import datetime
    from exchangelib import Attendee, CalendarItem, Mailbox as Mbx
    from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY
    a, b = world.account(), world.account("bob@contoso.com")
    start = datetime.datetime(2031, 10, 6, 9, tzinfo=UTC)
    hour = datetime.timedelta(hours=1)
    bob = [Attendee(mailbox=Mbx(email_address="bob@contoso.com"))]
    m = CalendarItem(folder=a.calendar, subject="b27 review", start=start, end=start + hour,
                     location="Room 1", required_attendees=bob)
    m.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    arrived(b.calendar.filter(subject="b27 review"))
    m.start, m.end, m.location = start + hour, start + 2 * hour, "Room 2"
    m.save(update_fields=["start", "end", "location"], send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    arrived(b.inbox.filter(subject="b27 review"), 2)
    deadline = time.time() + 10
    while b.calendar.get(subject="b27 review").location != "Room 2" and time.time() < deadline:
        time.sleep(0.05)
    theirs = b.calendar.get(subject="b27 review")
    assert theirs.location == "Room 2" and theirs.start == start + hour
    m.cancel()
    arrived(b.inbox.filter(subject="Canceled: b27 review"))
    cancelled, = arrived(b.calendar.filter(subject="Canceled: b27 review"))
    assert cancelled.is_cancelled and cancelled.legacy_free_busy_status == "Free"
    assert a.calendar.filter(subject="b27 review").count() == 0
    # Deleted with cancellations sent.
    d = CalendarItem(folder=a.calendar, subject="b27 dropped", start=start, end=start + hour, required_attendees=bob)
    d.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    arrived(b.calendar.filter(subject="b27 dropped"))
    d.delete(send_meeting_cancellations=SEND_TO_ALL_AND_SAVE_COPY)
    arrived(b.inbox.filter(subject="Canceled: b27 dropped"))
    arrived(b.calendar.filter(subject="Canceled: b27 dropped"))
    # An appointment has no one to send a cancellation to: refused, and it stays.
    alone = CalendarItem(folder=a.calendar, subject="b27 alone", start=start, end=start + hour)
    alone.save()
    with pytest.raises(ErrorInvalidRecipients):
        alone.cancel()
    assert a.calendar.filter(subject="b27 alone").count() == 1


def test_b28_advanced_query_syntax(world):
    """FindItem's QueryString, as exchangelib's filter("...") sends it: properties, phrases,
    AND, OR and NOT, and bare words looked for in subject, body and people."""
    alice, bob = world.account(), world.account("bob@contoso.com")
    # Sent to an address alone: the recipient's name comes from the directory, as on Exchange.
    Message(account=alice, subject="b28 lunch plans", body="Noodles at noon",
            to_recipients=[Mailbox(email_address="bob@contoso.com")]).send_and_save()
    Message(account=alice, subject="b28 budget", body="Numbers",
            to_recipients=[Mailbox(name="Alan Turing", email_address="alan@contoso.com")]).send_and_save()
    sent = alice.sent
    assert sent.get("To:bob@contoso.com AND Subject:b28").subject == "b28 lunch plans"
    assert sent.get('To:"Bob Jones" AND Subject:b28').subject == "b28 lunch plans"
    assert sent.get(subject="b28 lunch plans").to_recipients[0].name == "Bob Jones"
    assert sent.get("Participants:Alan AND Subject:b28").subject == "b28 budget"
    assert {m.subject for m in sent.filter("Subject:b28 AND (noodles OR numbers)")} == {"b28 lunch plans", "b28 budget"}
    assert [m.subject for m in sent.filter("Subject:b28 NOT Body:noodles")] == ["b28 budget"]
    got, = arrived(bob.inbox.filter("From:alice@contoso.com AND Subject:b28"))
    assert got.subject == "b28 lunch plans"


def test_b29_archive_mailbox_and_localized_default_folders(world):
    """Enable-Mailbox -Archive gives a mailbox an archive: ArchiveItem moves into the folder it
    names (the archive's Inbox, or a folder of the primary mailbox), and the archive's folders
    answer to the archive* distinguished ids. Set-MailboxRegionalConfiguration
    -LocalizeDefaultFolderName renames the default folders into the mailbox's language."""
    from exchangelib.errors import TransportError
    from exchangelib.folders import Messages
    script = world.data.parent / "b29.ps1"
    script.write_text("New-Mailbox -Name 'Carol Diaz' -Alias carol\n")
    h(world.data, "onprem", "run", script)
    c = world.account("carol@contoso.com")
    m = Message(account=c, folder=c.inbox, subject="b29 keep")
    m.save()
    with pytest.raises(TransportError, match="ErrorArchiveMailboxNotEnabled"):
        m.archive(to_folder=c.trash)
    assert c.inbox.filter(subject="b29 keep").count() == 1, "refused: nothing moved"

    shown = hybrid_json("--data", world.data, "onprem", "enable-mailbox", "--identity", "carol", "--archive")
    assert shown["ArchiveStatus"] == "Active" and shown["ArchiveName"] == ["In-Place Archive - Carol Diaz"]
    c = world.account("carol@contoso.com")
    assert c.archive_root.id and c.archive_msg_folder_root.id
    old = Message(account=c, folder=c.inbox, subject="b29 old", body="x" * 2000).save()

    class FolderSize(ExtendedProperty):
        property_tag, property_type = 0x0E08, "Long"

    def size(folder):
        folder.refresh()
        return folder.size

    Folder.register("size", FolderSize)
    try:
        before = size(c.msg_folder_root)
        archived_id, _ = old.archive(to_folder=c.archive_inbox)
        # A root's size is its own mailbox's: the archived item left the primary's.
        assert size(c.msg_folder_root) < before and size(c.archive_msg_folder_root) > 2000
    finally:
        Folder.deregister("size")
    got = c.root.get(id=archived_id)
    assert got.subject == "b29 old" and got.parent_folder_id.id == c.archive_inbox.id
    assert c.inbox.filter(subject="b29 old").count() == 0
    c.inbox.filter(subject="b29 keep").archive(to_folder=c.trash)
    assert c.trash.filter(subject="b29 keep").count() == 1
    # The statistics show the primary mailbox's folders, or with -Archive the archive's.
    stats = {s["FolderPath"]: s for s in hybrid_json("--data", world.data, "onprem", "get-mailbox-folder-statistics",
                                                       "--identity", "carol")}
    archived = {s["FolderPath"]: s for s in hybrid_json("--data", world.data, "onprem", "get-mailbox-folder-statistics",
                                                          "--identity", "carol", "--archive")}
    assert stats["/Inbox"]["ItemsInFolder"] == 0 and stats["/Deleted Items"]["ItemsInFolder"] == 1
    assert archived["/Inbox"]["ItemsInFolder"] == 1 and archived["/Inbox"]["FolderType"] == "Inbox"
    assert "/Conversation History" in stats and "/Conversation History" not in archived

    # A folder of the language's name beside a default folder: refused, and nothing renamed.
    Messages(parent=c.root.tois, name="Indbakke").save()
    r = hybrid("--data", world.data, "onprem", "set-mailbox-regional-configuration", "--identity", "carol",
               "--language", "da-DK", "--localize-default-folder-name")
    assert r.returncode != 0 and "Indbakke" in r.stderr
    c = world.account("carol@contoso.com")
    assert c.calendar.name == "Calendar"
    (c.root.tois / "Indbakke").delete()
    h(world.data, "onprem", "set-mailbox-regional-configuration", "--identity", "carol", "--language", "da-DK",
      "--localize-default-folder-name")
    c = world.account("carol@contoso.com")
    assert (c.calendar.name, c.inbox.name, c.trash.name) == ("Kalender", "Indbakke", "Slettet post")
    regional = hybrid_json("--data", world.data, "onprem", "get-mailbox-regional-configuration", "--identity", "carol")
    assert regional["Language"] == "da-DK" and regional["DefaultFolderNameMatchingUserLanguage"] is True


def test_b30_recurring_task_occurrences(world):
    """A recurring task is its current occurrence: completing it makes a one-off task (the id
    UpdateItem answers with) and moves the recurring task to its next occurrence, until the last
    one, which completes the task itself. A regenerating task's next date counts from today."""
    import datetime
    from exchangelib import Task
    from exchangelib.recurrence import DailyPattern, DailyRegeneration, TaskRecurrence
    a = world.account()
    rec = TaskRecurrence(pattern=DailyPattern(interval=1), start=datetime.date(2016, 1, 1), number=3)
    master = Task(folder=a.tasks, subject="b30 daily", recurrence=rec).save()
    master.refresh()
    assert (master.is_recurring, master.change_count, master.due_date) == (True, 1, datetime.date(2016, 1, 1))
    master_id = master.id
    for n, due in ((2, datetime.date(2016, 1, 2)), (1, datetime.date(2016, 1, 3))):
        master.status = Task.COMPLETED
        one_off = master.save()
        assert one_off.id != master_id
        one_off.refresh()
        assert (one_off.is_recurring, one_off.status) == (False, Task.COMPLETED)
        master = a.tasks.get(id=master_id)
        assert (master.due_date, master.recurrence.boundary.number, master.status) == (due, n, Task.NOT_STARTED)
    master.status = Task.COMPLETED
    assert master.save().id == master_id, "the last occurrence is the task itself"
    master = a.tasks.get(id=master_id)
    assert (master.is_recurring, master.status) == (False, Task.COMPLETED)
    assert a.tasks.filter(subject="b30 daily").count() == 3

    rec = TaskRecurrence(pattern=DailyRegeneration(interval=2), start=datetime.date(2016, 1, 1), number=5)
    regen = Task(folder=a.tasks, subject="b30 regenerating", recurrence=rec).save()
    regen_id = regen.id
    regen = a.tasks.get(id=regen_id)
    regen.recurrence.boundary.start = datetime.date(2016, 1, 5)
    assert regen.save().id == regen_id, "moving a regenerating task's dates makes no one-off"
    regen.status = Task.COMPLETED
    assert regen.save().id != regen_id
    regen = a.tasks.get(id=regen_id)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert (regen.due_date, regen.recurrence.boundary.number) == (today + datetime.timedelta(days=2), 4)
