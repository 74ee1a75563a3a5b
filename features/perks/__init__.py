"""The patrons' channel: invites, membership, the join bonus."""
