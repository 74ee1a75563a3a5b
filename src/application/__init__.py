"""Use cases of Starport behind ports: the application layer of the hexagon."""
