"""In-memory adapters: repositories, unit of work and fakes of the outside world."""
