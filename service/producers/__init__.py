"""Feed adapters that read articles from somewhere and push them onto Kafka with kafka-python."""
