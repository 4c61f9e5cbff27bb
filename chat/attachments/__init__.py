"""Files uploaded into a request's chat (SPEC part 2, "Attachments").

An upload is stored at once, unattached (`services.attachment_upload`); a message of its
uploader in the same request claims it (`services.attachments_claim`, called by
chat.services.message_store); uploads never claimed are deleted after a day
(`services.attachments_delete_stale`). The type is detected from the bytes (`detection`), the
client's file name is kept only for display (`names`), the bytes live in the `attachments`
storage of settings.STORAGES and are only ever served through the access-checked download
(`storage`, `apis`).
"""
