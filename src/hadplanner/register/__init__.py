"""The patient register: plans remembered, events recorded, re-planning with the past frozen.

``db`` opens the database (SQLite by default, PostgreSQL by URL) and keeps its
schema current with Alembic; ``schema`` holds the append-only tables;
``service`` is the library the CLI and the web application call; ``events``
and ``replan`` are the domain of events and re-planning; ``fhir`` exports a
patient's plan as an HL7 FHIR R4 Bundle.
"""
