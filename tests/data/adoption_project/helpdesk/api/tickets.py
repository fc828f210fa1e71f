"""Request handlers: plain functions over a session, no models defined here."""

import uuid

from sqlmodel import Session, select

from helpdesk.tickets.models import Comment, Ticket


def open_tickets(session: Session, organization_id: uuid.UUID) -> list[Ticket]:
    query = select(Ticket).where(Ticket.organization_id == organization_id, Ticket.status == "open")
    return list(session.exec(query))


def add_comment(session: Session, ticket: Ticket, body: str) -> Comment:
    comment = Comment(organization_id=ticket.organization_id, ticket_id=ticket.id, body=body)
    session.add(comment)
    return comment
