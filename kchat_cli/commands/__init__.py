"""Command modules: each parses its arguments, calls the domain layer and renders.

COMMANDS names each top-level command's module and its one-line summary, so that `kchat
--help` lists them without importing any (a test keeps the summaries equal to the modules'
own).
"""

# command name -> (module under kchat_cli.commands, summary)
COMMANDS = {
    "init": ("init", "Create the store (or upgrade it), the channel and its owner."),
    "config": ("config", "The settings in effect and where each came from."),
    "db": ("db", "Schema migrations."),
    "demo": ("demo", "Fill a demo channel with realistic rooms, creating the store."),
    "ingest": ("ingest", "Apply inbound events; the same event twice changes nothing."),
    "serve": (
        "serve",
        "Receive the platform's webhooks: signed events, each applied once.",
    ),
    "status": ("status", "The channel at a glance: unread, rooms, hours, outbox, jobs."),
    "unread": ("unread", "Print how many customer messages no admin has read."),
    "chat": ("chat", "Answer customers in a full-screen console."),
    "rooms": ("rooms", "List, read and manage chat rooms."),
    "send": ("send", "Send a text, image, file, saved reply or coupon to a room's user."),
    "outbox": ("outbox", "What the channel sends, and how its delivery went."),
    "files": ("files", "The bytes of the images and files admins sent."),
    "export": ("export", "Export rooms, messages or the audit log as CSV or JSON lines."),
    "admins": ("admins", "The channel's admins."),
    "settings": ("settings", "Chat on or off, available hours and automatic messages."),
    "jobs": ("jobs", "Batch jobs: retention, pii-purge, offhours-notices, deliver."),
    "scheduler": ("scheduler", "The scheduler that runs the jobs on their schedules."),
    "users": ("users", "Block and unblock users (친구차단)."),
    "labels": ("labels", "Room labels (채팅방 라벨), such as VIP, 단골 or 재구매고객."),
    "replies": ("replies", "Saved replies (자주 쓰는 답변), sent with `send --reply NAME`."),
    "coupons": ("coupons", "Coupons, sent to friends with `send ROOM --coupon ID`."),
    "groups": ("groups", "Friend groups (친구그룹); add users with `rooms to-group`."),
    "comments": ("comments", "Comments on the channel's home posts."),
    "auth": ("auth", "Additional verification: a code opens a 12-hour session."),
    "account": ("account", "Your account: additional verification and notifications."),
    "plugin": ("plugin", "The personal-info plugin that lets you request customer info."),
    "customer-info": (
        "customer_info",
        "Request and read customer info; it is destroyed after 3 days.",
    ),
    "search": ("search", "Find messages containing TEXT, Korean included, newest first."),
    "watch": ("watch", "Follow new user messages and room changes as they happen, a line each."),
    "report": ("report", "Reply and resolution times, rooms and messages over a period."),
    "completion": ("completion", "Print the shell completion script for bash, zsh or fish."),
}
