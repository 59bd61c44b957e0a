// ews-javascript-api's StreamingSubscriptionConnection against Hybrid's EWS: subscribes to new
// mail in the Inbox, prints "ready" once subscribed and connecting (events from then on reach
// the connection, even those made before it is open), then prints the first NewMail event it
// hears as JSON and exits. Usage: node streaming.js EWS_URL TOKEN
"use strict";
const ews = require("ews-javascript-api");

const [url, token] = process.argv.slice(2);
const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2016);
service.Url = new ews.Uri(url);
service.Credentials = new ews.OAuthCredentials(token);

const finish = (code, value) => {
  process.stdout.write(JSON.stringify(value) + "\n");
  process.exit(code);
};

(async () => {
  const inbox = new ews.FolderId(ews.WellKnownFolderName.Inbox);
  const subscription = await service.SubscribeToStreamingNotifications([inbox], ews.EventType.NewMail);
  const connection = new ews.StreamingSubscriptionConnection(service, 1);
  connection.AddSubscription(subscription);
  connection.OnNotificationEvent.push((sender, args) => {
    for (const e of args.Events) {
      if (e.EventType === ews.EventType.NewMail) {
        connection.Close();
        finish(0, { event: "NewMail", itemId: e.ItemId.UniqueId, subscription: subscription.Id });
      }
    }
  });
  connection.OnSubscriptionError.push((sender, args) => finish(1, { error: String(args.Exception) }));
  // The connection's promise settles only when it fails: its events come through the handlers.
  connection.Open().catch((e) => finish(1, { error: String((e && e.message) || e) }));
  process.stdout.write("ready\n");
  setTimeout(() => finish(2, { error: "no NewMail event within 60 s" }), 60000);
})().catch((e) => finish(1, { error: String((e && e.message) || e) }));
