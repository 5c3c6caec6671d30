"""Pure pipeline stages: no Kafka, Faust, Prometheus, clock or environment in here."""
