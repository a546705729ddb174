"""Local development services: a real Kafka broker and a PostgreSQL cluster on loopback."""
