"""The incident trail: the audit log, the verdict journal, the incident report."""
