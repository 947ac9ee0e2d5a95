"""Who may do what: admins and roles, additional verification, the audit log, customer info."""
