"""Command modules: each parses its arguments, calls the domain layer and renders.

COMMANDS names each top-level command's module and its one-line summary, so that `kchat
--help` lists them without importing any (a test keeps the summaries equal to the modules'
own).
"""

# command name -> (module under kchat_cli.commands, summary)
COMMANDS = {
    "init": ("init", "Create or upgrade the store, and create the channel and its owner."),
    "db": ("db", "Schema migrations."),
    "demo": ("demo", "Create (or upgrade) the store and fill a demo channel with realistic rooms."),
    "ingest": (
        "ingest",
        "Apply inbound events (SPEC §4); the same event id twice changes nothing.",
    ),
    "status": (
        "status",
        "The channel at a glance: unread, rooms by status, chat open now, outbox, last jobs.",
    ),
    "unread": (
        "unread",
        "Print the channel's unread total: user messages no admin has read (R-UNR-1).",
    ),
    "chat": (
        "chat",
        "Answer customers in a full-screen console: the queue, the open room and an input.",
    ),
    "rooms": ("rooms", "List, read and manage chat rooms."),
    "send": (
        "send",
        "Send one thing to a room's user; it is queued in the outbox for delivery (R-SEND-1).",
    ),
    "outbox": ("outbox", "What the channel sends, and how its delivery went."),
    "export": ("export", "Export rooms, messages or the audit log as CSV or JSON lines, streamed."),
    "admins": ("admins", "The channel's admins."),
    "settings": (
        "settings",
        "Chat settings (R-SET-1…6): ON/OFF, hours in Korea time, automatic messages.",
    ),
    "jobs": ("jobs", "Batch jobs: retention, pii-purge, offhours-notices, deliver."),
    "scheduler": (
        "scheduler",
        "The job scheduler: one per store, Korea-time schedules (see kchat jobs list).",
    ),
    "users": ("users", "Block and unblock users (친구차단, R-BLOCK-1…3)."),
    "labels": ("labels", "Room labels (채팅방 라벨, R-LABEL-1), e.g."),
    "replies": (
        "replies",
        "Saved replies (자주 쓰는 답변, R-SEND-3), sent with `send ROOM --reply NAME`.",
    ),
    "coupons": ("coupons", "Coupons (R-COUPON-1), sent to friends with `send ROOM --coupon ID`."),
    "groups": (
        "groups",
        "Friend groups (친구그룹, R-GROUP-1); add rooms' users with `rooms to-group`.",
    ),
    "comments": ("comments", "Comments on the channel's home posts."),
    "auth": (
        "auth",
        "Additional verification: a code by KakaoTalk or SMS opens a 12-hour session.",
    ),
    "account": ("account", "Your account: additional verification and notifications."),
    "plugin": ("plugin", "The personal-info plugin that lets you request customer info (R-PII-1)."),
    "customer-info": (
        "customer_info",
        "Customer info through the personal-info plugin; destroyed after 3 days.",
    ),
    "search": ("search", "Find messages containing TEXT, Korean included, newest first."),
    "watch": ("watch", "Follow new user messages and room changes as they happen (R-SYNC-1)."),
    "report": ("report", "First-response and resolution times, rooms and messages over a period."),
}
