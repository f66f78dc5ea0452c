"""End-to-end tests: real worker processes, the machine's Redis and PostgreSQL, the emulator."""
