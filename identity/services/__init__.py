"""Identity's writes, by topic: sessions and security events, single sign-on, SCIM, two-factor."""
