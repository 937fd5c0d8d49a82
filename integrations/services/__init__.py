"""Writes of the chat and e-mail check-ins, by topic: the one check-in of every channel
(``checkins``), the installations and account links (``links``), e-mail replies
(``mail``)."""
