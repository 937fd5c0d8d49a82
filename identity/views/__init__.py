"""Identity's pages: sessions, login, single sign-on, its settings, SCIM tokens, two-factor."""
