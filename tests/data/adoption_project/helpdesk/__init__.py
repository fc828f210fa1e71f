"""helpdesk: a multi-tenant help desk. Every organization sees only its own tickets, users and invoices."""

__version__ = "2.3.0"
