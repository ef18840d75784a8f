"""The error every refused action on a ticket raises, with a sentence for the person."""


class TicketError(Exception):
    """A refused action, with a message the person who tried it can read."""
