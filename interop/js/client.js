// Drives ews-javascript-api against Hybrid's EWS with a bearer token from the real ACS flow,
// one operation group per step, and prints what it saw as JSON for the pytest side to check.
// Usage: node client.js EWS_URL TOKEN
"use strict";
const ews = require("ews-javascript-api");

const [url, token] = process.argv.slice(2);
const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2016);
service.Url = new ews.Uri(url);
service.Credentials = new ews.OAuthCredentials(token);

const out = {};
const step = async (name, fn) => {
  try {
    out[name] = await fn();
  } catch (e) {
    out[name] = { error: String((e && (e.ErrorCode !== undefined ? `${ews.ServiceError[e.ErrorCode]}: ${e.message}` : e.message)) || e) };
  }
};

(async () => {
  let folder;
  await step("folders", async () => {
    folder = new ews.Folder(service);
    folder.DisplayName = "js interop";
    await folder.Save(ews.WellKnownFolderName.Inbox);
    folder.DisplayName = "js interop renamed";
    await folder.Update();
    const found = await service.FindFolders(ews.WellKnownFolderName.Inbox, new ews.FolderView(100));
    return { names: found.Folders.map((f) => f.DisplayName) };
  });
  let saved;
  await step("items", async () => {
    const m = new ews.EmailMessage(service);
    m.Subject = "js item";
    m.Body = new ews.MessageBody(ews.BodyType.Text, "from ews-javascript-api");
    m.Categories.Add("JS");
    m.Attachments.AddFileAttachment("js.txt", Buffer.from("js attachment").toString("base64"));
    await m.Save(folder.Id);
    saved = m.Id;
    const view = new ews.ItemView(10);
    const found = await service.FindItems(folder.Id, view);
    const bound = await ews.EmailMessage.Bind(service, saved,
      new ews.PropertySet(ews.BasePropertySet.FirstClassProperties, [ews.ItemSchema.MimeContent]));
    const att = bound.Attachments._getItem(0);
    await att.Load();
    bound.Subject = "js item updated";
    await bound.Update(ews.ConflictResolutionMode.AlwaysOverwrite);
    return {
      found: found.Items.map((i) => i.Subject),
      attachment: { name: att.Name, content: Buffer.from(att.Base64Content, "base64").toString() },
      mime: Buffer.from(bound.MimeContent.Content, "base64").toString().includes("Subject: js item"),
      categories: bound.Categories.GetEnumerator(),
    };
  });
  await step("send", async () => {
    const m = new ews.EmailMessage(service);
    m.Subject = "js to bob";
    m.Body = new ews.MessageBody(ews.BodyType.HTML, "<p>Hello Bob</p>");
    m.ToRecipients.Add("bob@contoso.com");
    await m.SendAndSaveCopy();
    return { sent: true };
  });
  await step("sync", async () => {
    const first = await service.SyncFolderItems(folder.Id, ews.PropertySet.IdOnly, null, 10,
      ews.SyncFolderItemsScope.NormalItems, null);
    const again = await service.SyncFolderItems(folder.Id, ews.PropertySet.IdOnly, null, 10,
      ews.SyncFolderItemsScope.NormalItems, first.SyncState);
    return { first: first.Count, again: again.Count, more: first.MoreChangesAvailable };
  });
  await step("rules", async () => {
    const rule = new ews.Rule();
    rule.DisplayName = "js rule";
    rule.Priority = 1;
    rule.IsEnabled = true;
    rule.Conditions.ContainsSubjectStrings.Add("js rule");
    rule.Actions.MarkAsRead = true;
    const op = new ews.CreateRuleOperation(rule);
    await service.UpdateInboxRules([op], true);
    const rules = await service.GetInboxRules();
    const names = [];
    for (let i = 0; i < rules.Count; i++) names.push(rules._getItem(i).DisplayName);
    return { names, blob: rules.OutlookRuleBlobExists };
  });
  await step("conveniences", async () => {
    const names = await service.ResolveName("bob", ews.ResolveNameSearchLocation.DirectoryOnly, false);
    const lists = await service.GetRoomLists();
    return { resolved: names.Count, roomLists: lists.Count };
  });
  await step("cleanup", async () => {
    await folder.Delete(ews.DeleteMode.HardDelete);
    return { deleted: true };
  });
  process.stdout.write(JSON.stringify(out) + "\n");
})();
